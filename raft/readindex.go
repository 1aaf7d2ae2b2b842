package raft

import (
	"time"

	"protolab/replog"
)

// ReadIndex: linearizable reads without writing to the log (thesis §6.4).
//
// A leader cannot answer a read from its own state straight away: a newer
// leader may have been elected and have committed writes it has not seen. It
// could put the read in the log, which costs a write to disk on a majority.
// ReadIndex costs one round of heartbeats instead:
//
//  1. The leader must have committed an entry of its own term, so that its
//     commitIndex is at least every index committed before (§5.4.2 and
//     thesis §6.4 step 1). Until then ReadIndex fails rather than waits:
//     this Raft appends no no-op when elected (the tests count indexes from
//     1), so with no write coming the wait could last for ever. A service
//     that needs reads early puts a no-op of its own in the log.
//  2. It records its commitIndex as the read index.
//  3. It sends a round of heartbeats; once a majority has answered messages
//     sent after the read began, no newer leader had been elected when the
//     read began, so no write the read must see lies beyond the read index.
//     Concurrent reads share rounds (confirmReads).
//  4. The service may answer the read from its state as of the read index.
//     Entries are applied as they commit, so it already is.

// Raft offers reads without a log entry to the services of lab 6.
var _ replog.Reader = (*Raft)(nil)

type pendingRead struct {
	at    time.Duration // when ReadIndex was called
	index int
	done  func(index int, ok bool)
}

// ReadIndex asks this peer, which must lead, to confirm that it still leads,
// and then calls done(readIndex, true): the service's state as of readIndex
// (which it has already applied) reflects every write that completed before
// ReadIndex was called. done(0, false) means this peer does not lead, has not
// yet committed an entry of its term, or lost leadership before a majority
// confirmed it: try another peer, or later. done runs exactly once, possibly
// before ReadIndex returns. No log entry is written.
func (rf *Raft) ReadIndex(done func(index int, ok bool)) {
	//lab:solution 4E
	if rf.role != leader || rf.log.term(rf.commitIndex) != rf.currentTerm {
		done(0, false)
		return
	}
	rf.reads = append(rf.reads, pendingRead{at: rf.env.Now(), index: rf.commitIndex, done: done})
	rf.confirmReads() // sends a round of heartbeats, or (in a group of one) answers at once
	//lab:stub
	// TODO(4E): thesis §6.4: check that this peer leads and has committed
	// an entry of its term, note commitIndex as the read index, and let
	// confirmReads send a round of heartbeats and call done once a majority
	// has answered one sent after this call.
	//> done(0, false)
	//lab:end
}

// confirmReads completes the pending reads that a majority has confirmed:
// those for which a majority (this leader included) answered a message sent
// at or after the read began. Then, if reads remain that no round sent so far
// can confirm (they began after the latest one went), it sends the next
// round. So concurrent reads share rounds: a read that begins while a round
// is on its way waits for its answers (or for the regular heartbeat, which
// confirms reads too) and goes with the next one; N reads begun together
// cost one round.
func (rf *Raft) confirmReads() {
	//lab:solution 4E
	for len(rf.reads) > 0 {
		r := rf.reads[0]
		confirmed := 1
		for _, p := range rf.peers {
			if p != rf.me && rf.progress[p].ackedAt >= r.at {
				confirmed++
			}
		}
		if confirmed < quorum(len(rf.peers)) {
			break // later reads began later: not confirmed either
		}
		rf.reads = rf.reads[1:]
		r.done(r.index, true)
	}
	if rf.role == leader && len(rf.reads) > 0 && rf.readRoundAt < rf.reads[0].at {
		rf.readRoundAt = rf.env.Now()
		for _, p := range rf.peers {
			if p != rf.me {
				rf.sendAppendEntries(p)
			}
		}
	}
	//lab:stub
	// TODO(4E): call done(index, true) for each read a majority confirmed,
	// then send a round of heartbeats if reads remain that began after the
	// latest round went (readRoundAt).
	//lab:end
}
