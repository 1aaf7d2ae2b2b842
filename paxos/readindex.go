package paxos

import (
	"time"

	"protolab/replog"
)

// Part 6B: reads without a log entry, Multi-Paxos's ReadIndex.
//
// Raft's thesis (§6.4) lets a leader answer a read without writing it to the
// log: it notes its commit index, confirms with one round of heartbeats that
// it still leads, and the service reads once it has applied that index.
// Multi-Paxos has the same shape, with a ballot in the term's place:
//
//  1. The read index is the leader's last slot when the read begins. Every
//     write that completed before the read is at or below it: a write of this
//     leader's ballot has a slot it gave out; a write chosen in a lower ballot
//     is at or below the commit point the leader campaigned from, or was
//     reported in its phase 1 (a majority promised, and each reported what it
//     had accepted), so the leader put it again in a slot of its log
//     (noop.go). Raft needs an entry of the leader's own term
//     committed first (§5.4.2); here the slots a new leader adopted play that
//     part, and they are in its log from its first moment as leader.
//  2. The leader sends a round of Accepts (heartbeats) carrying its ballot.
//     An acceptor answers with its promise; a majority that answers, to
//     Accepts sent after the read began, with no promise above the leader's
//     ballot shows that no higher ballot had a majority of promises when the
//     read began. A write of a higher ballot needs such a majority before it
//     can be chosen, so none had completed.
//  3. The read is answered once the leader has also learned that every slot
//     up to the read index is chosen (its commitIndex reached it): the
//     service has applied them, and its state reflects every completed write.
//
// A leader cut off from the majority does not know it (it steps down only
// when it hears a higher ballot), so a read that is not confirmed within
// readTimeout fails, and the client tries another peer.
//
// Concurrent reads share the rounds: a read that begins while a round is on
// its way waits for the next one, which goes as soon as the one before it is
// answered (or with the regular heartbeat, which confirms reads too).
//
// Why it is sound where a lease would not be: it trusts no clock. A leader
// cut off from the majority keeps its role until it hears a higher ballot,
// and it may well believe it leads; but its Accepts reach no majority, so its
// reads wait, and fail when it steps down or after readTimeout.

// Multi-Paxos offers reads without a log entry to the services of lab 6.
var _ replog.Reader = (*MultiPaxos)(nil)

// readTimeout is how long a read may wait for a majority: an election
// timeout, after which another peer has likely taken over.
const readTimeout = electionTimeoutMax

// readState is what a leader keeps for ReadIndex.
type readState struct {
	//lab:solution 6B
	pending []pendingRead   // reads not yet answered, in the order they began
	ackedAt []time.Duration // ackedAt[p]: the latest send time of an Accept p answered without a higher promise
	roundAt time.Duration   // when the latest round sent for reads went (-1: none yet)
	//lab:stub
	// TODO(6B): the reads waiting for a majority, and what each acceptor
	// has confirmed.
	//lab:end
}

// pendingRead is a read that waits for confirmation and for its slots to be chosen.
type pendingRead struct {
	at    time.Duration // when ReadIndex was called
	index int           // the leader's last slot then
	done  func(index int, ok bool)
}

// ReadIndex asks this peer, which must lead, to confirm that its ballot is
// still the highest a majority has promised, and then calls done(index, true):
// every slot up to index is chosen and applied here, and the service's state
// as of index reflects every write that completed before ReadIndex was
// called. done(0, false): this peer does not lead, or it stepped down before
// a majority confirmed it, or none did within readTimeout; the service
// answers "wrong leader". done runs
// exactly once, from one of this peer's events (possibly before ReadIndex
// returns, in a group of one). No slot is used: a read writes nothing.
func (mp *MultiPaxos) ReadIndex(done func(index int, ok bool)) {
	//lab:solution 6B
	if mp.role != leader {
		done(0, false)
		return
	}
	rs := &mp.reads
	if rs.ackedAt == nil {
		rs.ackedAt = make([]time.Duration, len(mp.peers))
		rs.roundAt = -1
	}
	now := mp.env.Now()
	rs.pending = append(rs.pending, pendingRead{at: now, index: mp.lastSlot(), done: done})
	mp.env.After(readTimeout, mp.expireReads)
	mp.confirmReads() // sends a round, or (in a group of one) answers at once
	//lab:stub
	// TODO(6B): Raft thesis §6.4 with a ballot for the term: as the leader,
	// note your last slot as the read index, send a round of Accepts
	// (heartbeats), and call done once a majority has answered one sent
	// after this call without a higher promise, and every slot up to the
	// read index is chosen (confirmReads). The Accept callback calls
	// readConfirmed and becomeFollower calls abandonReads already; a read
	// unconfirmed for readTimeout fails (expireReads). Until then reads fail:
	//> done(0, false)
	//lab:end
}

