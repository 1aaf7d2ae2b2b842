package paxos

// The learner (Paxos Made Simple §2.3). A value is chosen once a majority of
// acceptors has accepted it in one ballot; the proposer that saw that
// majority tells the other learners. The message may be lost: a peer that
// missed it learns the value when it proposes itself: phase 1 reports the
// chosen value to any new proposer, which can then propose nothing else
// (§2.2, invariant P2c).

// LearnArgs announces that Value was chosen for instance Seq.
type LearnArgs struct {
	Seq   int
	Value any
	From  int
	Done  int
}

// LearnReply carries the receiver's Done value back.
type LearnReply struct {
	Done int
}

// Learn is a learner's handler for an announced decision.
func (px *Synod) Learn(args *LearnArgs, reply *LearnReply) {
	//lab:solution 5A
	px.heardDone(args.From, args.Done)
	reply.Done = px.dones[px.me]
	px.learn(args.Seq, args.Value)
	//lab:stub
	// TODO(5A): record the decision (learn), and pass on Done values.
	//lab:end
}

// learn records that v was chosen for instance seq, if this peer has not
// forgotten it, and ends this peer's proposal for it.
func (px *Synod) learn(seq int, v any) {
	//lab:solution 5A
	in := px.instance(seq)
	if in == nil || in.decided {
		return
	}
	in.decided, in.decision, in.proposal = true, v, nil
	px.persist()
	px.env.Logf("learn", "#%d decided %s", seq, short(v))
	px.decided(seq, v)
	//lab:stub
	// TODO(5A): remember the decision (on stable storage too), end any proposal,
	// and report it through px.decided.
	//lab:end
}

// announce tells every other peer that v was chosen for seq. One try each:
// a peer that misses it learns the value when it next proposes.
func (px *Synod) announce(seq int, v any) {
	//lab:solution 5A
	args := &LearnArgs{Seq: seq, Value: v, From: px.me, Done: px.dones[px.me]}
	for _, p := range px.peers {
		if p == px.me {
			continue
		}
		reply := &LearnReply{}
		px.env.Call(p, "Synod.Learn", args, reply, func(ok bool) {
			if ok {
				px.heardDone(p, reply.Done)
			}
		})
	}
	//lab:stub
	// TODO(5A): send Learn to every other peer.
	//lab:end
}
