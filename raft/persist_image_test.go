package raft

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"protolab/labrpc"
)

// What persist saves is what readPersist restores: after every change a
// peer's persistent state goes through (a leader appending, a vote, a new
// term, a follower cutting off a conflicting tail and taking a leader's
// entries, a restart, and from 4D a snapshot taken or installed), a new
// incarnation built from the Persister alone holds the same term, vote and
// log, and the same snapshot. These tests call persist and readPersist
// directly, with no network, so any correct way of saving passes them: the
// whole state at every save, or only what changed (the reference appends a
// record per save, persist.go).

// TestPersistRoundTrip4C: random changes without snapshots, checked after
// every one, and one conflict by hand whose new entries have a lower term
// than the ones they replace.
func TestPersistRoundTrip4C(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			s := newPersistScript(t, seed)
			for step := 0; step < 150; step++ {
				s.randomChange(false)
				s.check()
			}
		})
	}
	t.Run("lower-term-replaces", func(t *testing.T) {
		// The follower holds [1 1 5] (the 5 from a leader that lost its
		// office); the leader of term 6 holds [1 1 4 6], and its entry 3
		// conflicts: entry 3 goes back to a lower term.
		s := newPersistScript(t, 0)
		s.rf.currentTerm = 5
		s.rf.log.append(Entry{1, 101}, Entry{1, 102}, Entry{5, 503})
		s.persist("the follower takes entries of terms 1 and 5")
		s.rf.currentTerm = 6
		s.rf.log.truncateFrom(3)
		s.rf.log.append(Entry{4, 403}, Entry{6, 604})
		s.persist("the leader of term 6 replaces entry 3 (term 5) by its own (term 4) and adds entry 4")
		s.restart()
		s.rf.log.append(Entry{6, 605})
		s.persist("after a restart, one more entry")
	})
}

// TestPersistRoundTripSnapshots4D: the same with snapshots taken by the
// service and installed from a leader, which move the log's start.
func TestPersistRoundTripSnapshots4D(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			s := newPersistScript(t, seed)
			for step := 0; step < 150; step++ {
				s.randomChange(true)
				s.check()
			}
		})
	}
}

// A persistScript changes one peer's persistent state the ways Raft does,
// persists after each change, and checks what a restart would read.
type persistScript struct {
	t       *testing.T
	rng     *rand.Rand
	p       *labrpc.Persister
	rf      *Raft
	command int // the next command: every entry's is new
	what    string
}

func newPersistScript(t *testing.T, seed uint64) *persistScript {
	s := &persistScript{t: t, rng: rand.New(rand.NewPCG(seed, 14)), p: labrpc.NewPersister()}
	s.rf = s.boot()
	return s
}

// boot is a new incarnation on the script's Persister, as Make starts it.
func (s *persistScript) boot() *Raft {
	rf := &Raft{me: 0, persister: s.p, votedFor: -1, log: newLog()}
	rf.readPersist(s.p.ReadState())
	rf.savedTerm, rf.savedVote = rf.currentTerm, rf.votedFor
	rf.snapshot = s.p.ReadSnapshot()
	return rf
}

func (s *persistScript) persist(what string) {
	s.t.Helper()
	s.what = what
	s.rf.persist()
	s.check()
}

func (s *persistScript) restart() {
	s.t.Helper()
	s.what = "a restart"
	s.rf = s.boot()
	s.check()
}

// randomChange makes one change. Every entry gets a new command, and a
// follower's new entries are of a term newer than any in its log, so two
// entries with one index and term always hold one command: the Log
// Matching Property, which any real run keeps.
func (s *persistScript) randomChange(snapshots bool) {
	rf := s.rf
	next := func() Entry {
		s.command++
		return Entry{Term: rf.currentTerm, Command: s.command}
	}
	switch k := s.rng.IntN(20); {
	case k < 8: // a leader's Start
		rf.log.append(next())
		s.what = "a leader appends an entry"
	case k < 10: // a new term, maybe with a vote
		rf.currentTerm += 1 + s.rng.IntN(2) // terms can jump: a peer may hear of a later one
		rf.votedFor = s.rng.IntN(4) - 1
		s.what = "a new term"
	case k < 11:
		if rf.votedFor == -1 {
			rf.votedFor = s.rng.IntN(3)
		}
		s.what = "a vote"
	case k < 14: // a follower takes a new leader's entries, maybe over a conflict
		rf.currentTerm += 1 + s.rng.IntN(2) // terms can jump: a peer may hear of a later one
		if i := rf.log.firstIndex() + 1 + s.rng.IntN(rf.log.lastIndex()-rf.log.firstIndex()+1); i <= rf.log.lastIndex() {
			rf.log.truncateFrom(i)
		}
		for range 1 + s.rng.IntN(4) {
			rf.log.append(next())
		}
		s.what = "a follower cuts its log and appends a new leader's entries"
	case k < 16:
		s.restart()
		return
	case k < 18 && snapshots && rf.log.lastIndex() > rf.log.firstIndex(): // the service snapshots
		rf.log.compact(rf.log.firstIndex() + 1 + s.rng.IntN(rf.log.lastIndex()-rf.log.firstIndex()))
		rf.snapshot = fmt.Appendf(nil, "snapshot through %d", rf.log.firstIndex())
		s.what = "a snapshot"
	case k < 20 && snapshots: // a leader's snapshot past the log
		rf.currentTerm += 1 + s.rng.IntN(2) // terms can jump: a peer may hear of a later one
		rf.log.reset(rf.log.lastIndex()+1+s.rng.IntN(3), rf.currentTerm)
		rf.snapshot = fmt.Appendf(nil, "installed through %d", rf.log.firstIndex())
		s.what = "a snapshot installed"
	default:
		rf.log.append(next())
		s.what = "a leader appends an entry"
	}
	rf.persist()
}

// check requires that a new incarnation would read exactly the state the
// current one holds.
func (s *persistScript) check() {
	s.t.Helper()
	rf, got := s.rf, &Raft{me: 0, votedFor: -1, log: newLog()}
	got.readPersist(s.p.ReadState())
	fail := func(format string, args ...any) {
		s.t.Helper()
		s.t.Fatalf("after %s, a restart would read %s: what persist saves must be what readPersist restores (Figure 2, Persistent state)", s.what, fmt.Sprintf(format, args...))
	}
	if got.currentTerm != rf.currentTerm || got.votedFor != rf.votedFor {
		fail("term %d and vote %d, where the peer has term %d and vote %d", got.currentTerm, got.votedFor, rf.currentTerm, rf.votedFor)
	}
	if got.log.firstIndex() != rf.log.firstIndex() || got.log.lastIndex() != rf.log.lastIndex() {
		fail("a log of %d..%d, where the peer's is %d..%d", got.log.firstIndex()+1, got.log.lastIndex(), rf.log.firstIndex()+1, rf.log.lastIndex())
	}
	for i := rf.log.firstIndex(); i <= rf.log.lastIndex(); i++ {
		g, w := got.log.entries[i-rf.log.start], rf.log.entries[i-rf.log.start]
		if g.Term != w.Term || g.Command != w.Command {
			fail("entry %d as {term %d, %v}, where the peer has {term %d, %v}", i, g.Term, g.Command, w.Term, w.Command)
		}
	}
	if snap := s.p.ReadSnapshot(); !bytes.Equal(snap, rf.snapshot) {
		fail("the snapshot %q, where the peer has %q", snap, rf.snapshot)
	}
}
