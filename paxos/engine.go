package paxos

import (
	"protolab/labrpc"
	"protolab/replog"
)

// Engine is Multi-Paxos (part 5B) as the replicated-log contract
// (protolab/replog) names an engine: what the shared scenarios
// (tests/replog), the cluster harness (replog/harness), lab 6's services and
// `lab run paxos` boot, as they boot Raft. Its service takes no snapshots;
// Engine.WithSnapshots(n) is one that does, every n indexes.
var Engine = replog.Engine{Name: "multipaxos", Boot: bootEngine}

func bootEngine(env labrpc.Env, persister *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
	return Make(env, persister, apply)
}
