// Package rsm is lab 6A: the replicated state machine layer that every
// service of lab 6 runs on. A service (the key/value store of 6B, the lock
// service of 6C, the election service of 6D) is a StateMachine: it applies
// operations, and can save and restore its state. The layer runs one peer of
// a consensus engine under it (Raft or Multi-Paxos, through the replicated-log
// contract, protolab/replog), and offers the service one call, Submit: put
// this operation in the log, and tell me its result once it is applied.
//
// What the layer guarantees, and what the tests of 6A check:
//
//   - Submit's done runs exactly once, from a later event: with the result
//     of THIS request once it is applied at the index Start returned, or
//     with ErrWrongLeader (this peer does not lead, lost its term or ballot,
//     or saw another operation applied at that index), or with ErrTimeout.
//     A wrong-leader answer is never a wrong result.
//   - A request with a sequence number (Seq > 0) is applied at most once per
//     client: the layer remembers, for each client, the last Seq it applied
//     and its result, and answers a repeat with that result. The table is part
//     of the snapshot, so it survives leader changes and restarts.
//   - When the engine's persisted state passes maxStateSize bytes, the layer
//     snapshots the service (and its table) and hands the snapshot to the
//     engine; a restarted or lagging peer restores from it.
//
// Clients reach a service through a Clerk (clerk.go): it remembers which
// server led last, moves on when told ErrWrongLeader or when a call is lost,
// and retries a request with the same Seq until a server answers it.
//
// The handout is docs/lab6-services.md.
package rsm

import (
	"time"

	//lab:solution 6A
	"maps"
	"slices"
	//lab:end

	"protolab/labrpc"
	"protolab/replog"
)

// Err says how a submission ended.
type Err string

const (
	// OK: the request was applied; done's result is its result.
	OK Err = "OK"
	// ErrWrongLeader: this peer cannot apply the request (it does not lead,
	// or it lost its term or ballot, or another operation took the index).
	// The request may or may not be applied later: the client retries it
	// elsewhere with the same Seq, and the duplicate table sorts it out.
	ErrWrongLeader Err = "ErrWrongLeader"
	// ErrTimeout: the request was not applied within the layer's time-out
	// (a leader cut off from its majority, say). Retry, as for ErrWrongLeader.
	ErrTimeout Err = "ErrTimeout"
)

// Retry reports whether an answer tells the client to try again, here or at
// another server: ErrWrongLeader or ErrTimeout. Services whose replies carry
// their own error type compare its string.
func Retry(err string) bool { return err == string(ErrWrongLeader) || err == string(ErrTimeout) }

// DefaultTimeout is how long a submission waits to be applied before done
// is called with ErrTimeout (SetTimeout changes it for one RSM).
const DefaultTimeout = 1 * time.Second

// A StateMachine is the service the layer replicates. Its methods are called
// from the node's event handlers, one at a time, in log order on every peer,
// so they must be deterministic: the same operations in the same order give
// the same results and the same state everywhere.
type StateMachine interface {
	// DoOp applies one operation (a Request's Op) and returns its result.
	DoOp(op any) any
	// Snapshot encodes the service's whole state.
	Snapshot() []byte
	// Restore replaces the service's state with one Snapshot encoded.
	Restore(snapshot []byte)
}

// A Request is what a service submits: the client that asks, its sequence
// number, and the operation. The Op goes through the engine's log, and so
// through labgob: it must be a value (not a pointer), of a type registered
// with labgob.Register, with exported fields.
type Request struct {
	// ClientId names the client (a Clerk's ClientId).
	ClientId int64
	// Seq numbers the client's requests from 1; a retry keeps its Seq. Seq 0
	// means "not deduplicated": a read, which is safe to apply twice.
	Seq int64
	// Op is the service's operation, handed to StateMachine.DoOp.
	Op any
}

// Op is a Request as it travels through the log: the request, and which
// submission it is (the server that submitted it and a random number drawn
// for it), so that the server waiting on an index can tell its own request
// from another one that took the index.
type Op struct {
	Origin int   // the server that submitted it
	Id     int64 // drawn from that server's random stream at submission
	Request
}

// An RSM is one server's replicated state machine: a peer of the engine, the
// service above it, and the submissions waiting to be applied.
type RSM struct {
	env          labrpc.Env
	peer         replog.Peer
	maxStateSize int
	sm           StateMachine
	timeout      time.Duration

	//lab:solution 6A
	lastApplied int               // the last index applied to sm (or restored from a snapshot)
	dedup       map[int64]applied // for each client, its last applied request with a Seq
	pending     map[int]*pending  // by log index: the submission waiting there
	watching    bool              // the leadership watch timer is set
	//lab:end
	//lab:solution 6B
	reads []*aRead // confirmed reads waiting for their index to be applied, in order
	//lab:end
}

//lab:solution 6A

// applied is a client's last applied request: its Seq and the result it had.
type applied struct {
	Seq    int64
	Result any
}

// pending is a submission waiting for its index to be applied.
type pending struct {
	id     int64 // Op.Id
	term   int   // the term or ballot Start returned
	done   func(result any, err Err)
	cancel func() // the time-out timer
}

