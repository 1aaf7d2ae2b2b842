package paxos

// The acceptor (Paxos Made Simple §2.2). Its two rules are the whole of
// Paxos's safety:
//
//   - it answers a prepare request for ballot n with a promise never again to
//     accept a proposal numbered below n, and with the highest-numbered
//     proposal it has accepted, if any;
//   - it accepts a proposal numbered n unless it has promised a higher one.
//
// Both are on stable storage before the reply leaves (persist.go): a promise
// forgotten in a crash is a promise broken.
//
// Every reply carries the acceptor's promised ballot after the request. The
// proposer counts a reply as a promise (or an acceptance) exactly when that
// ballot is its own, and otherwise learns from it which ballot to outbid
// (van Renesse and Altinbuken, "Paxos Made Moderately Complex", the
// acceptor's p1b and p2b).

// PrepareArgs is phase 1a: "prepare ballot Ballot for instance Seq".
type PrepareArgs struct {
	Seq    int
	Ballot Ballot
	From   int
	Done   int // the sender's Done value (forget.go)
}

// PrepareReply is phase 1b.
type PrepareReply struct {
	Promised Ballot // the acceptor's promise after the request: args.Ballot if it promised
	Accepted Ballot // the highest ballot it accepted a value in (zero: none)
	Value    any    // that value
	// Forgotten: the instance is below the acceptor's Min.
	Forgotten bool
	Done      int
}

// AcceptArgs is phase 2a: "accept Value in ballot Ballot for instance Seq".
type AcceptArgs struct {
	Seq    int
	Ballot Ballot
	Value  any
	From   int
	Done   int
}

// AcceptReply is phase 2b.
type AcceptReply struct {
	Promised  Ballot // args.Ballot if the acceptor accepted
	Forgotten bool
	Done      int
}

// Prepare is the acceptor's answer to phase 1a.
func (px *Synod) Prepare(args *PrepareArgs, reply *PrepareReply) {
	//lab:solution 5A
	px.heardDone(args.From, args.Done)
	reply.Done = px.dones[px.me]
	in := px.instance(args.Seq)
	if in == nil {
		reply.Forgotten = true
		return
	}
	if in.promised.Less(args.Ballot) {
		in.promised = args.Ballot
		px.persist()
	}
	reply.Promised, reply.Accepted, reply.Value = in.promised, in.accepted, in.value
	//lab:stub
	// TODO(5A): promise args.Ballot if it is the highest seen for the instance,
	// and report the highest proposal accepted (Paxos Made Simple §2.2, phase 1b).
	// Persist before replying. Pass on Done values (forget.go).
	//lab:end
}

// Accept is the acceptor's answer to phase 2a.
func (px *Synod) Accept(args *AcceptArgs, reply *AcceptReply) {
	//lab:solution 5A
	px.heardDone(args.From, args.Done)
	reply.Done = px.dones[px.me]
	in := px.instance(args.Seq)
	if in == nil {
		reply.Forgotten = true
		return
	}
	if !args.Ballot.Less(in.promised) {
		in.promised, in.accepted, in.value = args.Ballot, args.Ballot, args.Value
		px.persist()
	}
	reply.Promised = in.promised
	//lab:stub
	// TODO(5A): accept unless a higher ballot was promised (Paxos Made Simple
	// §2.2, phase 2b). Persist before replying.
	//lab:end
}
