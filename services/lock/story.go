package lock

import (
	"fmt"
	"time"

	"protolab/labrpc"
	"protolab/replog"
)

// The paused holder: the story the handout tells (and `lab demo` can).
//
// Client A holds a lock and writes to the storage under it. As it is about
// to write again, it pauses: a long garbage-collection pause, say, longer
// than its lease. Its session expires; client B takes the lock, with a
// greater sequencer, and writes. A resumes and sends the write it had
// prepared, still sure it holds the lock: it never saw the pause. The
// storage server refuses it, because B's sequencer is newer. Without the
// sequencer, A's write would silently overwrite B's.

// StoryResult is what the paused-holder story saw.
type StoryResult struct {
	SeqA, SeqB Sequencer // the two grants
	LateWrite  Err       // the storage's answer to A's write after its pause
	Final      string    // the storage's value at the end
	Steps      []string  // the story, step by step, with virtual times
}

// StoryLock and StoryKey are the lock and the storage key the story uses.
const (
	StoryLock = "file-lock"
	StoryKey  = "file"
)

// PausedHolder tells the story on a new cell in w, which must have 6 nodes
// (3 lock servers, the storage, clients A and B) and no node started. It
// runs in the world's driver (a test's goroutine) and returns once A's late
// write has been answered and A has learned its session is gone. An error
// says which step did not happen in time; the cell's checks stop the run on
// a safety violation as it happens.
func PausedHolder(w *labrpc.World, engine replog.Engine, cfg Config) (StoryResult, error) {
	var res StoryResult
	c, err := NewCell(w, engine, 3, cfg)
	if err != nil {
		return res, err
	}
	if len(c.Clients) != 2 {
		return res, fmt.Errorf("lock: the paused-holder story needs a world of 6 nodes (3 servers, storage, 2 clients), not %d", w.Nodes())
	}
	a, b := c.Clients[0], c.Clients[1]
	step := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		w.Note("story: %s", s)
		res.Steps = append(res.Steps, fmt.Sprintf("%8.3fs  %s", w.Now().Seconds(), s))
	}
	wait := func(what string, limit time.Duration, cond func() bool) error {
		if !w.WaitUntil(cond, 5*time.Millisecond, limit) {
			return fmt.Errorf("lock: paused-holder story (%s, seed %d): %s did not happen within %v", engine.Name, w.Seed(), what, limit)
		}
		return nil
	}

	c.StartAll()
	if err := wait("both clients opening sessions", 5*time.Second, c.allOpen); err != nil {
		return res, err
	}
	A, B := c.Client(a), c.Client(b)
	A.Acquire(StoryLock, func(seq Sequencer) { res.SeqA = seq })
	if err := wait("A's grant", 5*time.Second, func() bool { return res.SeqA.Gen != 0 }); err != nil {
		return res, err
	}
	step("A (%s) holds %s with sequencer %v", w.Name(a), StoryLock, res.SeqA)
	var first Err
	A.Write(c.Storage, StoryKey, "A's data", res.SeqA, func(e Err) { first = e })
	if err := wait("A's first write", 5*time.Second, func() bool { return first != "" }); err != nil {
		return res, err
	}
	step("A writes %q under %v: %s", "A's data", res.SeqA, first)

	// A checks that it holds the lock and prepares its next write, which
	// leaves 1 ms later; before it leaves, A pauses for three leases.
	pause := 3 * cfg.Lease
	seq, holds := A.Holds(StoryLock)
	if !holds {
		return res, fmt.Errorf("lock: paused-holder story (%s, seed %d): A does not believe it holds the lock before its pause", engine.Name, w.Seed())
	}
	A.env.After(time.Millisecond, func() {
		A.Write(c.Storage, StoryKey, "A's late data", seq, func(e Err) { res.LateWrite = e })
	})
	w.Pause(a, pause)
	step("A checked it holds %s (%v) and prepared a write; A pauses for %v (its lease is %v)", StoryLock, seq, pause, cfg.Lease)

	B.Acquire(StoryLock, func(seq Sequencer) { res.SeqB = seq })
	if err := wait("B's grant after A's session expired", pause, func() bool { return res.SeqB.Gen != 0 }); err != nil {
		return res, err
	}
	step("A's session expired; B (%s) holds %s with sequencer %v", w.Name(b), StoryLock, res.SeqB)
	var second Err
	B.Write(c.Storage, StoryKey, "B's data", res.SeqB, func(e Err) { second = e })
	if err := wait("B's write", 5*time.Second, func() bool { return second != "" }); err != nil {
		return res, err
	}
	step("B writes %q under %v: %s", "B's data", res.SeqB, second)

	oldSession := A.Session()
	if err := wait("A's late write being answered", pause+5*time.Second, func() bool { return res.LateWrite != "" }); err != nil {
		return res, err
	}
	step("A resumes and sends its prepared write under %v: the storage answers %s", seq, res.LateWrite)
	if err := wait("A learning its session expired", 5*time.Second, func() bool {
		s := c.Client(a).Session()
		return s != 0 && s != oldSession
	}); err != nil {
		return res, err
	}
	_, holds = A.Holds(StoryLock)
	step("A's KeepAlive is refused: session %d expired; A opens session %d and holds the lock: %v", oldSession, A.Session(), holds)
	res.Final = c.Store().Get(StoryKey)
	step("the storage holds %q", res.Final)
	return res, nil
}

// allOpen reports whether every running client has a session.
func (c *Cell) allOpen() bool {
	for _, id := range c.Clients {
		if cl := c.Client(id); cl != nil && cl.Session() == 0 {
			return false
		}
	}
	return true
}
