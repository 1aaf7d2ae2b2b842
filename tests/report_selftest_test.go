package tests

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Self-tests of the reports' small helpers, which the mutation run found
// untested: a wrong word or a missing context line in a failure report sends a
// learner the wrong way.

func TestFirstDifferenceShowsTheLineBefore(t *testing.T) {
	got := firstDifference([]byte("start\nn0 votes\nn1 leads\n"), []byte("start\nn0 votes\nn2 leads\n"))
	require.Equal(t, "  line 3, both runs: n0 votes\n  first run:  n1 leads\n  second run: n2 leads", got)
	require.Contains(t, firstDifference([]byte("a\nb\n"), []byte("a\n")), "line 2, both runs: a\n  first run:  b\n  second run: ",
		"a trace that ends first differs where it ends")
	require.Equal(t, "(the traces are equal: the difference is outside the first world)", firstDifference([]byte("a\n"), []byte("a\n")))
}

func TestPluralSummary(t *testing.T) {
	require.Equal(t, "1 peer", plural(1, "peer"))
	require.Equal(t, "0 peers", plural(0, "peer"))
	require.Equal(t, "5 RPCs", plural(5, "RPC"))
}
