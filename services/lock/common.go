// Package lock is lab 6C: a lock service in the style of Chubby (Burrows,
// "The Chubby lock service for loosely-coupled distributed systems", OSDI
// 2006), run as a state machine on a replicated log (lab 6A's rsm layer, on
// Raft or Multi-Paxos).
//
// Clients open sessions and keep them alive with KeepAlives; a session that
// is not kept alive expires, and every lock it held is released. A grant
// carries a sequencer (§2.4): the lock's name and a generation number that
// grows with every grant, so that a server the lock protects (here a
// storage server, itself a simulated node) can refuse a request from a
// holder that has lost the lock without knowing it. Clocks drift: each
// client keeps a local lease that ends before the server's by the margin
// the drift bound requires (§2.8), and stops believing it holds its locks
// when that lease ends.
//
// The pieces, one file each:
//
//	machine.go   the replicated state: sessions, locks, sequencers (Apply)
//	lease.go     the lease arithmetic: the client's conservative lease
//	server.go    a lock server node: the state machine on rsm, and the
//	             leader's expiry timer that proposes "expire session S"
//	client.go    the client library on a client node (event style)
//	storage.go   the storage server that fences writes by sequencer
//	check.go     the safety checks run after every event
//	story.go     the paused-holder scenario the handout tells
//
// The handout is docs/lab6-services.md, section 6C.
package lock

import (
	"fmt"

	"protolab/labgob"
)

// Err says how an operation ended.
type Err string

const (
	OK Err = "OK"
	// ErrNoSession: the session does not exist or has expired; open a new
	// one (its locks are gone).
	ErrNoSession Err = "ErrNoSession"
	// ErrBusy: TryAcquire of a lock another session holds; Acquire answers
	// it too while it waits, and asks again.
	ErrBusy Err = "ErrBusy"
	// ErrNotHeld: Release of a lock the session does not hold (with that
	// sequencer).
	ErrNotHeld Err = "ErrNotHeld"
	// ErrStaleSequencer: the storage server has seen a newer sequencer for
	// the lock; the writer has lost the lock.
	ErrStaleSequencer Err = "ErrStaleSequencer"
	// ErrWrongLeader: the server asked is not the leader; try another.
	ErrWrongLeader Err = "ErrWrongLeader"
)

// SessionID names a session; the state machine numbers them from 1.
type SessionID int64

// A Sequencer is what a lock's grant carries (Chubby §2.4): the lock's name
// and its generation, a number that grows with every grant of that lock, so
// that a newer holder's sequencer is always greater than an older one's.
// Gen 0 is no grant.
type Sequencer struct {
	Lock string
	Gen  uint64
}

func (s Sequencer) String() string { return fmt.Sprintf("%s#%d", s.Lock, s.Gen) }

// The operations that go through the log. Each is applied by Machine.Apply
// on every replica, in log order, and must give the same answer on each.

// OpenSession starts a new session; its lease begins when it is applied.
type OpenSession struct{}

// KeepAlive extends a live session's lease; an expired session stays expired.
type KeepAlive struct{ Session SessionID }

// Acquire asks for Lock for Session. Try: a TryAcquire, which the client
// does not repeat when the lock is busy.
type Acquire struct {
	Session SessionID
	Lock    string
	Try     bool
}

// Release gives Lock back; Gen must be the generation of the grant.
type Release struct {
	Session SessionID
	Lock    string
	Gen     uint64
}

// Expire ends Session if no KeepAlive has been applied since the proposer
// saw Beats of them: the leader proposes it when its own clock says the
// session's lease is over (see server.go), so a KeepAlive that commits
// first cancels it.
type Expire struct {
	Session SessionID
	Beats   uint64
}

// Reply is the answer to every operation.
type Reply struct {
	Err     Err
	Session SessionID // OpenSession's new session
	Seq     Sequencer // Acquire's grant
}

func init() {
	labgob.Register(OpenSession{})
	labgob.Register(KeepAlive{})
	labgob.Register(Acquire{})
	labgob.Register(Release{})
	labgob.Register(Expire{})
	labgob.Register(Reply{})
}
