package paxos

// A new leader's first duty (Paxos Made Simple §3). For every slot after the
// ones it knows to be chosen, it must propose the value of the highest-ballot
// proposal that the promises reported, exactly as a single-decree proposer
// must (§2.2): that value may have been chosen under an earlier leader, and
// only a majority's promises can tell. It runs phase 2 for those slots in its
// own ballot.
//
// Some slots may have no proposal reported at all: holes. They exist because
// a leader sends commands for many slots at once, so the accepts for a later
// slot can reach a majority while those of an earlier one are lost, and then
// the leader fails. No value can have been chosen in a hole (a majority
// would have reported it), so the new leader proposes a no-op there. It
// cannot leave the hole open: the slots after it are applied in order, and
// would wait forever. Raft has no holes, because a Raft leader only appends
// and a follower's log never has a gap.

// becomeLeader starts leading after a majority has promised mp.ballot.
func (mp *MultiPaxos) becomeLeader() {
	//lab:solution 5B
	mp.role = leader
	mp.env.Logf("state", "role=leader ballot=%v", mp.ballot)
	if mp.cancelElection != nil {
		mp.cancelElection()
		mp.cancelElection = nil
	}
	start, last := mp.commitIndex+1, mp.lastSlot()
	for s := range mp.adopted {
		last = max(last, s)
	}
	for i := range mp.log {
		mp.log[i].acks = 0 // acceptances in earlier ballots count for nothing now
	}
	holes := 0
	for s := start; s <= last; s++ {
		sl := mp.slotAt(s)
		switch e, reported := mp.adopted[s]; {
		case sl.chosen:
			// Known to be chosen: propose it again so that every acceptor
			// has it in this ballot.
		case reported:
			sl.command = e.Command
		default:
			sl.command = Noop{Slot: s}
			holes++
		}
		sl.accepted, sl.acks = mp.ballot, 1<<mp.me
	}
	mp.adopted = nil
	mp.persist()
	mp.env.Logf("lead", "%v, slots %d-%d, %d no-op", mp.ballot, start, last, holes)
	mp.trackFollowers(start)
	for s := start; s <= last; s++ {
		mp.countAcks(s) // with one peer, this peer's acceptance is a majority
	}
	for _, p := range mp.peers {
		if p != mp.me {
			mp.replicateTo(p)
		}
	}
	mp.heartbeat(mp.ballot)
	//lab:stub
	// TODO(5B): for every slot after commitIndex up to the highest reported,
	// propose (in your ballot, accepting it yourself) the highest-ballot value
	// reported, or a Noop for a hole. Then send them to every follower
	// (replicate.go) and start the heartbeats.
	//lab:end
}
