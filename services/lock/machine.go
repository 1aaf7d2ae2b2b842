package lock

import (
	"bytes"
	"fmt"
	"hash/fnv"
	//lab:solution 6C
	"maps"
	"slices"
	//lab:end

	"protolab/labgob"
)

// Machine is the lock service's replicated state. Every replica applies the
// same operations in the same order and must reach the same state, so
// Apply reads nothing but its operation and the state: no clock, no
// randomness, no map order. Time enters only through Expire operations that
// the leader proposes (server.go): a replica that expired sessions by
// reading its own clock while applying would diverge from the others, since
// each applies at its own moment and its clock runs at its own rate.
type Machine struct {
	ops uint64 // operations applied: replicas with equal counts must have equal states
	//lab:solution 6C
	nextSession SessionID
	sessions    map[SessionID]*session
	locks       map[string]*lockState
	//lab:end
}

//lab:solution 6C

// session is one session as the replicated state knows it.
type session struct {
	// beats counts the KeepAlives applied to it; an Expire proposed when
	// the leader had seen fewer is out of date and does nothing.
	beats   uint64
	expired bool
}

// lockState is one lock: who holds it, and the generation of its latest
// grant (which only grows: it is the lock's sequencer).
type lockState struct {
	holder SessionID // 0: free
	gen    uint64
}

//lab:end

// NewMachine returns an empty state: no sessions, no locks.
func NewMachine() *Machine {
	m := &Machine{}
	//lab:solution 6C
	m.nextSession = 1
	m.sessions = map[SessionID]*session{}
	m.locks = map[string]*lockState{}
	//lab:stub
	// TODO(6C): set up the state.
	//lab:end
	return m
}

// Apply applies one operation and returns its answer. An operation it does
// not know is a bug of the caller's, answered with a panic naming it.
func (m *Machine) Apply(op any) Reply {
	m.ops++
	switch op := op.(type) {
	case OpenSession:
		return m.openSession()
	case KeepAlive:
		return m.keepAlive(op)
	case Acquire:
		return m.acquire(op)
	case Release:
		return m.release(op)
	case Expire:
		return m.expire(op)
	}
	panic(fmt.Sprintf("lock: Machine.Apply(%T): not a lock operation; submit OpenSession, KeepAlive, Acquire, Release or Expire", op))
}

func (m *Machine) openSession() Reply {
	//lab:solution 6C
	id := m.nextSession
	m.nextSession++
	m.sessions[id] = &session{}
	return Reply{Err: OK, Session: id}
	//lab:stub
	// TODO(6C): start a session with a new id (the same on every replica).
	//> return Reply{Err: ErrNoSession}
	//lab:end
}

// keepAlive extends a live session. An expired session stays expired
// (Chubby §2.8: the session's locks may already be someone else's): the
// client must learn that it lost them.
func (m *Machine) keepAlive(op KeepAlive) Reply {
	//lab:solution 6C
	s := m.sessions[op.Session]
	if s == nil || s.expired {
		return Reply{Err: ErrNoSession}
	}
	s.beats++
	return Reply{Err: OK}
	//lab:stub
	// TODO(6C): count a KeepAlive of a live session; refuse an expired or unknown one.
	//> return Reply{Err: ErrNoSession}
	//lab:end
}

// acquire grants a free lock, with the next generation as its sequencer. A
// session that holds the lock already gets its grant again (a retried
// Acquire, or a client asking whether it got it).
func (m *Machine) acquire(op Acquire) Reply {
	//lab:solution 6C
	if s := m.sessions[op.Session]; s == nil || s.expired {
		return Reply{Err: ErrNoSession}
	}
	l := m.locks[op.Lock]
	if l == nil {
		l = &lockState{}
		m.locks[op.Lock] = l
	}
	switch l.holder {
	case op.Session:
	case 0:
		l.holder = op.Session
		l.gen++ // every grant gets a new, greater sequencer (§2.4)
	default:
		return Reply{Err: ErrBusy}
	}
	return Reply{Err: OK, Seq: Sequencer{Lock: op.Lock, Gen: l.gen}}
	//lab:stub
	// TODO(6C): grant a free lock to a live session with a new sequencer
	// (Chubby §2.4); answer ErrBusy if another session holds it.
	//> return Reply{Err: ErrNoSession}
	//lab:end
}