// readConfirmed records that acceptor p answered, in ballot b, an Accept
// sent at time sent without having promised a higher ballot: p still
// recognised this leader then. It sees whether pending reads are now
// confirmed. The callback of every Accept calls it, after onAccepted; it
// changes nothing while no read is pending.
func (mp *MultiPaxos) readConfirmed(p int, b Ballot, sent time.Duration) {
	//lab:solution 6B
	rs := &mp.reads
	if mp.role != leader || mp.ballot != b || rs.ackedAt == nil {
		return
	}
	// ackedAt may hold times from an earlier ballot of this peer: they are
	// before any read of this ballot began, so they confirm none.
	if sent > rs.ackedAt[p] {
		rs.ackedAt[p] = sent
	}
	mp.confirmReads()
	//lab:end
}

// confirmReads answers the pending reads that a majority (this leader
// included) confirmed with Accepts sent at or after the read began, and
// whose slots are all chosen. If reads remain that the last round cannot
// confirm (they began after it went), it sends the next round.
func (mp *MultiPaxos) confirmReads() {
	//lab:solution 6B
	rs := &mp.reads
	for len(rs.pending) > 0 {
		r := rs.pending[0]
		confirmed := 1
		for _, p := range mp.peers {
			if p != mp.me && rs.ackedAt[p] >= r.at {
				confirmed++
			}
		}
		if confirmed < majority(len(mp.peers)) || mp.commitIndex < r.index {
			break // later reads began later, with indexes no lower
		}
		rs.pending = rs.pending[1:]
		r.done(r.index, true)
		if mp.role != leader {
			return // done stepped this peer down (abandonReads failed the rest)
		}
	}
	if len(rs.pending) > 0 && !mp.readRoundOut() {
		mp.sendReadRound()
	}
	//lab:end
}

// readRoundOut reports whether the latest round sent for reads can still
// confirm the oldest pending read: it went at or after that read began.
func (mp *MultiPaxos) readRoundOut() bool {
	//lab:solution 6B
	return len(mp.reads.pending) > 0 && mp.reads.roundAt >= mp.reads.pending[0].at
	//lab:stub
	// TODO(6B)
	//> return false
	//lab:end
}

// sendReadRound sends every follower an Accept now (what it lacks, or a
// heartbeat): the round that confirms the reads pending.
func (mp *MultiPaxos) sendReadRound() {
	//lab:solution 6B
	mp.reads.roundAt = mp.env.Now()
	for _, p := range mp.peers {
		if p != mp.me {
			mp.replicateTo(p)
		}
	}
	//lab:end
}

// expireReads fails the reads that have waited readTimeout.
func (mp *MultiPaxos) expireReads() {
	//lab:solution 6B
	rs := &mp.reads
	for len(rs.pending) > 0 && mp.env.Now()-rs.pending[0].at >= readTimeout {
		r := rs.pending[0]
		rs.pending = rs.pending[1:]
		mp.env.Logf("read", "a read begun at %v had no majority within %v", r.at, readTimeout)
		r.done(0, false)
	}
	//lab:end
}

// abandonReads fails every pending read: this peer no longer leads, so it
// cannot confirm them. becomeFollower calls it.
func (mp *MultiPaxos) abandonReads() {
	//lab:solution 6B
	pending := mp.reads.pending
	mp.reads.pending = nil
	for _, r := range pending {
		r.done(0, false)
	}
	//lab:end
}