// watchEvery is how often a server with submissions waiting checks that it
// still leads with the term or ballot they were started in.
const watchEvery = 20 * time.Millisecond

//lab:end

// Make boots one server of a replicated service: a peer of engine, with
// env's Persister, and the layer on top that applies what the peer commits
// to sm. If maxStateSize >= 0, the layer snapshots sm whenever the
// persisted state grows past maxStateSize bytes; -1 never snapshots. If the
// Persister holds a snapshot, sm is restored from it before Make returns.
// Call it from the node's boot function, which returns rsm.Services() along
// with the service's own RPC object.
func Make(env labrpc.Env, engine replog.Engine, maxStateSize int, sm StateMachine) *RSM {
	r := &RSM{env: env, maxStateSize: maxStateSize, sm: sm, timeout: DefaultTimeout}
	//lab:solution 6A
	r.dedup = map[int64]applied{}
	r.pending = map[int]*pending{}
	//lab:stub
	// TODO(6A): set up the layer's state before booting the engine: the
	// engine may hand over a snapshot before its Boot returns.
	//lab:end
	r.peer = engine.Boot(env, env.Persister(), r.apply)
	return r
}

// Services is what the node's boot function returns for the layer: the
// engine's peer, so that its RPCs reach it. The service adds its own object:
//
//	return append(r.Services(), kv)
func (r *RSM) Services() []any { return []any{r.peer} }

// Peer is the engine's peer under the layer.
func (r *RSM) Peer() replog.Peer { return r.peer }

// Env is the node's Env, for services that need its clock or timers.
func (r *RSM) Env() labrpc.Env { return r.env }

// SetTimeout sets how long a submission may wait to be applied before it
// ends with ErrTimeout (DefaultTimeout unless set; it must be positive).
func (r *RSM) SetTimeout(d time.Duration) {
	if d > 0 {
		r.timeout = d
	}
}

// Submit puts req in the log and calls done exactly once, later, from an
// event of this node: done(result, OK) once req is applied at the index the
// engine gave it, with the result StateMachine.DoOp returned (or, for a
// repeat of a Seq already applied, the result it had then);
// done(nil, ErrWrongLeader) if this peer does not lead, loses its term or
// ballot before req is applied, or sees another operation applied at that
// index; done(nil, ErrTimeout) after the layer's time-out.
func (r *RSM) Submit(req Request, done func(result any, err Err)) {
	//lab:solution 6A
	op := Op{Origin: r.env.Me(), Id: r.env.Rand().Int64(), Request: req}
	index, term, isLeader := r.peer.Start(op)
	if !isLeader {
		r.later(func() { done(nil, ErrWrongLeader) })
		return
	}
	if old, ok := r.pending[index]; ok {
		// Start gave the index out a second time: this peer lost the term
		// it started the old one in, and its entry there is gone.
		r.finish(index, old, nil, ErrWrongLeader)
	}
	p := &pending{id: op.Id, term: term, done: done}
	p.cancel = r.env.After(r.timeout, func() {
		if r.pending[index] == p {
			r.finish(index, p, nil, ErrTimeout)
		}
	})
	r.pending[index] = p
	r.watch()
	//lab:stub
	// TODO(6A): wrap req in an Op that names this submission, Start it, and
	// remember (by index) who waits for it; answer ErrWrongLeader at once
	// (from a later event: r.later) if this peer does not lead, and
	// ErrTimeout after r.timeout.
	//> r.later(func() { done(nil, ErrWrongLeader) })
	//lab:end
}

// later runs f from a new event of this node, as soon as possible: done is
// never called from inside Submit, so a caller sees one order of events.
func (r *RSM) later(f func()) { r.env.After(0, f) }

//lab:solution 6A

// finish ends the submission waiting at index.
func (r *RSM) finish(index int, p *pending, result any, err Err) {
	delete(r.pending, index)
	p.cancel()
	p.done(result, err)
}

// failAll ends every waiting submission with ErrWrongLeader, in index order
// (never in map order: the order of the answers is part of the run).
func (r *RSM) failAll(upTo int) {
	for _, index := range slices.Sorted(maps.Keys(r.pending)) {
		if upTo < 0 || index <= upTo {
			r.finish(index, r.pending[index], nil, ErrWrongLeader)
		}
	}
}

// watch checks, every watchEvery while submissions wait, that this peer
// still leads with the term or ballot they were started in. A deposed
// leader's entries may be overwritten, or may never commit: its clients
// must hear ErrWrongLeader and go elsewhere, not wait for the time-out.
func (r *RSM) watch() {
	if r.watching || len(r.pending) == 0 {
		return
	}
	r.watching = true
	r.env.After(watchEvery, func() {
		r.watching = false
		r.checkLeadership()
		r.watch()
	})
}

// checkLeadership fails the submissions started in a term or ballot this
// peer no longer leads with.
func (r *RSM) checkLeadership() {
	term, isLeader := r.peer.GetState()
	for _, index := range slices.Sorted(maps.Keys(r.pending)) {
		if p := r.pending[index]; !isLeader || p.term != term {
			r.finish(index, p, nil, ErrWrongLeader)
		}
	}
}

//lab:end
