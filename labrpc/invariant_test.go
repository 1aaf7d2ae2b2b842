package labrpc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A broken invariant in node code stops the run like any failure of node
// code: with the node, what it was handling, the virtual time, the
// invariant's name and values, and the stack down to the check.
func TestViolatedStopsTheRunWithNodeNameAndTime(t *testing.T) {
	w := NewWorld(Config{Nodes: 2})
	t.Cleanup(w.Close)
	w.Start(0, bootEcho)
	w.Start(1, func(env Env) any {
		commitIndex := 5
		env.After(1500*time.Millisecond, func() {
			if n := 3; n < commitIndex {
				Violated("commitIndex never decreases (Figure 2)", "commitIndex would go back from %d to %d", commitIndex, n)
			}
		})
		return &echoNode{env: env}
	})
	err := mustStop(t, w, func() { w.Sleep(2 * time.Second) })
	require.ErrorContains(t, err, "n1 broke an invariant in a timer at 1.500000s: commitIndex never decreases (Figure 2): commitIndex would go back from 5 to 3")
	require.ErrorContains(t, err, "invariant_test.go", "the stack shows where the check is")
	require.Equal(t, 1500*time.Millisecond, w.Now(), "the run stops at the step that broke the invariant")
}

// The panic value names the invariant; an unnamed one says how to name it.
func TestViolatedPanicValue(t *testing.T) {
	defer func() {
		e, ok := recover().(*InvariantError)
		require.True(t, ok, "Violated panics with an *InvariantError")
		require.Equal(t, "lastApplied <= commitIndex (Figure 2)", e.Invariant)
		require.Equal(t, "lastApplied is 4, commitIndex 2", e.Detail)
		require.Equal(t, "invariant violated: lastApplied <= commitIndex (Figure 2): lastApplied is 4, commitIndex 2", e.Error())
	}()
	Violated("lastApplied <= commitIndex (Figure 2)", "lastApplied is %d, commitIndex %d", 4, 2)
}

func TestViolatedWithoutName(t *testing.T) {
	defer func() {
		e := recover().(*InvariantError)
		require.Contains(t, e.Invariant, "pass Violated the invariant's name")
	}()
	Violated("", "x")
}
