package gossip

// Push-pull state sync (memberlist's pushPull; SWIM itself has none).
// Two members exchange their whole tables in one round trip and merge
// them. It is how a new member joins (with a seed), and, every
// PushPullInterval with a random member, it repairs whatever
// piggybacking missed: news that ran out of retransmits before reaching
// someone, or a partition during which each side declared the other dead.
//
// For that last case the random member may be one we believe dead: if it
// is alive after all, it hears that it is "dead", refutes with a higher
// incarnation, and the two halves of a healed partition find each other
// again.
//
// Merging treats a remote "dead" as a suspicion (as memberlist does): one
// member's old verdict should not kill a member here without giving it
// the chance to refute.

// PushPullArgs carries the caller's whole table.
type PushPullArgs struct {
	From   int
	Join   bool
	States []Update
}

// PushPullReply carries the callee's whole table.
type PushPullReply struct{ States []Update }

// join syncs with a seed until one answers. A seed alone (no other seed
// to ask) starts the group.
func (s *Swim) join() {
	//lab:solution 3B
	var seeds []int
	for _, id := range s.cfg.Seeds {
		if id != s.me {
			seeds = append(seeds, id)
		}
	}
	if len(seeds) == 0 || s.joined {
		s.joined = true
		return
	}
	seed := seeds[s.env.Rand().IntN(len(seeds))]
	reply := &PushPullReply{}
	s.env.Call(seed, "Swim.PushPull", &PushPullArgs{From: s.me, Join: true, States: s.localState()}, reply, func(ok bool) {
		if ok {
			s.joined = true
			s.mergeState(reply.States, seed)
			return
		}
		s.env.After(s.cfg.ProbeInterval, s.join)
	})
	//lab:stub
	// TODO(3B): unless this member is the only seed, push-pull with a
	// random seed (Join: true) and merge its table; on failure, try again
	// a probe interval later.
	//lab:end
}

// pushPullTick syncs with one random member, alive or not (but not left),
// and comes back after the interval.
func (s *Swim) pushPullTick() {
	s.env.After(s.cfg.PushPullInterval, s.pushPullTick)
	//lab:solution 3B
	var candidates []int
	for _, m := range s.members {
		if m != nil && m.id != s.me && m.state != Left {
			candidates = append(candidates, m.id)
		}
	}
	if len(candidates) == 0 {
		return
	}
	peer := candidates[s.env.Rand().IntN(len(candidates))]
	reply := &PushPullReply{}
	s.env.Call(peer, "Swim.PushPull", &PushPullArgs{From: s.me, States: s.localState()}, reply, func(ok bool) {
		if ok {
			s.mergeState(reply.States, peer)
		}
	})
	//lab:stub
	// TODO(3B): push-pull with a random known member other than me that
	// has not left (dead ones included: see above), and merge its table.
	//lab:end
}

// PushPull merges the caller's table and replies with ours (taken before
// the merge, so that it is our own view).
func (s *Swim) PushPull(args *PushPullArgs, reply *PushPullReply) {
	//lab:solution 3B
	reply.States = s.localState()
	s.mergeState(args.States, args.From)
	//lab:stub
	// TODO(3B): reply with our table, and merge the caller's.
	//lab:end
}

// localState is this member's table as updates, in id order.
func (s *Swim) localState() []Update {
	var out []Update
	for _, m := range s.members {
		if m != nil {
			out = append(out, Update{Member: m.id, State: m.state, Incarnation: m.incarnation, From: s.me})
		}
	}
	return out
}

// mergeState applies a remote table, heard from member from.
func (s *Swim) mergeState(states []Update, from int) {
	//lab:solution 3B
	for _, u := range states {
		u.From = from
		if u.State == Dead {
			u.State = Suspect
		}
		s.apply(u)
	}
	//lab:stub
	// TODO(3B): apply each entry as news from `from`, a Dead one as a
	// Suspect.
	//lab:end
}
