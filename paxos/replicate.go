package paxos

//lab:solution 5B
import (
	"math/bits"
	"time"
)

//lab:end

// Phase 2 (Paxos Made Simple §3). Once a leader, a peer sends each command to
// every acceptor in its ballot; an acceptor accepts unless it has promised a
// higher ballot. A slot is chosen when a majority has accepted it in one
// ballot: one round trip, 2 × (peers − 1) messages per command, as long as
// the leader keeps its ballot.
//
// The same Accept message carries everything else a follower needs: it is
// the heartbeat (an Accept with no slots), and it tells the commit point, the
// slot up to which the leader knows every slot to be chosen. A follower may
// take a slot up to that point as chosen only if it accepted that slot in the
// leader's ballot: then it holds the very value the leader proposed. A slot
// it accepted in an older ballot may hold another value, one that was never
// chosen; Raft's Log Matching Property rules that out for Raft, but nothing
// like it holds here. So the leader sends such slots again (catch-up).

// AcceptLogArgs is phase 2a for the slots in Entries (none: a heartbeat).
type AcceptLogArgs struct {
	Ballot  Ballot
	Entries []Entry
	Commit  int // the leader knows every slot up to Commit to be chosen
}

// AcceptLogReply is phase 2b.
type AcceptLogReply struct {
	Promised Ballot // args.Ballot if the acceptor accepted
	Commit   int    // the acceptor's commitIndex after the request
}

// Accept is the acceptor's phase 2b, and a follower's view of its leader.
func (mp *MultiPaxos) Accept(args *AcceptLogArgs, reply *AcceptLogReply) {
	//lab:solution 5B
	if args.Ballot.Less(mp.promised) {
		reply.Promised, reply.Commit = mp.promised, mp.commitIndex
		return // an old leader: the reply tells it so
	}
	mp.follow(args.Ballot)
	accepted := false
	for _, e := range args.Entries {
		if e.Slot > mp.snapshotIndex {
			// A slot already known to be chosen is accepted again too: the
			// value is the same, and the leader counts on this peer holding
			// it in its ballot (learnUpTo, replicateTo).
			sl := mp.slotAt(e.Slot)
			sl.accepted, sl.command = args.Ballot, e.Command
			accepted = true
		}
	}
	if accepted {
		mp.persist()
	}
	mp.learnUpTo(args.Commit, args.Ballot)
	reply.Promised, reply.Commit = mp.promised, mp.commitIndex
	//lab:stub
	// TODO(5B): refuse a ballot below your promise. Otherwise follow its leader
	// (follow), accept the entries (persist before replying), and learn the
	// slots up to args.Commit that you accepted in args.Ballot (learnUpTo).
	//lab:end
}

// follow records that a leader with ballot b (at least the promised one) is
// alive: this peer promises b, steps down if it campaigned or led with a
// lower ballot, and restarts its election timer.
func (mp *MultiPaxos) follow(b Ballot) {
	//lab:solution 5B
	if mp.promised != b {
		mp.promised = b
		mp.persist()
	}
	if mp.role != follower && mp.ballot != b {
		mp.becomeFollower()
		return
	}
	if mp.role == follower {
		mp.resetElectionTimer()
	}
	//lab:stub
	// TODO(5B)
	//lab:end
}

// learnUpTo marks as chosen the slots up to commit that this peer accepted
// in ballot b, the ballot of the leader that says they are chosen.
func (mp *MultiPaxos) learnUpTo(commit int, b Ballot) {
	//lab:solution 5B
	for s := mp.commitIndex + 1; s <= min(commit, mp.lastSlot()); s++ {
		if sl := mp.slotAt(s); sl.accepted == b {
			sl.chosen = true
		}
	}
	mp.advanceCommit()
	//lab:stub
	// TODO(5B): a slot up to commit is chosen here only if you accepted it in
	// ballot b; then advance commitIndex and apply.
	//lab:end
}

// trackFollowers resets a new leader's view of its followers: it will send
// each the slots from start on, and does not know what they have learned.
func (mp *MultiPaxos) trackFollowers(start int) {
	//lab:solution 5B
	mp.next = make([]int, len(mp.peers))
	mp.learned = make([]int, len(mp.peers))
	mp.lastSent = make([]time.Duration, len(mp.peers))
	for _, p := range mp.peers {
		mp.next[p], mp.learned[p] = start, -1
	}
	//lab:stub
	// TODO(5B)
	//lab:end
}

