package raft

import (
	"time"

	"protolab/labrpc"
)

// What the leader knows of each follower.
//
// Figure 2 keeps it as two arrays, nextIndex[] and matchIndex[] ("Volatile
// state on leaders, reinitialized after election"). The extensions add more
// per follower: what is on its way to it (part 4F) and when it last answered
// (part 4E). Kept as parallel arrays, each change to a follower would have to
// touch several of them together; so, as in etcd's raft (tracker.Progress),
// they are one record per follower: rf.progress[p] is peer p's, with Figure
// 2's names for Figure 2's fields. Where the handout writes nextIndex[p], the
// code reads rf.progress[p].nextIndex.

// A progress is what the leader knows of one follower. becomeLeader makes one
// for every peer (its own included: its matchIndex is the leader's last
// index, which majorityMatch counts), and they last as long as the
// leadership.
type progress struct {
	// Figure 2.
	nextIndex  int // index of the next log entry to send to that server (initialized to leader last log index + 1)
	matchIndex int // index of highest log entry known to be replicated on server (initialized to 0, increases monotonically)

	// Part 4F (pipeline.go): how entries go to this follower, and the
	// batches on their way.
	mode        mode
	sentIndex   int           // last index sent in a batch (or snapshot) not yet answered, 0 if none
	sentAt      time.Duration // when the last batch went
	batchQueued bool          // a timer will send the next batch at the end of the batch window

	// Part 4E: the follower's answers, which keep the leader's lease on its
	// leadership. Both move only forward; they differ in which time counts.
	ackedAt time.Duration // the latest send time of a message it has answered (ReadIndex, thesis §6.4)
	heardAt time.Duration // when it last answered anything (CheckQuorum, thesis §6.2)
}

// A mode says how the leader sends a follower its entries (part 4F,
// pipeline.go). Until 4F every follower stays in probe, and nothing reads it.
type mode int

const (
	// probe: the leader does not know that the follower's log matches its
	// own (a new term, a refusal, a lost batch, a snapshot on its way). It
	// sends one batch at a time, from nextIndex, and waits for the answer
	// (or a heartbeat interval) before the next one.
	probe mode = iota
	// replicate: the follower answered with success, so its log matches up
	// to what it acknowledged. Batches are pipelined: the next one goes out
	// a batch window after the last, without waiting for the answer.
	replicate
)

func (m mode) String() string { return [...]string{"probe", "replicate"}[m] }

// checkProgress states what holds of the leader's record of follower p each
// time it sends p something: p has everything up to matchIndex, and is sent
// from nextIndex on, so matchIndex < nextIndex; and nextIndex is at most one
// past the leader's last entry, since a leader only appends to its log
// (Leader Append-Only, §5.3). A reply that moved nextIndex back below what p
// is known to store, or past what the leader has, breaks it.
func (rf *Raft) checkProgress(p int) {
	if p < 0 || p >= len(rf.progress) {
		labrpc.Violated("a leader has a progress for every peer (becomeLeader)",
			"rf.progress has %d records, and none for n%d: make one per peer in becomeLeader", len(rf.progress), p)
	}
	pr := rf.progress[p]
	if pr.matchIndex >= pr.nextIndex || pr.nextIndex > rf.log.lastIndex()+1 {
		labrpc.Violated("matchIndex[p] < nextIndex[p] <= the leader's last index + 1 (Figure 2; Leader Append-Only, §5.3)",
			"the leader's record of n%d has matchIndex %d and nextIndex %d, with the leader's last index %d", p, pr.matchIndex, pr.nextIndex, rf.log.lastIndex())
	}
}
