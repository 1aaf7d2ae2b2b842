// Package replog is the replicated-log suite: one set of scenarios and
// invariants that runs on any consensus engine with Raft's shape, so that
// lab 4's Raft and lab 5B's Multi-Paxos are held to one contract. Two
// engines, one contract.
//
// An engine is described by an Engine: its name and a boot function that
// makes a peer from the node's Env, its Persister and an apply function, and
// adapts the engine's own ApplyMsg to Msg. A lab's test file runs the
// scenarios on it:
//
//	var engine = replog.Engine{Name: "multipaxos", Boot: func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
//		return paxos.Make(env, p, func(m paxos.ApplyMsg) { apply(replog.Msg(m)) })
//	}}
//
//	func TestReplogBasicAgreement5B(t *testing.T) { replog.TestBasicAgreement(t, engine) }
//
// The contract, which both engines meet:
//
//   - Start(cmd) on the peer that believes it leads returns the index the
//     command will have if it commits, the leader's term (Raft) or ballot
//     (Multi-Paxos, as one number), and true; elsewhere it returns false.
//     GetState reports the same term or ballot and whether the peer leads;
//     at most one peer leads with any one term or ballot.
//   - apply is called from the peer's own event handlers with each committed
//     command, in index order from 1, each index once per incarnation. A new
//     incarnation that has a snapshot hands it over first (SnapshotValid),
//     then continues from the index after it; so does a peer that installs a
//     snapshot from another.
//   - Snapshot(index, data) says that the service's state up to index is in
//     data; the engine may then drop its log up to index.
//
// The invariants, checked after every event of every scenario:
//
//   - no two peers apply different commands at one index (state-machine
//     safety: Raft §5.4.3; Paxos Made Simple §3, one value per instance);
//   - each peer applies indexes in order, with no gap and no repeat, and a
//     snapshot it installs holds exactly the commands committed up to it.
//
// The scenarios (basic agreement, leader failure, partitions, concurrent
// starts, crash and restart, unreliable churn, snapshots) are the exported
// Test functions of this package; Measure runs the steady-state workload of
// the benchmarks.
package replog

import "protolab/labrpc"

// Msg is what an engine hands its service: Raft's ApplyMsg, field for field.
// A Multi-Paxos no-op is a command like any other here.
type Msg struct {
	CommandValid bool
	Command      any
	CommandIndex int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

// Peer is the face of one consensus peer that a service (and this suite)
// uses.
type Peer interface {
	Start(command any) (index int, term int, isLeader bool)
	GetState() (term int, isLeader bool)
	Snapshot(index int, snapshot []byte)
}

// Engine is one consensus engine under test.
type Engine struct {
	// Name names the engine in reports: "raft", "multipaxos".
	Name string
	// Boot makes a peer; it is called once per incarnation of each node.
	// The peer must be the node's RPC service (a pointer to the engine's
	// struct), as labrpc.Boot requires.
	Boot func(env labrpc.Env, persister *labrpc.Persister, apply func(Msg)) Peer
	// SnapshotEvery, if positive, makes the suite's service snapshot its
	// state every SnapshotEvery indexes it applies. Zero: no snapshots
	// (an engine without log compaction yet). TestSnapshots uses 10 if it
	// is zero.
	SnapshotEvery int
}
