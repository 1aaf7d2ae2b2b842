package paxos

//lab:solution 5B
import "time"

//lab:end

// Electing a leader is phase 1, run once for every slot not yet known to be
// chosen (Paxos Made Simple §3: "the new leader executes phase 1 for
// infinitely many instances"). A follower that hears no leader for an
// election timeout picks a ballot above any it has promised and sends
// Prepare to every acceptor. Each acceptor that promises reports every
// proposal it has accepted from the candidate's first unchosen slot on.
// With promises from a majority the candidate leads: it finishes the slots
// reported (noop.go), and from then on needs only phase 2.
//
// Where Raft elects a leader by votes and keeps it honest by the election
// restriction (only a candidate with every committed entry can win), Paxos
// lets any peer win and makes the winner adopt what was reported instead.

// PrepareLogArgs is phase 1a for every slot from From on.
type PrepareLogArgs struct {
	Ballot Ballot
	From   int // the first slot the candidate does not know to be chosen
}

// PrepareLogReply is phase 1b.
type PrepareLogReply struct {
	Promised Ballot  // args.Ballot if the acceptor promised
	Entries  []Entry // if it promised: what it accepted in slots From and up
	// If the acceptor's snapshot covers slots from From on, it sends the
	// snapshot too: those slots are chosen, but their values are gone from
	// its log.
	SnapshotIndex int
	Snapshot      []byte
}

// becomeFollower makes this peer a follower and (re)starts its election
// timer. A leader or candidate that meets a higher ballot calls it.
func (mp *MultiPaxos) becomeFollower() {
	//lab:solution 5B
	if mp.role != follower {
		mp.env.Logf("state", "role=follower ballot=%v", mp.promised)
	}
	mp.role = follower
	mp.resetElectionTimer()
	mp.abandonReads() // a follower cannot confirm them (readindex.go)
	//lab:stub
	// TODO(5B)
	//lab:end
}

// resetElectionTimer starts a fresh election timeout: a follower calls it
// whenever it hears from a leader with a ballot it accepts.
func (mp *MultiPaxos) resetElectionTimer() {
	//lab:solution 5B
	if mp.cancelElection != nil {
		mp.cancelElection()
	}
	timeout := electionTimeoutMin + time.Duration(mp.env.Rand().Int64N(int64(electionTimeoutMax-electionTimeoutMin)))
	mp.cancelElection = mp.env.After(timeout, mp.campaign)
	//lab:stub
	// TODO(5B): a random timeout in [electionTimeoutMin, electionTimeoutMax) that calls campaign.
	//lab:end
}

// campaign runs phase 1 with a new ballot.
func (mp *MultiPaxos) campaign() {
	//lab:solution 5B
	mp.role = candidate
	mp.ballot = nextBallot(mp.promised, mp.me)
	mp.promises, mp.adopted = 0, map[int]Entry{}
	mp.resetElectionTimer() // if no majority answers in time, campaign again
	mp.env.Logf("state", "role=candidate ballot=%v", mp.ballot)
	args := &PrepareLogArgs{Ballot: mp.ballot, From: mp.commitIndex + 1}
	b := mp.ballot
	for _, p := range mp.peers {
		reply := &PrepareLogReply{}
		call(mp.env, p, "MultiPaxos.Prepare", mp.Prepare, args, reply, func(ok bool) {
			if ok {
				mp.onPromise(b, reply)
			}
		})
	}
	//lab:stub
	// TODO(5B): become a candidate with a ballot above any promised, and send
	// Prepare to every peer, yourself included (call), from your first slot not
	// known to be chosen.
	//lab:end
}

// Prepare is the acceptor's phase 1b, for every slot from args.From on.
func (mp *MultiPaxos) Prepare(args *PrepareLogArgs, reply *PrepareLogReply) {
	//lab:solution 5B
	if mp.promised.Less(args.Ballot) {
		mp.promised = args.Ballot
		mp.persist()
		if args.Ballot != mp.ballot {
			// Someone else campaigns with a higher ballot: give it time.
			mp.becomeFollower()
		}
	}
	reply.Promised = mp.promised
	if mp.promised != args.Ballot {
		return
	}
	if mp.snapshotIndex >= args.From {
		reply.SnapshotIndex, reply.Snapshot = mp.snapshotIndex, mp.snapshot
	}
	for s := max(args.From, mp.snapshotIndex+1); s <= mp.lastSlot(); s++ {
		if sl := mp.slotAt(s); !sl.accepted.IsZero() {
			reply.Entries = append(reply.Entries, Entry{Slot: s, Ballot: sl.accepted, Command: sl.command})
		}
	}
	//lab:stub
	// TODO(5B): promise a higher ballot (persist it; a leader or candidate with
	// a lower one steps down), and report what you accepted from args.From on.
	//lab:end
}

// onPromise handles a reply to phase 1.
func (mp *MultiPaxos) onPromise(b Ballot, reply *PrepareLogReply) {
	//lab:solution 5B
	if mp.role != candidate || mp.ballot != b {
		return // an old campaign's reply
	}
	if reply.Promised != b {
		if b.Less(reply.Promised) {
			mp.promised = maxBallot(mp.promised, reply.Promised)
			mp.persist()
			mp.becomeFollower()
		}
		return
	}
	if reply.SnapshotIndex > mp.commitIndex {
		// The acceptor has compacted slots this candidate never learned:
		// they are chosen, and the snapshot holds their effect.
		mp.installSnapshot(reply.SnapshotIndex, reply.Snapshot)
	}
	for _, e := range reply.Entries {
		if e.Slot <= mp.commitIndex {
			continue
		}
		if prev, ok := mp.adopted[e.Slot]; !ok || prev.Ballot.Less(e.Ballot) {
			mp.adopted[e.Slot] = e
		}
	}
	mp.promises++
	if mp.promises >= majority(len(mp.peers)) {
		mp.becomeLeader()
	}
	//lab:stub
	// TODO(5B): a refusal means a higher ballot: step down. A promise: keep,
	// for each slot, the proposal with the highest ballot reported; with a
	// majority of promises, become the leader (noop.go).
	//lab:end
}
