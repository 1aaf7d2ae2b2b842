package gossip

import "time"

// The failure detector (SWIM §3.1, §4.3). Every protocol period T' a
// member probes one other:
//
//  1. ping it, and wait ProbeTimeout for its ack;
//  2. if none comes, ask IndirectChecks other members to ping it on our
//     behalf (ping-req); each forwards the target's ack to us, or a nack
//     if the target was silent to it too (Lifeguard §4.1);
//  3. if by the end of the period no ack has come, direct or indirect,
//     suspect the target.
//
// Indirect probes stop a single bad link (ours to the target) from
// condemning a healthy member. Targets are taken round-robin over the
// members in a random order, reshuffled every pass (SWIM §4.3): every
// member is probed by everyone within a bounded time, not just in
// expectation.
//
// In the simulator an ack is the Ping RPC's reply. A ping-req cannot wait
// for the helper's own ping inside its handler (handlers do not block), so
// the helper answers the ping-req at once and later calls IndirectAck.

// PingArgs is a probe, with piggybacked news.
type PingArgs struct {
	From    int
	Seq     uint64
	Updates []Update
}

// PingReply is the ack, with piggybacked news.
type PingReply struct {
	From    int
	Updates []Update
}

// PingReqArgs asks a helper to ping Target for probe Seq of From, and to
// nack if Target does not answer within NackAfter.
type PingReqArgs struct {
	From, Target int
	Seq          uint64
	NackAfter    time.Duration
	Updates      []Update
}

// PingReqReply carries news only: the outcome comes by IndirectAck.
type PingReqReply struct{ Updates []Update }

// IndirectAckArgs is a helper's report for probe Seq: the target acked
// (Nack false) or did not answer in time (Nack true).
type IndirectAckArgs struct {
	From    int
	Seq     uint64
	Nack    bool
	Updates []Update
}

// IndirectAckReply carries news only.
type IndirectAckReply struct{ Updates []Update }

// probeRun is the probe of the current period.
type probeRun struct {
	seq     uint64
	target  int
	direct  bool // acked by the target itself
	acked   bool // acked, directly or through a helper
	helpers int  // ping-reqs sent: the nacks we expect if all is well with us
	nacks   int
}

// probeTick ends the last period's probe and starts this one's. Under
// Lifeguard the period stretches with this member's health score (3C).
func (s *Swim) probeTick() {
	s.finishProbe()
	s.startProbe()
	s.env.After(s.scale(s.cfg.ProbeInterval), s.probeTick)
}

// startProbe pings the next target and arms the probe timeout.
func (s *Swim) startProbe() {
	//lab:solution 3B
	target, ok := s.nextProbeTarget()
	if !ok {
		return
	}
	s.probeSeq++
	p := &probeRun{seq: s.probeSeq, target: target}
	s.probe = p
	reply := &PingReply{}
	s.env.Call(target, "Swim.Ping", &PingArgs{From: s.me, Seq: p.seq, Updates: s.piggyback(target)}, reply, func(ok bool) {
		if !ok {
			return
		}
		s.receive(reply.Updates)
		if s.probe == p { // an ack after the period ended counts for nothing
			p.acked, p.direct = true, true
		}
	})
	s.env.After(s.scale(s.cfg.ProbeTimeout), func() {
		if s.probe == p && !p.acked {
			s.indirectProbe(p)
		}
	})
	//lab:stub
	// TODO(3B): pick the next target (nextProbeTarget), start a probeRun
	// with a new sequence number, ping the target (its reply is the ack;
	// apply the news it carries), and after the probe timeout (s.scale'd)
	// send ping-reqs if no ack has come.
	//lab:end
}

// indirectProbe asks up to k random members to ping p's target for us.
func (s *Swim) indirectProbe(p *probeRun) {
	//lab:solution 3B
	var candidates []int
	for _, m := range s.members {
		if m != nil && m.id != s.me && m.id != p.target && m.state == Alive {
			candidates = append(candidates, m.id)
		}
	}
	rng := s.env.Rand()
	rng.Shuffle(len(candidates), func(i, j int) { candidates[i], candidates[j] = candidates[j], candidates[i] })
	helpers := candidates[:min(s.cfg.IndirectChecks, len(candidates))]
	p.helpers = len(helpers)
	s.env.Logf("probe", "ping-req n%d via %v", p.target, helpers)
	for _, h := range helpers {
		reply := &PingReqReply{}
		args := &PingReqArgs{From: s.me, Target: p.target, Seq: p.seq,
			NackAfter: s.scale(s.cfg.ProbeTimeout) * 8 / 10, Updates: s.piggyback(h)}
		s.env.Call(h, "Swim.PingReq", args, reply, func(ok bool) {
			if ok {
				s.receive(reply.Updates)
			}
		})
	}
	//lab:stub
	// TODO(3B): choose up to s.cfg.IndirectChecks alive members other than
	// me and the target, at random, and send each a Swim.PingReq (ask for a
	// nack after 80% of the probe timeout). Record how many in p.helpers.
	//lab:end
}

