// Package paxos is lab 5: Paxos, in two parts.
//
// Part 5A is the synod protocol, Lamport's single-decree Paxos ("Paxos Made
// Simple", §2), run as many independent instances, one per sequence number.
// A Synod peer plays the three roles of §2.1 for every instance at once:
// proposer (proposer.go), acceptor (acceptor.go) and learner (learner.go).
// An application asks for a value with Start(seq, v), reads the outcome with
// Status(seq), and says with Done(seq) that it no longer needs instances up
// to seq, so that every peer can forget them (forget.go).
//
// Part 5B is Multi-Paxos (§3 of the paper: "implementing a state machine"):
// a replicated log behind the same shape as Raft's (Make, Start, GetState,
// Snapshot, ApplyMsg), so that one service and one test suite run on
// either. A distinguished leader runs phase 1 once for every future slot
// (leader.go), then one round trip of phase 2 per command (replicate.go); a
// new leader adopts what earlier leaders may have chosen and fills the
// holes with no-ops (noop.go); snapshots compact the log (snapshot.go).
//
// Both parts use the same ballots (ballot.go) and keep acceptor state in
// stable storage (persist.go), so that a restarted acceptor never breaks a
// promise. The handout is docs/lab5-paxos.md.
package paxos