func (m *Machine) release(op Release) Reply {
	//lab:solution 6C
	l := m.locks[op.Lock]
	if l == nil || l.holder != op.Session || l.gen != op.Gen || op.Session == 0 {
		return Reply{Err: ErrNotHeld}
	}
	l.holder = 0
	return Reply{Err: OK}
	//lab:stub
	// TODO(6C): free the lock if this session holds it with this generation.
	//> return Reply{Err: ErrNotHeld}
	//lab:end
}

// expire ends a session whose lease the leader saw run out, and releases
// every lock it held, unless a KeepAlive was applied after the leader
// looked (then the lease is running again).
func (m *Machine) expire(op Expire) Reply {
	//lab:solution 6C
	s := m.sessions[op.Session]
	if s == nil || s.expired || s.beats != op.Beats {
		return Reply{Err: ErrNoSession}
	}
	s.expired = true
	for _, name := range m.lockNames() {
		if l := m.locks[name]; l.holder == op.Session {
			l.holder = 0
		}
	}
	return Reply{Err: OK}
	//lab:stub
	// TODO(6C): end the session if its KeepAlive count is still op.Beats,
	// and release every lock it holds.
	//> return Reply{Err: ErrNoSession}
	//lab:end
}

// The state as the server and the checks read it.

// Live reports whether session id exists and has not expired, and how
// many KeepAlives it has had.
func (m *Machine) Live(id SessionID) (live bool, beats uint64) {
	//lab:solution 6C
	if s := m.sessions[id]; s != nil && !s.expired {
		return true, s.beats
	}
	//lab:end
	return false, 0
}

// Sessions lists the live sessions, in id order.
func (m *Machine) Sessions() []SessionID {
	var live []SessionID
	//lab:solution 6C
	for id, s := range m.sessions {
		if !s.expired {
			live = append(live, id)
		}
	}
	slices.Sort(live)
	//lab:end
	return live
}

// Holder is the session that holds lock name (0 if none) and the lock's
// latest generation.
func (m *Machine) Holder(name string) (SessionID, uint64) {
	//lab:solution 6C
	if l := m.locks[name]; l != nil {
		return l.holder, l.gen
	}
	//lab:end
	return 0, 0
}

//lab:solution 6C

func (m *Machine) lockNames() []string {
	return slices.Sorted(maps.Keys(m.locks))
}

//lab:end

// Snapshots: the state as sorted lists, so that two replicas in the same
// state write the same bytes.

type snapshot struct {
	Ops         uint64
	NextSession SessionID
	Sessions    []snapSession
	Locks       []snapLock
}

type snapSession struct {
	ID      SessionID
	Beats   uint64
	Expired bool
}

type snapLock struct {
	Name   string
	Holder SessionID
	Gen    uint64
}

// Snapshot encodes the state.
func (m *Machine) Snapshot() []byte {
	s := snapshot{Ops: m.ops}
	//lab:solution 6C
	s.NextSession = m.nextSession
	for id, ss := range m.sessions {
		s.Sessions = append(s.Sessions, snapSession{ID: id, Beats: ss.beats, Expired: ss.expired})
	}
	slices.SortFunc(s.Sessions, func(a, b snapSession) int { return int(a.ID - b.ID) })
	for _, name := range m.lockNames() {
		l := m.locks[name]
		s.Locks = append(s.Locks, snapLock{Name: name, Holder: l.holder, Gen: l.gen})
	}
	//lab:end
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(s); err != nil {
		panic(fmt.Sprintf("lock: encoding a snapshot: %v", err))
	}
	return b.Bytes()
}

// Restore replaces the state with a snapshot's.
func (m *Machine) Restore(data []byte) error {
	var s snapshot
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return fmt.Errorf("lock: restoring a snapshot of %d bytes: %w", len(data), err)
	}
	*m = *NewMachine()
	m.ops = s.Ops
	//lab:solution 6C
	m.nextSession = s.NextSession
	for _, ss := range s.Sessions {
		m.sessions[ss.ID] = &session{beats: ss.Beats, expired: ss.Expired}
	}
	for _, l := range s.Locks {
		m.locks[l.Name] = &lockState{holder: l.Holder, gen: l.Gen}
	}
	//lab:end
	return nil
}

// Ops is the number of operations applied to this state (a snapshot's
// included).
func (m *Machine) Ops() uint64 { return m.ops }

// Digest is a hash of the state: two replicas that applied the same
// operations have the same digest (the replica-agreement check compares them).
func (m *Machine) Digest() uint64 {
	h := fnv.New64a()
	h.Write(m.Snapshot())
	return h.Sum64()
}
