package group

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/kvsrv"
	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/tests"
)

// The tests run every scenario on both engines: go test ./shardkv/group -run 'TestJoinLeave7B/paxos'.

var engines = []replog.Engine{raft.Engine, paxos.Engine}

func forEngine(t *testing.T, body func(t *tests.T, e replog.Engine)) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) { tests.Run(t, func(t *tests.T) { body(t, e) }) })
	}
}

// newCluster starts a store of 3 controller servers and groups groups of 3,
// and joins none of them.
func newCluster(t *tests.T, e replog.Engine, groups, maxSize int, profile string) *Cluster {
	w := t.NewWorld(labrpc.Config{Nodes: 3 + 3*groups, Profile: labrpc.MustProfile(profile)})
	c, err := NewCluster(w, e, 3, groups, 3, maxSize)
	require.NoError(t, err)
	return c
}

// join makes groups join and waits until every running server has settled
// in the config it made.
func join(t *tests.T, c *Cluster, gids ...int) {
	t.Helper()
	require.NoError(t, c.Join(gids...))
	settle(t, c, "the join of groups "+fmt.Sprint(gids))
}

func leave(t *tests.T, c *Cluster, gids ...int) {
	t.Helper()
	require.NoError(t, c.Leave(gids...))
	settle(t, c, "the leave of groups "+fmt.Sprint(gids))
}

// settle waits until every running group server has reached the latest
// config and settled in it.
func settle(t *tests.T, c *Cluster, after string) {
	t.Helper()
	num := c.Admin().Query(-1).Num
	require.True(t, c.W.WaitUntil(func() bool { return c.Settled(num) }, 10*time.Millisecond, 10*time.Second),
		"after %s, the groups did not all reach config %d and settle in it within 10s: %s", after, num, c.describe())
}

// describe says where each group server stands: its config, and each
// shard's state.
func (c *Cluster) describe() string {
	s := ""
	for _, id := range c.Servers() {
		kv := c.Server(id)
		if kv == nil {
			s += fmt.Sprintf("\n  n%d (g%d) down", id, c.GidOf(id))
			continue
		}
		s += fmt.Sprintf("\n  n%d (g%d) config %d leader %v shards %v", id, c.GidOf(id), kv.ConfigNum(), kv.isLeader(), kv.ShardStates())
	}
	return s
}

// keysOverShards returns n keys that cover every shard.
func keysOverShards(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprint("key", i)
	}
	return keys
}

// workload runs clients that Get and Put keys until until, recording every
// operation for porcupine (lab 1's model).
func workload(c *Cluster, h *tests.History, clients int, until time.Duration, keys []string) {
	for i := 0; i < clients; i++ {
		ck := c.Clerk()
		rng := ck.Client().Rand()
		c.W.Go(fmt.Sprint("client", i), func() {
			for j := 0; ck.Client().Now() < until; j++ {
				key := keys[rng.IntN(len(keys))]
				if rng.IntN(2) == 0 {
					op := h.Begin(i, kvsrv.ModelInput{Key: key})
					v, ver, err := ck.Get(key)
					op.End(kvsrv.ModelOutput{Value: v, Version: ver, Err: err})
					continue
				}
				_, ver, _ := ck.Get(key)
				value := fmt.Sprintf("%d.%d", i, j)
				op := h.Begin(i, kvsrv.ModelInput{Put: true, Key: key, Value: value, Version: ver})
				err := ck.Put(key, value, ver)
				op.End(kvsrv.ModelOutput{Err: err})
			}
		})
	}
}
