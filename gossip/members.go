package gossip

// The member table and the rules that change it (SWIM §4.2, and
// memberlist's aliveNode, suspectNode and deadNode). News about a member
// is ordered by its incarnation number, which only that member raises:
//
//	Alive(i)   overrides Suspect(j) and Alive(j)   if i > j
//	Suspect(i) overrides Alive(j)                  if i >= j
//	Dead(i)    overrides Alive(j) and Suspect(j)   if i >= j
//
// So a suspicion can be lifted only by the suspect itself, by announcing a
// higher incarnation (refutation); and a member declared dead comes back
// only by rejoining with a higher incarnation than the one it died with.
// News that changes the table is queued to be passed on (dissemination.go).

// MemberInfo is one row of a member's table, for tests and tools.
type MemberInfo struct {
	ID          int
	State       State
	Incarnation uint64
}

// Members lists the members this member believes are in the group, itself
// included, alive or suspected, in id order.
func (s *Swim) Members() []int {
	var ids []int
	for _, m := range s.members {
		if m != nil && inGroup(m.state) {
			ids = append(ids, m.id)
		}
	}
	return ids
}

// Lookup returns what this member believes of member id.
func (s *Swim) Lookup(id int) (MemberInfo, bool) {
	if id < 0 || id >= len(s.members) || s.members[id] == nil {
		return MemberInfo{}, false
	}
	m := s.members[id]
	return MemberInfo{ID: m.id, State: m.state, Incarnation: m.incarnation}, true
}

// numMembers is the group's size as this member sees it: the n of the
// log n in retransmit limits and suspicion timeouts. Every message asks
// for it, so it is a count kept by addMember and setState, not a pass
// over the table (which made each message cost O(n)).
func (s *Swim) numMembers() int { return s.groupSize }

// inGroup says whether a member in this state counts as one (Members).
func inGroup(state State) bool { return state == Alive || state == Suspect }

// setState is the one place a member's row changes: every transition goes
// through it, so Notify sees them all.
func (s *Swim) setState(m *member, state State, incarnation uint64) {
	from := m.state
	m.state, m.incarnation = state, incarnation
	if inGroup(from) != inGroup(state) {
		if inGroup(state) {
			s.groupSize++
		} else {
			s.groupSize--
		}
	}
	s.env.Logf("member", "n%d %v→%v inc %d", m.id, from, state, incarnation)
	if from == Suspect || state == Suspect || m.id == s.me {
		s.logState()
	}
	if s.cfg.Notify != nil {
		s.cfg.Notify(Event{At: s.env.Now(), Node: s.me, Member: m.id, From: from, To: state, Incarnation: incarnation})
	}
}

// logState records how this member sees the group, on the trace topic the
// space-time viewer colours lanes by: whether it suspects anyone, how many,
// and its own incarnation.
func (s *Swim) logState() {
	suspects := 0
	for _, m := range s.members {
		if m != nil && m.state == Suspect {
			suspects++
		}
	}
	status := "calm"
	if suspects > 0 {
		status = "suspecting"
	}
	s.env.Logf("state", "status=%s suspects=%d incarnation=%d", status, suspects, s.incarnation)
}

// addMember is the one place a row is added to the table: a member first
// heard of, alive at an incarnation. Notify sees it as New.
func (s *Swim) addMember(id int, incarnation uint64) *member {
	m := &member{id: id, state: Alive, incarnation: incarnation}
	s.members[id] = m
	s.groupSize++
	s.env.Logf("member", "n%d new, %v inc %d", m.id, m.state, m.incarnation)
	if s.cfg.Notify != nil {
		s.cfg.Notify(Event{At: s.env.Now(), Node: s.me, Member: m.id, From: m.state, To: m.state, Incarnation: m.incarnation, New: true})
	}
	return m
}

// apply takes one piece of news, wherever it came from.
func (s *Swim) apply(u Update) {
	if u.Member < 0 || u.Member >= len(s.members) {
		return
	}
	switch u.State {
	case Alive:
		s.aliveNode(u)
	case Suspect:
		s.suspectNode(u)
	case Dead, Left:
		s.deadNode(u)
	}
}

// receive applies every update a message carried.
func (s *Swim) receive(updates []Update) {
	for _, u := range updates {
		s.apply(u)
	}
}

