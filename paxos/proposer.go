package paxos

//lab:solution 5A
import "time"

//lab:end

// The proposer (Paxos Made Simple §2.2, "a proposer issues a proposal"):
//
//	phase 1: choose a ballot above any this peer has seen for the instance and
//	         send prepare requests to every acceptor;
//	phase 2: with promises from a majority, propose the value of the
//	         highest-ballot proposal they reported, or its own value if they
//	         reported none, in accept requests to every acceptor;
//	         with acceptances from a majority, the value is chosen.
//
// A rejection or a lost message makes the proposer try again with a higher
// ballot after a random pause: two proposers that keep outbidding each other
// (§2.4's "dueling proposers") would otherwise never stop.

// proposal is one proposer's effort on one instance.
type proposal struct {
	//lab:solution 5A
	seq    int
	value  any    // this peer's own value, proposed only if phase 1 finds none
	ballot Ballot // the ballot of the current try
	phase  int    // 1 or 2 while waiting for replies; 0 between tries
	tries  int

	oks, fails int    // replies to the current phase
	seen       Ballot // the highest ballot any acceptor reported
	// The highest-ballot proposal reported by the promises so far.
	highest      Ballot
	highestValue any
	//lab:stub
	// TODO(5A): the instance, the value, the current ballot and phase, and the
	// counts of replies.
	//lab:end
}

// propose starts this peer's proposer on instance seq, with its own value v.
func (px *Synod) propose(seq int, in *instance, v any) {
	//lab:solution 5A
	in.proposal = &proposal{seq: seq, value: v}
	px.prepare(in.proposal)
	//lab:stub
	// TODO(5A): remember the proposal in the instance and start phase 1.
	//lab:end
}

// current reports whether pr is still the live proposal of its instance,
// waiting for replies in ballot b and phase: a reply to an earlier try, or
// to a proposal that ended, changes nothing.
func (px *Synod) current(pr *proposal, b Ballot, phase int) bool {
	//lab:solution 5A
	in := px.instances[pr.seq]
	return in != nil && in.proposal == pr && !in.decided && pr.ballot == b && pr.phase == phase
	//lab:stub
	// TODO(5A)
	//> return false
	//lab:end
}

// prepare begins a try: phase 1 with a fresh ballot.
func (px *Synod) prepare(pr *proposal) {
	//lab:solution 5A
	in := px.instances[pr.seq]
	if in == nil || in.proposal != pr || in.decided {
		return // forgotten or decided meanwhile
	}
	pr.ballot = nextBallot(maxBallot(in.promised, pr.seen), px.me)
	pr.phase, pr.oks, pr.fails, pr.tries = 1, 0, 0, pr.tries+1
	pr.highest, pr.highestValue = Ballot{}, nil
	px.env.Logf("prepare", "#%d ballot %v", pr.seq, pr.ballot)
	args := &PrepareArgs{Seq: pr.seq, Ballot: pr.ballot, From: px.me, Done: px.dones[px.me]}
	b := pr.ballot
	for _, p := range px.peers {
		reply := &PrepareReply{}
		call(px.env, p, "Synod.Prepare", px.Prepare, args, reply, func(ok bool) {
			px.onPromise(pr, b, p, reply, ok)
		})
	}
	//lab:stub
	// TODO(5A): choose a ballot above every ballot seen for the instance
	// (nextBallot), then send Prepare to every peer, yourself included (call).
	//lab:end
}

// onPromise handles one reply to phase 1.
func (px *Synod) onPromise(pr *proposal, b Ballot, from int, reply *PrepareReply, ok bool) {
	//lab:solution 5A
	if ok {
		px.heardDone(from, reply.Done)
	}
	if !px.current(pr, b, 1) {
		return
	}
	switch {
	case !ok:
		pr.fails++
	case reply.Forgotten:
		px.instances[pr.seq].proposal = nil // every peer is done with it
		return
	case reply.Promised == b:
		pr.oks++
		if pr.highest.Less(reply.Accepted) {
			pr.highest, pr.highestValue = reply.Accepted, reply.Value
		}
	default:
		pr.fails++
		pr.seen = maxBallot(pr.seen, reply.Promised)
	}
	quorum := majority(len(px.peers))
	switch {
	case pr.oks >= quorum:
		// §2.2: the value must be that of the highest-numbered proposal among
		// the promises, if any: it may have been chosen already.
		v := pr.value
		if !pr.highest.IsZero() {
			v = pr.highestValue
		}
		px.acceptPhase(pr, v)
	case pr.fails > len(px.peers)-quorum:
		px.retry(pr)
	}
	//lab:stub
	// TODO(5A): count promises (a reply whose Promised is b) and refusals. With a
	// majority of promises, go to phase 2 with the value of the highest-ballot
	// proposal reported, or your own if none (Paxos Made Simple §2.2); when a
	// majority can no longer be reached, try again later with a higher ballot.
	//lab:end
}

// acceptPhase sends phase 2 for value v in the current ballot.
func (px *Synod) acceptPhase(pr *proposal, v any) {
	//lab:solution 5A
	pr.phase, pr.oks, pr.fails = 2, 0, 0
	px.env.Logf("accept", "#%d %s in %v", pr.seq, short(v), pr.ballot)
	args := &AcceptArgs{Seq: pr.seq, Ballot: pr.ballot, Value: v, From: px.me, Done: px.dones[px.me]}
	b := pr.ballot
	for _, p := range px.peers {
		reply := &AcceptReply{}
		call(px.env, p, "Synod.Accept", px.Accept, args, reply, func(ok bool) {
			px.onAccepted(pr, b, v, p, reply, ok)
		})
	}
	//lab:stub
	// TODO(5A): send Accept to every peer, yourself included.
	//lab:end
}

// onAccepted handles one reply to phase 2.
func (px *Synod) onAccepted(pr *proposal, b Ballot, v any, from int, reply *AcceptReply, ok bool) {
	//lab:solution 5A
	if ok {
		px.heardDone(from, reply.Done)
	}
	if !px.current(pr, b, 2) {
		return
	}
	switch {
	case !ok:
		pr.fails++
	case reply.Forgotten:
		px.instances[pr.seq].proposal = nil
		return
	case reply.Promised == b:
		pr.oks++
	default:
		pr.fails++
		pr.seen = maxBallot(pr.seen, reply.Promised)
	}
	quorum := majority(len(px.peers))
	switch {
	case pr.oks >= quorum:
		// A majority accepted v in ballot b: v is chosen (§2.2).
		px.learn(pr.seq, v)
		px.announce(pr.seq, v)
	case pr.fails > len(px.peers)-quorum:
		px.retry(pr)
	}
	//lab:stub
	// TODO(5A): count acceptances; with a majority the value is chosen: learn it
	// and tell the other learners (learner.go). If a majority can no longer be
	// reached, try again later.
	//lab:end
}

// retry starts a new try after a random pause that grows with the number of
// tries, so that dueling proposers fall out of step (§2.4).
func (px *Synod) retry(pr *proposal) {
	//lab:solution 5A
	pr.phase = 0
	limit := min(10*time.Millisecond<<min(pr.tries, 5), 200*time.Millisecond)
	pause := 5*time.Millisecond + time.Duration(px.env.Rand().Int64N(int64(limit)))
	px.env.After(pause, func() { px.prepare(pr) })
	//lab:stub
	// TODO(5A): call prepare again after a random pause (env.Rand, env.After).
	//lab:end
}
