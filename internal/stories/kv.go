package stories

import (
	"fmt"
	"time"

	"protolab/kvsrv"
	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/services/kv"
	"protolab/tests/history"
)

// Lab 6B's workload for 'lab run kv --engine raft|paxos': the replicated
// key/value store on either engine, clients as in lab 1's runner, the
// history checked with lab 1's porcupine model.

var kvRunner = Runner{Name: "kv", Summary: "lab 6B: the replicated key/value store on Raft or Multi-Paxos (--engine); clients Get and Put five keys; the history must be linearizable",
	Nodes: 5, MinNodes: 1, MaxNodes: 9, Load: 100, MaxLoad: 1000,
	Faults: []string{"partitions", "crashes", "outages"}, Engines: []string{"raft", "paxos"},
	Run: func(r *Run) error {
		e := raft.Engine
		if r.Engine == "paxos" {
			e = paxos.Engine
		}
		return runKV(r, e)
	}}

// kvClients is how many clients share the offered load; kvMaxState is the
// servers' snapshot threshold.
const (
	kvClients  = 5
	kvMaxState = 4000
)

func runKV(r *Run, e replog.Engine) error {
	w := r.W
	servers := make([]int, r.Nodes)
	for i := range servers {
		servers[i] = i
		w.Start(i, func(env labrpc.Env) any { return kv.MakeKVServer(env, e, kvMaxState, kv.ReadIndex).Services() })
	}
	r.StartFaults()
	keys := []string{"a", "b", "c", "d", "e"}
	h := history.New(w)
	results := map[kv.Err]int64{}
	gap := time.Duration(float64(time.Second) * kvClients / r.Load)
	for i := 0; i < kvClients; i++ {
		clnt := w.NewClient()
		ck, rng := kv.MakeClerk(clnt, servers), clnt.Rand()
		w.Go(fmt.Sprint("client", i), func() {
			r.Arrivals(rng, gap, func(n int, _ time.Duration) {
				key := keys[rng.IntN(len(keys))]
				start := w.Now()
				if rng.IntN(2) == 0 {
					op := h.Begin(i, kvsrv.ModelInput{Key: key})
					v, ver, err := ck.Get(key)
					op.End(kvsrv.ModelOutput{Value: v, Version: ver, Err: err})
					results[err]++
				} else {
					_, ver, _ := ck.Get(key)
					value := fmt.Sprintf("%d.%d", i, n)
					op := h.Begin(i, kvsrv.ModelInput{Put: true, Key: key, Value: value, Version: ver})
					err := ck.Put(key, value, ver)
					op.End(kvsrv.ModelOutput{Err: err})
					results[err]++
				}
				r.Latency(w.Now() - start)
			})
		})
	}
	if !w.RunUntilDone(r.For + time.Minute) {
		return fmt.Errorf("the clients had not finished a minute of virtual time after the workload's end")
	}
	r.Count("operations", int64(h.Len()))
	for _, e := range []kv.Err{kv.OK, kv.ErrNoKey, kv.ErrVersion} {
		r.Count(string(e), results[e])
	}
	r.Check("linearizable", history.Linearizable(kvsrv.Model, h.Operations(), 20*time.Second))
	return nil
}