// aliveNode: a member is alive at an incarnation.
func (s *Swim) aliveNode(u Update) {
	//lab:solution 3B
	if u.Member == s.me {
		// Only I speak for my own liveness, but the group may remember an
		// earlier life of mine at a higher incarnation than this one, which
		// restarted from 0 (nothing persists). Take that number back, or my
		// next word about myself, such as Left, is old news to everyone.
		if u.Incarnation > s.incarnation {
			s.incarnation = u.Incarnation
			s.setState(s.members[s.me], Alive, s.incarnation)
		}
		return
	}
	m := s.members[u.Member]
	if m == nil {
		// A new member: it joined through someone, and the news reached us.
		s.addMember(u.Member, u.Incarnation)
		s.queue.add(u)
		return
	}
	// Alive(i) overrides anything at j only if i > j: an alive at the same
	// incarnation is old news that a suspicion already answered, and
	// accepting it would let stale rumours cancel every suspicion.
	if u.Incarnation <= m.incarnation {
		return
	}
	s.cancelSuspicion(u.Member)
	s.setState(m, Alive, u.Incarnation)
	s.queue.add(u)
	//lab:stub
	// TODO(3B): from news about myself, only take back a higher incarnation
	// (an earlier life's; a restart begins at 0); add an unknown member
	// (s.addMember); otherwise
	// accept Alive(i) only if i is above the incarnation we have (SWIM
	// §4.2), cancelling any suspicion. Pass accepted news on (s.queue.add).
	//lab:end
}

// suspectNode: someone suspects a member at an incarnation.
func (s *Swim) suspectNode(u Update) {
	//lab:solution 3B
	m := s.members[u.Member]
	if m == nil || u.Incarnation < m.incarnation {
		return // unknown, or old news
	}
	if u.Member == s.me {
		s.refute(u.Incarnation)
		return
	}
	switch m.state {
	case Dead, Left:
		return // only a rejoin (Alive at a higher incarnation) brings it back
	case Suspect:
		// Already suspected: this is another member's confirmation (3C),
		// worth passing on only if it was a new one.
		if sus := s.suspicions[u.Member]; sus != nil && sus.confirm(u.From) {
			s.queue.add(u)
		}
		return
	}
	s.setState(m, Suspect, u.Incarnation)
	s.startSuspicion(m, u.From)
	s.queue.add(u)
	//lab:stub
	// TODO(3B): ignore unknown members and old news; refute a suspicion of
	// myself; ignore dead or left members; count a suspicion of a member
	// already suspected as a confirmation (suspicion.confirm), passed on
	// if new; otherwise mark the member suspect, start its suspicion timer
	// and pass the news on.
	//lab:end
}

// deadNode: someone declares a member dead (or the member says it leaves).
func (s *Swim) deadNode(u Update) {
	//lab:solution 3B
	m := s.members[u.Member]
	if m == nil || u.Incarnation < m.incarnation || m.state == Dead || m.state == Left {
		return
	}
	if u.Member == s.me {
		if !s.leaving {
			s.refute(u.Incarnation) // I am not dead: say so, louder
		}
		return
	}
	s.cancelSuspicion(u.Member)
	s.setState(m, u.State, u.Incarnation)
	s.queue.add(u)
	//lab:stub
	// TODO(3B): ignore unknown members, old news and members already dead
	// or left; refute news of my own death unless I am leaving; otherwise
	// mark the member dead (or left), cancel its suspicion and pass the
	// news on.
	//lab:end
}

// refute answers a suspicion (or a declaration of death) of this member at
// incarnation inc: raise my incarnation above it and tell everyone I am
// alive. Under Lifeguard, being suspected is also a sign that I may be the
// slow one (3C).
func (s *Swim) refute(inc uint64) {
	//lab:solution 3B
	// The new incarnation must be above the accused one: Alive(i)
	// overrides Suspect(j) only if i > j.
	s.incarnation = max(s.incarnation, inc) + 1
	s.env.Logf("refute", "alive at inc %d", s.incarnation)
	s.setState(s.members[s.me], Alive, s.incarnation)
	s.queue.add(Update{Member: s.me, State: Alive, Incarnation: s.incarnation, From: s.me})
	//lab:stub
	// TODO(3B): raise s.incarnation above inc, record it in my own row,
	// and queue Alive news about myself.
	//lab:end
	//lab:solution 3C
	s.awareness.apply(1)
	//lab:stub
	// TODO(3C): being suspected is a sign of ill health: raise the score.
	//lab:end
}

// Leave announces that this member leaves the group for good: Left at a
// new incarnation. Keep it running for a few periods afterwards, so that
// the news goes out on its messages, then stop it.
func (s *Swim) Leave() {
	//lab:solution 3B
	s.leaving = true
	s.incarnation++
	s.setState(s.members[s.me], Left, s.incarnation)
	s.queue.add(Update{Member: s.me, State: Left, Incarnation: s.incarnation, From: s.me})
	//lab:stub
	// TODO(3B): mark myself leaving, raise my incarnation, record Left in
	// my own row and queue the news.
	//lab:end
}
