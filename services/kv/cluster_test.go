package kv

import (
	"fmt"
	"testing"
	"time"

	"protolab/kvsrv"
	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/tests"
)

// The 6B tests run the store on both engines, and the linearizability tests
// on both read paths too: go test ./services/kv -run 'TestLinearizable6B/raft/readindex'.

var engines = []replog.Engine{raft.Engine, paxos.Engine}

func forEngine(t *testing.T, body func(t *tests.T, e replog.Engine)) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) { tests.Run(t, func(t *tests.T) { body(t, e) }) })
	}
}

func forEngineAndPath(t *testing.T, body func(t *tests.T, e replog.Engine, reads ReadPath)) {
	for _, e := range engines {
		for _, reads := range []ReadPath{ReadLog, ReadIndex} {
			t.Run(e.Name+"/"+reads.String(), func(t *testing.T) { tests.Run(t, func(t *tests.T) { body(t, e, reads) }) })
		}
	}
}

type cluster struct {
	t       *tests.T
	w       *labrpc.World
	n       int
	servers []int
	kvs     []*KVServer
}

func newCluster(t *tests.T, e replog.Engine, n, maxSize int, reads ReadPath, profile string) *cluster {
	w := t.NewWorld(labrpc.Config{Nodes: n, Profile: labrpc.MustProfile(profile)})
	c := &cluster{t: t, w: w, n: n, kvs: make([]*KVServer, n)}
	for i := 0; i < n; i++ {
		c.servers = append(c.servers, i)
		w.Start(i, func(env labrpc.Env) any {
			c.kvs[i] = MakeKVServer(env, e, maxSize, reads)
			return c.kvs[i].Services()
		})
	}
	return c
}

func (c *cluster) clerk() *Clerk { return MakeClerk(c.w.NewClient(), c.servers) }

// workload runs clients that Get and Put a few keys until until, recording
// every operation for porcupine (lab 1's model: kvsrv.Model).
func workload(c *cluster, clients int, until time.Duration, keys []string) *tests.History {
	h := tests.NewHistory(c.w)
	for i := 0; i < clients; i++ {
		ck := c.clerk()
		rng := ck.ck.Client().Rand()
		c.w.Go(fmt.Sprint("client", i), func() {
			for j := 0; ck.ck.Client().Now() < until; j++ {
				key := keys[rng.IntN(len(keys))]
				if rng.IntN(2) == 0 {
					op := h.Begin(i, kvsrv.ModelInput{Key: key})
					v, ver, err := ck.Get(key)
					op.End(kvsrv.ModelOutput{Value: v, Version: ver, Err: err})
					continue
				}
				_, ver, _ := ck.Get(key) // the current version, or stale by the time of the Put
				value := fmt.Sprintf("%d.%d", i, j)
				op := h.Begin(i, kvsrv.ModelInput{Put: true, Key: key, Value: value, Version: ver})
				err := ck.Put(key, value, ver)
				op.End(kvsrv.ModelOutput{Err: err})
			}
		})
	}
	return h
}
