package paxos

import (
	"fmt"

	"protolab/labrpc"
)

// Fate is what a peer knows of one instance.
type Fate int

const (
	// Decided: a value has been chosen, and this peer knows which.
	Decided Fate = iota + 1
	// Pending: this peer does not know a chosen value (yet).
	Pending
	// Forgotten: every peer has called Done on the instance, and its state
	// is gone (see Min).
	Forgotten
)

func (f Fate) String() string {
	switch f {
	case Decided:
		return "Decided"
	case Pending:
		return "Pending"
	case Forgotten:
		return "Forgotten"
	}
	return fmt.Sprintf("Fate(%d)", int(f))
}

// A Synod is one peer of part 5A: it runs any number of independent
// single-decree Paxos instances, one per sequence number, and plays the
// proposer, the acceptor and the learner in each (Paxos Made Simple §2.1).
//
// It is a node of the simulated world: Prepare, Accept and Learn are its
// RPC handlers ("Synod.Prepare", ...). The simulator runs one handler,
// timer or reply at a time, so there are no locks.
type Synod struct {
	env       labrpc.Env
	persister *labrpc.Persister
	me        int
	peers     []int
	decided   func(seq int, v any)

	//lab:solution 5A
	instances map[int]*instance // the instances this peer has not forgotten
	dones     []int             // dones[p]: the highest seq peer p has passed to Done (-1: none yet)
	max       int               // the highest seq this peer has heard of (-1: none)
	//lab:end
}

// instance is what one peer keeps for one sequence number.
type instance struct {
	//lab:solution 5A
	// The acceptor's state (§2.2); it is on stable storage before any
	// reply that depends on it leaves (persist.go).
	promised Ballot // the highest ballot of a prepare request it answered
	accepted Ballot // the highest ballot in which it accepted a value (zero: none)
	value    any    // the value it accepted in that ballot

	// The learner's state (§2.3).
	decided  bool
	decision any

	// The proposer's state: the proposal in progress, if any. It is not
	// persisted: after a crash, the application calls Start again.
	proposal *proposal
	//lab:stub
	// TODO(5A): what the acceptor keeps (Paxos Made Simple §2.2: the highest
	// prepare answered, the highest proposal accepted), what the learner knows,
	// and the proposal this peer is running, if any.
	//lab:end
}

// MakeSynod starts a peer from its stable storage (empty on first boot).
// decided, if not nil, is called once each time this peer learns the value
// of an instance; the tests use it to check safety as decisions happen.
func MakeSynod(env labrpc.Env, persister *labrpc.Persister, decided func(seq int, v any)) *Synod {
	px := &Synod{env: env, persister: persister, me: env.Me(), peers: env.Peers(), decided: decided}
	if px.decided == nil {
		px.decided = func(int, any) {}
	}
	//lab:solution 5A
	px.instances = map[int]*instance{}
	px.dones = make([]int, len(px.peers))
	for i := range px.dones {
		px.dones[i] = -1
	}
	px.max = -1
	px.readPersist(persister.ReadState())
	//lab:stub
	// TODO(5A): set up the state, then restore what the last incarnation saved.
	//lab:end
	return px
}

// Start asks for agreement on instance seq, proposing v. It returns at once;
// Status tells the outcome later. Starting an instance that is decided, or
// forgotten, or already being proposed by this peer does nothing: the value
// chosen may be another peer's.
func (px *Synod) Start(seq int, v any) {
	//lab:solution 5A
	in := px.instance(seq)
	if in == nil || in.decided || in.proposal != nil {
		return
	}
	px.propose(seq, in, v)
	//lab:stub
	// TODO(5A): run a proposer for seq (proposer.go), unless there is nothing to do.
	//lab:end
}

// Status reports what this peer knows of instance seq: Decided and the
// value, Pending, or Forgotten (seq is below Min).
func (px *Synod) Status(seq int) (Fate, any) {
	//lab:solution 5A
	if seq < px.Min() {
		return Forgotten, nil
	}
	if in := px.instances[seq]; in != nil && in.decided {
		return Decided, in.decision
	}
	return Pending, nil
	//lab:stub
	// TODO(5A): Forgotten below Min, then what the learner knows.
	//> return Pending, nil
	//lab:end
}

// instance returns the state of instance seq, creating it on first use, or
// nil if seq is below Min: a forgotten instance must stay forgotten, or a
// second value could be chosen for it once no acceptor remembers the first.
func (px *Synod) instance(seq int) *instance {
	//lab:solution 5A
	if seq < px.Min() {
		return nil
	}
	in, ok := px.instances[seq]
	if !ok {
		in = &instance{}
		px.instances[seq] = in
		px.max = max(px.max, seq)
	}
	return in
	//lab:stub
	// TODO(5A): find or create the instance; never bring back a forgotten one.
	//> return nil
	//lab:end
}

// call sends an RPC to peer p, or runs the handler directly when p is this
// peer. The direct call is not only a saving: a proposer's own acceptor
// promises a new ballot (and writes it to stable storage) before any other
// acceptor can see it, so that a proposer that crashes and restarts finds the
// ballot in its own acceptor's state and never uses it again. The reply is
// handed back as an event of its own, as a network reply would be.
func call[A, R any](env labrpc.Env, p int, method string, handler func(*A, *R), args *A, reply *R, done func(ok bool)) {
	if p == env.Me() {
		handler(args, reply)
		env.After(0, func() { done(true) })
		return
	}
	env.Call(p, method, args, reply, done)
}

// short renders a value for the trace, cut to a readable length: values
// may be large, and the trace keeps thousands of lines.
func short(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 24 {
		return s[:20] + "…"
	}
	return s
}
