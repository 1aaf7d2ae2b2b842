package raft

import (
	"protolab/labrpc"
	"protolab/replog"
)

// Engine is Raft as the replicated-log contract (protolab/replog) names an
// engine: what the shared scenarios (tests/replog), the cluster harness
// (replog/harness), lab 6's services and `lab run raft` boot. Its service
// takes no snapshots; Engine.WithSnapshots(n) is one that does, every n
// indexes (part 4D).
var Engine = replog.Engine{Name: "raft", Boot: bootEngine}

func bootEngine(env labrpc.Env, persister *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
	return Make(env, persister, apply)
}
