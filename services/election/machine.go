// Package election is lab 6D: leader election as a service, in the shape of
// etcd's concurrency.Election, built on the lock service of 6C.
//
// A program that wants one of its copies to lead (a scheduler, a primary)
// asks the service: Campaign(value) ends when this copy leads; Leader and
// Observe say who leads and each change; Resign steps down. Each term of
// leadership carries a revision that only grows, usable as a fencing token
// with any server that remembers the newest it has seen (6C's storage).
//
// The layering. Leadership must end when its holder dies or pauses, so it
// lives in a session: a candidate is a session's entry in the election's
// queue, and the service drops it when the session expires, exactly as the
// lock service releases an expired session's locks. The election therefore
// runs in the lock servers, as an Extension of their replicated state
// (services/lock/election_hooks.go), and its clients use the lock client's
// session, KeepAlives and local lease: nothing about leases is written
// twice. What 6D adds:
//
//	machine.go   the replicated election state: each election's queue of
//	             candidates in campaign order, its revisions, its history
//	client.go    the Election handle on a client node (event style)
//	cell.go      the servers, storage and clients laid out in a world, and
//	             the safety checks run after every event
//
// The queue makes the hand-off fair and ordered (etcd orders its candidates
// by their keys' create revisions the same way): the candidate at the head
// leads, the others wait in the order they campaigned. A candidate's
// revision is given when it campaigns, from one counter that only grows,
// so each new head has a greater revision than every head before it.
//
// The handout is docs/lab6-services.md, section 6D.
package election

import (
	"bytes"
	"fmt"
	"hash/fnv"
	//lab:solution 6D
	"maps"
	"slices"
	//lab:end

	"protolab/labgob"
	"protolab/services/lock"
)

// Err says how an operation ended.
type Err string

const (
	OK Err = "OK"
	// ErrNoSession: the session does not exist or has expired; the client
	// campaigns again in its next session.
	ErrNoSession Err = "ErrNoSession"
	// ErrNoLeader: the election has no candidate.
	ErrNoLeader Err = "ErrNoLeader"
)

// A Leader is one term of leadership of an election: who leads (its
// session and the value it published) and the term's revision.
type Leader struct {
	Election string
	Value    string
	Rev      uint64
	Session  lock.SessionID
}

func (l Leader) String() string {
	return fmt.Sprintf("%q rev %d (session %d)", l.Value, l.Rev, l.Session)
}

// Sequencer is the term's fencing token, in the storage server's terms: the
// election's name as the lock, and the revision as the generation.
func (l Leader) Sequencer() lock.Sequencer {
	return lock.Sequencer{Lock: "election/" + l.Election, Gen: l.Rev}
}

// The operations, applied by Machine.Apply on every replica in log order.

// Campaign puts Session in Election's queue with Value, at the back, with a
// new revision. A session already in the queue keeps its place (a retried
// campaign).
type Campaign struct {
	Election string
	Session  lock.SessionID
	Value    string
}

// Resign takes Session out of Election's queue; if it led, the next
// candidate leads.
type Resign struct {
	Election string
	Session  lock.SessionID
}

// Query asks who leads Election, whether candidate (Session, Rev) is still
// queued, and every term whose revision is greater than After.
type Query struct {
	Election string
	Session  lock.SessionID
	Rev      uint64
	After    uint64
}

// Reply answers every operation.
type Reply struct {
	Err    Err
	Rev    uint64   // Campaign: the candidate's revision
	Leader Leader   // Query: the current leader (Err ErrNoLeader if none)
	Queued bool     // Query: (Session, Rev) is in the queue
	Terms  []Leader // Query: the terms after After, in order
}

func init() {
	labgob.Register(Campaign{})
	labgob.Register(Resign{})
	labgob.Register(Query{})
	labgob.Register(Reply{})
}

// Machine is the elections' replicated state, an Extension of the lock
// servers' (it reads the sessions from the lock Machine). Apply reads
// nothing but its operation and the state.
type Machine struct {
	ops uint64 // election operations applied
	//lab:solution 6D
	rev     uint64              // the last revision given
	queues  map[string][]Leader // per election: its candidates, in campaign order; the head leads
	history map[string][]Leader // per election: every term, in order
	//lab:end
}

// NewMachine returns a state with no elections.
func NewMachine() *Machine {
	m := &Machine{}
	//lab:solution 6D
	m.queues = map[string][]Leader{}
	m.history = map[string][]Leader{}
	//lab:stub
	// TODO(6D): set up the state.
	//lab:end
	return m
}

// Apply applies an election operation (lock.Extension); anything else is
// not its own.
func (m *Machine) Apply(lm *lock.Machine, op any) (any, bool) {
	switch op := op.(type) {
	case Campaign:
		m.ops++
		return m.campaign(lm, op), true
	case Resign:
		m.ops++
		return m.resign(op), true
	case Query:
		m.ops++
		return m.query(op), true
	}
	return nil, false
}

