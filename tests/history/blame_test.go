package history

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// A stale read after a write: porcupine explains the write, and blames the
// read, which no order can place after it.
func TestBlameNamesTheStaleRead(t *testing.T) {
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 2})
	defer w.Close()
	h := New(w)
	h.ops = []porcupine.Operation{
		{ClientId: 0, Input: [2]int{0, 1}, Call: 0, Output: nil, Return: 10e6},
		{ClientId: 1, Input: [2]int{1, 0}, Call: 5e6, Output: 0, Return: 15e6}, // concurrent with the write: fine
		{ClientId: 2, Input: [2]int{1, 0}, Call: 20e6, Output: 1, Return: 25e6},
		{ClientId: 1, Input: [2]int{1, 0}, Call: 30e6, Output: 0, Return: 40e6}, // stale
	}
	err := h.Check(registerModel, time.Second)
	require.ErrorContains(t, err, "not linearizable")
	var notes []string
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindNote {
			notes = append(notes, l.Text)
		}
	}
	require.Equal(t, []string{BlamePrefix + "c1 [0.030000s, 0.040000s] [1 0]→0 (after [1 0]→1 by c2)"}, notes,
		"the stale read, on client 1's lane (c1: clients are numbered from 0), after the last read porcupine could place")

	// A linearizable history blames nothing and notes nothing.
	h.ops = h.ops[:3]
	require.NoError(t, h.Check(registerModel, time.Second))
	require.Len(t, w.Tail(-1), len(notes)+0, "no note for a linearizable history")
}

// Operations that never returned are printed as such.
func TestBlameTextForAnOperationThatNeverReturned(t *testing.T) {
	b := blamedOp{op: porcupine.Operation{ClientId: 3, Input: [2]int{0, 1}, Call: 1e9, Return: 1 << 62}}
	b.op.Return = int64(^uint64(0) >> 1)
	require.True(t, strings.HasSuffix(blameText(registerModel, 5, b), "c3 [1.000000s, never] [0 1]→<nil>"), blameText(registerModel, 5, b))
}

// A register model for the blame tests (the tests package's own checker tests
// keep theirs, beside the harness they test).
var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in := input.([2]int) // {0, v}: write v; {1, 0}: read
		if in[0] == 0 {
			return true, in[1]
		}
		return output == nil || output.(int) == state.(int), state
	},
	DescribeOperation: func(input, output any) string { return fmt.Sprint(input, "→", output) },
}
