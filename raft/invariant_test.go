package raft

import (
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// The invariants raft states in its code (labrpc.Violated) stop a run at the
// step that breaks them. Each case below breaks one on purpose, by setting a
// peer's state as a bug would leave it, and checks that the run stops with
// that invariant's name; the mutants in mutants.txt that break them through
// the protocol's own code are caught the same way. The checks sit outside
// the solution regions, so they hold in every skeleton: these tests pass
// from 4A on, whatever is still a stub.

// violation runs f as node code would run and returns the invariant it broke,
// or nil if it broke none.
func violation(t *testing.T, f func()) (broken *labrpc.InvariantError) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			e, ok := r.(*labrpc.InvariantError)
			if !ok {
				panic(r)
			}
			broken = e
		}
	}()
	f()
	return nil
}

// peerForInvariants boots one peer of three on a hand-driven network, on
// which nothing happens unless the test makes it.
func peerForInvariants(t *testing.T) *Raft {
	hn := tests.NewHandNet(t, 3, 1, func(env labrpc.Env) any {
		return Make(env, env.Persister(), func(ApplyMsg) {})
	})
	return hn.Nodes[0].(*Raft)
}

func TestInvariantsStopTheRun4A(t *testing.T) {
	for _, tc := range []struct {
		invariant string // the start of its name
		bug       func(rf *Raft)
		// fine does what the invariant allows, from the same start: it
		// must not stop the run.
		fine func(rf *Raft)
	}{
		{
			invariant: "commitIndex never decreases",
			bug:       func(rf *Raft) { rf.commitIndex, rf.lastApplied = 5, 5; rf.commitTo(3) },
			fine:      func(rf *Raft) { rf.commitTo(0) },
		},
		{
			invariant: "commitIndex <= last log index",
			bug:       func(rf *Raft) { rf.commitTo(rf.log.lastIndex() + 2) },
			fine:      func(rf *Raft) { rf.commitTo(rf.log.lastIndex()) },
		},
		{
			invariant: "lastApplied <= commitIndex",
			bug:       func(rf *Raft) { rf.lastApplied, rf.commitIndex = 4, 2; rf.applyCommitted() },
			fine:      func(rf *Raft) { rf.applyCommitted() },
		},
		{
			invariant: "a leader never deletes entries from its log",
			bug:       func(rf *Raft) { rf.role, rf.currentTerm = leader, 1; rf.truncateLog(1) },
		},
		{
			invariant: "a committed entry is never deleted",
			bug:       func(rf *Raft) { rf.commitIndex = 2; rf.truncateLog(2) },
		},
		{
			invariant: "matchIndex[p] < nextIndex[p]",
			bug: func(rf *Raft) {
				rf.progress = make([]progress, 3)
				rf.progress[1] = progress{nextIndex: 1, matchIndex: 1}
				rf.checkProgress(1)
			},
			fine: func(rf *Raft) {
				rf.progress = make([]progress, 3)
				rf.progress[1] = progress{matchIndex: 0, nextIndex: 1 + rf.log.lastIndex()}
				rf.checkProgress(1)
			},
		},
		{
			invariant: "matchIndex[p] < nextIndex[p] <= the leader's last index + 1",
			bug: func(rf *Raft) {
				rf.progress = make([]progress, 3)
				rf.progress[1] = progress{nextIndex: rf.log.lastIndex() + 2}
				rf.checkProgress(1)
			},
		},
		{
			invariant: "currentTerm never decreases",
			bug:       func(rf *Raft) { rf.currentTerm = 3; rf.persist(); rf.currentTerm = 2; rf.persist() },
			fine:      func(rf *Raft) { rf.currentTerm = 3; rf.persist(); rf.currentTerm = 4; rf.persist() },
		},
		{
			invariant: "one vote per term",
			bug: func(rf *Raft) {
				rf.currentTerm, rf.votedFor = 3, 1
				rf.persist()
				rf.votedFor = 2
				rf.persist()
			},
			fine: func(rf *Raft) {
				rf.currentTerm, rf.votedFor = 3, -1
				rf.persist()
				rf.votedFor = 2
				rf.persist() // the first vote of term 3
				rf.currentTerm, rf.votedFor = 4, 1
				rf.persist() // a new term, a new vote
			},
		},
	} {
		t.Run(tc.invariant, func(t *testing.T) {
			broken := violation(t, func() { tc.bug(peerForInvariants(t)) })
			require.NotNil(t, broken, "the bug did not stop the run: the check of %q is missing", tc.invariant)
			require.Contains(t, broken.Invariant, tc.invariant, "the run stopped, but for another invariant: %v", broken)
			require.Regexp(t, `\(.*(§|Figure).*\)$`, broken.Invariant, "the name says where the invariant is stated")
			if tc.fine != nil {
				require.Nil(t, violation(t, func() { tc.fine(peerForInvariants(t)) }), "what the invariant allows stopped the run")
			}
		})
	}
}

// The terms along a log never decrease (Log Matching, §5.3): appending an
// entry of an older term after a newer one means a conflicting suffix was
// not cut off. Needs the log of 4B.
func TestLogTermsNeverDecrease4B(t *testing.T) {
	rf := peerForInvariants(t)
	require.Nil(t, violation(t, func() { rf.log.append(Entry{Term: 1}, Entry{Term: 2}, Entry{Term: 2}) }))
	broken := violation(t, func() { rf.log.append(Entry{Term: 3}, Entry{Term: 1}) })
	require.NotNil(t, broken, "an entry of term 1 after one of term 3 did not stop the run")
	require.Contains(t, broken.Invariant, "terms never decrease along the log (Log Matching, §5.3)")
	require.Contains(t, broken.Detail, "entry 5 would have term 1, after an entry of term 3")
}
