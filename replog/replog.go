// Package replog is the replicated-log contract: what a consensus engine
// with Raft's shape offers the service on top of it, and the checker that
// holds every engine to it. Lab 4's Raft and lab 5B's Multi-Paxos both meet
// it, and so will lab 6's services and lab 7's groups, whichever engine they
// run on: two engines, one contract.
//
// It imports no testing: the tool, demos and benchmarks use it as tests do.
// The shared scenarios that run on any engine are in tests/replog; the
// cluster harness a service runs on is replog/harness.
//
// An engine is described by an Engine: its name and a boot function that
// makes a peer from the node's Env, its Persister and an apply function.
// Each engine package exports its own once (raft.Engine, paxos.Engine), and
// declares its apply message as this package's Msg:
//
//	type ApplyMsg = replog.Msg
//
// The contract, which both engines meet:
//
//   - Start(cmd) on the peer that believes it leads returns the index the
//     command will have if it commits, the leader's term (Raft) or ballot
//     (Multi-Paxos, as one number), and true; elsewhere it returns false.
//     GetState reports the same term or ballot and whether the peer leads;
//     at most one peer leads with any one term or ballot.
//   - apply is called from the peer's own event handlers with each committed
//     command, in index order from 1, each index once per incarnation; never
//     from inside Start, whose caller waits for the index Start returns (a
//     group of one commits alone, in an event of its own after Start). A new
//     incarnation that has a snapshot hands it over first (SnapshotValid),
//     before Make returns, then continues from the index after it; so does a
//     peer that installs a snapshot from another.
//   - Snapshot(index, data) says that the service's state up to index is in
//     data; the engine may then drop its log up to index, and must hand data
//     back after a restart.
//
// The invariants, which a Checker checks as it is told what happens:
//
//   - at most one peer leads with one term or ballot (election safety: Raft
//     §5.2; a ballot has one owner, Paxos Made Simple §2.2);
//   - no two peers apply different commands at one index (state-machine
//     safety: Raft §5.4.3; Paxos Made Simple §3, one value per instance);
//   - each peer applies indexes in order, with no gap and no repeat; a
//     snapshot it installs holds exactly the commands committed up to it;
//     and a peer that restarts starts from its latest snapshot, not before.
package replog

import "protolab/labrpc"

// Msg is what an engine hands its service through apply: Raft's ApplyMsg,
// field for field, under the names of MIT 6.5840's lab (raft and paxos
// declare ApplyMsg as an alias of it, with their own notes). A Multi-Paxos
// no-op is a command like any other here.
//
// CommandValid: the command at CommandIndex is committed; apply it.
// SnapshotValid: replace the service's state with Snapshot, which covers
// every index up to SnapshotIndex (whose term, for Raft, is SnapshotTerm).
type Msg struct {
	CommandValid bool
	Command      any
	CommandIndex int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int
	SnapshotIndex int
}

// Peer is the face of one consensus peer that a service uses.
type Peer interface {
	Start(command any) (index int, term int, isLeader bool)
	GetState() (term int, isLeader bool)
	Snapshot(index int, snapshot []byte)
}

// Reader is what a Peer may also offer: linearizable reads without a log
// entry (Raft's ReadIndex, Ongaro's thesis §6.4; lab 4E for Raft, lab 6B for
// Multi-Paxos, which both implement it). A service finds it with a type
// assertion:
//
//	r, ok := peer.(replog.Reader)
//
// ReadIndex(done) calls done exactly once, from one of the peer's own
// events (possibly before ReadIndex returns):
//
//   - done(index, true): this peer led when ReadIndex was called, confirmed
//     it by hearing from a majority after the call (Raft: answers to
//     AppendEntries in its term; Multi-Paxos: answers to Accepts from
//     acceptors that promised no higher ballot), and every command committed
//     before the call is at or below index.
//   - done(0, false): it does not lead, it has not committed an entry of its
//     own term yet (Raft, until its first write of the term commits), or it
//     lost leadership or found no majority before the read was confirmed.
//     The service answers ErrWrongLeader and the client tries elsewhere.
//
// How a service serves a read with it (lab 6B): call ReadIndex; in done,
// with ok, wait until the service has applied every index up to index
// (apply may still be behind: wait for it, as for a write), then answer
// from the service's own state. Nothing is written to the log, and the
// read's answer is linearizable: the state as of index holds every write
// that completed before the read began.
type Reader interface {
	ReadIndex(done func(index int, ok bool))
}

// Engine is one consensus engine, as a service boots it.
type Engine struct {
	// Name names the engine in reports: "raft", "multipaxos".
	Name string
	// Boot makes a peer; it is called once per incarnation of each node.
	// The peer must be the node's RPC service (a pointer to the engine's
	// struct), as labrpc.Boot requires.
	Boot func(env labrpc.Env, persister *labrpc.Persister, apply func(Msg)) Peer
	// SnapshotEvery, if positive, makes the service snapshot its state
	// every SnapshotEvery indexes it applies. Zero: no snapshots (an
	// engine without log compaction yet).
	SnapshotEvery int
}

// WithSnapshots is e with the service snapshotting every n indexes.
func (e Engine) WithSnapshots(n int) Engine {
	e.SnapshotEvery = n
	return e
}