// finishProbe judges the period's probe: an ack clears the target; no ack
// makes it a suspect. Under Lifeguard it also adjusts this member's
// health (3C): a direct ack is a sign of health, and each nack we expected
// but did not get is a sign that we, not the target, are slow.
func (s *Swim) finishProbe() {
	p := s.probe
	if p == nil {
		return
	}
	s.probe = nil
	//lab:solution 3C
	s.awareness.apply(probeHealthDelta(p))
	//lab:stub
	// TODO(3C): adjust this member's health by the probe's outcome
	// (probeHealthDelta).
	//lab:end
	//lab:solution 3B
	if p.acked {
		return
	}
	m := s.members[p.target]
	if m == nil || m.state != Alive && m.state != Suspect {
		return
	}
	s.env.Logf("probe", "no ack from n%d", p.target)
	s.suspectNode(Update{Member: p.target, State: Suspect, Incarnation: m.incarnation, From: s.me})
	//lab:stub
	// TODO(3B): if no ack came, suspect the target at the incarnation we
	// know (through suspectNode, as if we had heard it).
	//lab:end
}

// probeHealthDelta is how a finished probe changes the prober's health
// score (Lifeguard §4.1, memberlist's probeNode): -1 for a direct ack, 0
// for an indirect one, and otherwise +1 for each nack that did not come
// (+1 if no helper was asked).
func probeHealthDelta(p *probeRun) int {
	//lab:solution 3C
	switch {
	case p.direct:
		return -1
	case p.acked:
		return 0
	case p.helpers == 0:
		return 1
	}
	return p.helpers - p.nacks
	//lab:stub
	// TODO(3C): -1 for a direct ack, 0 for an indirect one, else the nacks
	// missed (p.helpers - p.nacks), or 1 when there were no helpers.
	//> return 0
	//lab:end
}

// nextProbeTarget returns the next member to probe, round-robin over a
// random order that is reshuffled at the end of every pass (SWIM §4.3).
func (s *Swim) nextProbeTarget() (int, bool) {
	//lab:solution 3B
	for pass := 0; pass < 2; pass++ {
		for s.probeNext < len(s.probeList) {
			id := s.probeList[s.probeNext]
			s.probeNext++
			if m := s.members[id]; m != nil && (m.state == Alive || m.state == Suspect) {
				return id, true
			}
		}
		s.probeList = s.probeList[:0]
		for _, m := range s.members {
			if m != nil && m.id != s.me && (m.state == Alive || m.state == Suspect) {
				s.probeList = append(s.probeList, m.id)
			}
		}
		rng := s.env.Rand()
		rng.Shuffle(len(s.probeList), func(i, j int) { s.probeList[i], s.probeList[j] = s.probeList[j], s.probeList[i] })
		s.probeNext = 0
	}
	return -1, false
	//lab:stub
	// TODO(3B): walk s.probeList from s.probeNext, skipping members no
	// longer alive or suspect; at its end, rebuild it from the table (not
	// me), shuffle it, and start over. Report false if there is nobody.
	//> return -1, false
	//lab:end
}

// Ping is a probe: take its news, and ack with ours.
func (s *Swim) Ping(args *PingArgs, reply *PingReply) {
	//lab:solution 3B
	s.receive(args.Updates)
	reply.From = s.me
	reply.Updates = s.piggyback(args.From)
	//lab:stub
	// TODO(3B): apply the news the ping carries, and reply (the ack) with
	// ours.
	//lab:end
}

// PingReq asks this member to probe a target for another: answer at once,
// ping the target, and report to the asker by IndirectAck, with a nack if
// the target is silent past NackAfter.
func (s *Swim) PingReq(args *PingReqArgs, reply *PingReqReply) {
	//lab:solution 3B
	s.receive(args.Updates)
	reply.Updates = s.piggyback(args.From)
	asker, seq := args.From, args.Seq
	acked := false
	report := func(nack bool) {
		ackReply := &IndirectAckReply{}
		s.env.Call(asker, "Swim.IndirectAck", &IndirectAckArgs{From: s.me, Seq: seq, Nack: nack, Updates: s.piggyback(asker)}, ackReply, func(ok bool) {
			if ok {
				s.receive(ackReply.Updates)
			}
		})
	}
	pingReply := &PingReply{}
	s.env.Call(args.Target, "Swim.Ping", &PingArgs{From: s.me, Updates: s.piggyback(args.Target)}, pingReply, func(ok bool) {
		if !ok {
			return
		}
		s.receive(pingReply.Updates)
		acked = true
		report(false)
	})
	if args.NackAfter > 0 {
		s.env.After(args.NackAfter, func() {
			if !acked {
				report(true)
			}
		})
	}
	//lab:stub
	// TODO(3B): apply the news, reply with ours, ping args.Target, and when
	// it acks, call Swim.IndirectAck on the asker (same Seq); if it has not
	// acked after args.NackAfter, send a nack instead.
	//lab:end
}

// IndirectAck is a helper's report on our probe.
func (s *Swim) IndirectAck(args *IndirectAckArgs, reply *IndirectAckReply) {
	//lab:solution 3B
	s.receive(args.Updates)
	reply.Updates = s.piggyback(args.From)
	p := s.probe
	if p == nil || p.seq != args.Seq {
		return // about a probe whose period is over
	}
	if args.Nack {
		p.nacks++
	} else {
		p.acked = true
	}
	//lab:stub
	// TODO(3B): apply the news and reply with ours; if the report is about
	// the current probe, count a nack or record the ack.
	//lab:end
}