// replicateTo sends follower p what it lacks: the slots from next[p] on,
// after any slot up to the commit point that p has neither learned nor
// accepted in this ballot. With nothing to send it is a heartbeat.
func (mp *MultiPaxos) replicateTo(p int) {
	//lab:solution 5B
	from := mp.next[p]
	if mp.learned[p] >= 0 {
		for s := mp.learned[p] + 1; s < from && s <= mp.commitIndex; s++ {
			if s <= mp.snapshotIndex || mp.slotAt(s).acks&(1<<p) == 0 {
				from = s
				break
			}
		}
	}
	if from <= mp.snapshotIndex {
		mp.sendSnapshot(p)
		return
	}
	to := min(mp.lastSlot(), from+maxBatch-1)
	args := &AcceptLogArgs{Ballot: mp.ballot, Commit: mp.commitIndex}
	for s := from; s <= to; s++ {
		args.Entries = append(args.Entries, Entry{Slot: s, Ballot: mp.ballot, Command: mp.slotAt(s).command})
	}
	mp.next[p] = max(mp.next[p], to+1)
	mp.lastSent[p] = mp.env.Now()
	b, sent := mp.ballot, mp.lastSent[p]
	reply := &AcceptLogReply{}
	mp.env.Call(p, "MultiPaxos.Accept", args, reply, func(ok bool) {
		mp.onAccepted(p, b, from, to, reply, ok)
		if ok && reply.Promised == b {
			mp.readConfirmed(p, b, sent) // p still followed b after sent (readindex.go)
		}
	})
	//lab:stub
	// TODO(5B): send p an Accept with the slots it lacks (at most maxBatch),
	// your ballot and your commitIndex; a snapshot if they are compacted.
	//lab:end
}

// onAccepted handles a follower's reply to Accept for slots from..to.
func (mp *MultiPaxos) onAccepted(p int, b Ballot, from, to int, reply *AcceptLogReply, ok bool) {
	//lab:solution 5B
	if mp.role != leader || mp.ballot != b {
		return
	}
	if !ok {
		mp.next[p] = min(mp.next[p], from) // send them again with the next heartbeat
		return
	}
	if reply.Promised != b {
		mp.stepDown(reply.Promised)
		return
	}
	mp.learned[p] = reply.Commit // the latest word: a restarted follower knows less than before
	for s := max(from, mp.snapshotIndex+1); s <= min(to, mp.lastSlot()); s++ {
		mp.slotAt(s).acks |= 1 << p
	}
	for s := from; s <= to; s++ {
		mp.countAcks(s) // may apply, and the service may then cut the log
	}
	if to-from+1 == maxBatch && mp.next[p] <= mp.lastSlot() {
		mp.replicateTo(p) // a long catch-up goes on at once
	}
	//lab:stub
	// TODO(5B): a refusal means a higher ballot: step down. Otherwise count the
	// acceptances (countAcks) and note what p has learned.
	//lab:end
}

// countAcks marks slot s chosen once a majority has accepted it in this
// leader's ballot, and moves the commit point.
func (mp *MultiPaxos) countAcks(s int) {
	//lab:solution 5B
	if s <= mp.snapshotIndex || s > mp.lastSlot() {
		return
	}
	sl := mp.slotAt(s)
	if !sl.chosen && bits.OnesCount64(sl.acks) >= majority(len(mp.peers)) {
		sl.chosen = true
		mp.advanceCommit()
	}
	//lab:stub
	// TODO(5B)
	//lab:end
}

// stepDown ends this peer's leadership: an acceptor has promised a higher
// ballot.
func (mp *MultiPaxos) stepDown(higher Ballot) {
	//lab:solution 5B
	mp.env.Logf("outbid", "%v by %v", mp.ballot, higher)
	if mp.promised.Less(higher) {
		mp.promised = higher
		mp.persist()
	}
	mp.becomeFollower()
	//lab:stub
	// TODO(5B)
	//lab:end
}

// heartbeat runs every heartbeatInterval while this peer leads with ballot
// b, and sends each follower that has had nothing for a while what it lacks,
// or an empty Accept.
func (mp *MultiPaxos) heartbeat(b Ballot) {
	//lab:solution 5B
	if mp.role != leader || mp.ballot != b {
		return
	}
	for _, p := range mp.peers {
		if p != mp.me && mp.env.Now()-mp.lastSent[p] >= heartbeatInterval {
			mp.replicateTo(p)
		}
	}
	mp.env.After(heartbeatInterval/2, func() { mp.heartbeat(b) })
	//lab:stub
	// TODO(5B)
	//lab:end
}
