package stories

import (
	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/services/kv"
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
	return runVersioned(r, kvClients, func(c labrpc.Client) versionedClerk { return kv.MakeClerk(c, servers) },
		kv.OK, kv.ErrNoKey, kv.ErrVersion)
}