// LockApplied drops the candidates of a session the lock service expired
// (lock.Extension).
func (m *Machine) LockApplied(lm *lock.Machine, op any, r lock.Reply) {
	if e, ok := op.(lock.Expire); ok && r.Err == lock.OK {
		//lab:solution 6D
		for _, name := range m.names() {
			m.remove(name, e.Session)
		}
		//lab:stub
		// TODO(6D): an expired session is no longer a candidate anywhere.
		//> _ = e
		//lab:end
	}
}

func (m *Machine) campaign(lm *lock.Machine, op Campaign) Reply {
	//lab:solution 6D
	if live, _ := lm.Live(op.Session); !live {
		return Reply{Err: ErrNoSession}
	}
	q := m.queues[op.Election]
	for _, c := range q {
		if c.Session == op.Session {
			return Reply{Err: OK, Rev: c.Rev}
		}
	}
	m.rev++ // every candidate, so every term, gets a new, greater revision
	m.queues[op.Election] = append(q, Leader{Election: op.Election, Value: op.Value, Rev: m.rev, Session: op.Session})
	m.newHead(op.Election)
	return Reply{Err: OK, Rev: m.rev}
	//lab:stub
	// TODO(6D): queue a live session's candidacy with a new revision.
	//> return Reply{Err: ErrNoSession}
	//lab:end
}

func (m *Machine) resign(op Resign) Reply {
	//lab:solution 6D
	m.remove(op.Election, op.Session)
	//lab:stub
	// TODO(6D): take the session out of the queue.
	//lab:end
	return Reply{Err: OK}
}

func (m *Machine) query(op Query) Reply {
	r := Reply{Err: ErrNoLeader}
	//lab:solution 6D
	q := m.queues[op.Election]
	if len(q) > 0 {
		r.Err, r.Leader = OK, q[0]
	}
	for _, c := range q {
		if c.Session == op.Session && c.Rev == op.Rev {
			r.Queued = true
		}
	}
	for _, t := range m.history[op.Election] {
		if t.Rev > op.After {
			r.Terms = append(r.Terms, t)
		}
	}
	//lab:stub
	// TODO(6D): the head of the queue, whether the candidate is queued,
	// and the terms after op.After.
	//lab:end
	return r
}

//lab:solution 6D

// remove takes session's candidacy out of election's queue.
func (m *Machine) remove(election string, session lock.SessionID) {
	q := m.queues[election]
	i := slices.IndexFunc(q, func(c Leader) bool { return c.Session == session })
	if i < 0 {
		return
	}
	m.queues[election] = slices.Delete(q, i, i+1)
	if len(m.queues[election]) == 0 {
		delete(m.queues, election)
	}
	m.newHead(election)
}

// newHead records a new term if the head of election's queue has changed.
func (m *Machine) newHead(election string) {
	q := m.queues[election]
	if len(q) == 0 {
		return
	}
	h := m.history[election]
	if len(h) == 0 || h[len(h)-1].Rev != q[0].Rev {
		m.history[election] = append(h, q[0])
	}
}

func (m *Machine) names() []string { return slices.Sorted(maps.Keys(m.queues)) }

//lab:end

// History is every term of election so far, in order.
func (m *Machine) History(election string) []Leader {
	//lab:solution 6D
	return append([]Leader(nil), m.history[election]...)
	//lab:stub
	//> return nil
	//lab:end
}

// Ops is the number of election operations applied.
func (m *Machine) Ops() uint64 { return m.ops }

type snapshot struct {
	Ops     uint64
	Rev     uint64
	Queues  []Leader // every election's queue, elections in name order
	History []Leader
}

// Snapshot encodes the state (lock.Extension), as lists in a fixed order.
func (m *Machine) Snapshot() []byte {
	s := snapshot{Ops: m.ops}
	//lab:solution 6D
	s.Rev = m.rev
	for _, name := range m.names() {
		s.Queues = append(s.Queues, m.queues[name]...)
	}
	for _, name := range slices.Sorted(maps.Keys(m.history)) {
		s.History = append(s.History, m.history[name]...)
	}
	//lab:end
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(s); err != nil {
		panic(fmt.Sprintf("election: encoding a snapshot: %v", err))
	}
	return b.Bytes()
}

// Restore replaces the state with a snapshot's (lock.Extension).
func (m *Machine) Restore(data []byte) error {
	var s snapshot
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("election: restoring a snapshot of %d bytes: %w", len(data), err)
	}
	*m = *NewMachine()
	m.ops = s.Ops
	//lab:solution 6D
	m.rev = s.Rev
	for _, c := range s.Queues {
		m.queues[c.Election] = append(m.queues[c.Election], c)
	}
	for _, t := range s.History {
		m.history[t.Election] = append(m.history[t.Election], t)
	}
	//lab:end
	return nil
}

// Digest is a hash of the state, for the replica-agreement check.
func (m *Machine) Digest() uint64 {
	h := fnv.New64a()
	h.Write(m.Snapshot())
	return h.Sum64()
}
