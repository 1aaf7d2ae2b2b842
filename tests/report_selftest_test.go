package tests

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
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

func TestFailureSummaryIsCutAtItsLimit(t *testing.T) {
	long := strings.Repeat("x", maxSummary+10)
	got := []rune(failureSummary(long))
	require.Len(t, got, maxSummary, "a summary is one trace line of at most maxSummary characters")
	require.Equal(t, '…', got[len(got)-1])
	exact := strings.Repeat("y", maxSummary)
	require.Equal(t, exact, failureSummary(exact), "a summary of exactly maxSummary characters is kept whole")
}

// onFakeT runs body as a simulated test on a fake testing.T and returns it with
// the run's world, once the body has ended (returned or stopped by FailNow).
func onFakeT(body func(t *T)) (*testing.T, *labrpc.World) {
	ft := &testing.T{}
	var w *labrpc.World
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSeed(ft, 1, func(t *T) {
			w = t.NewWorld(labrpc.Config{Nodes: 1})
			body(t)
		}, true)
	}()
	<-done
	return ft, w
}

func TestFatalStopsTheTestAndNotesOnce(t *testing.T) {
	reached := false
	ft, w := onFakeT(func(t *T) {
		t.Error("first failure")
		t.Fatal("second failure")
		reached = true
	})
	require.True(t, ft.Failed())
	require.False(t, reached, "Fatal must end the test, as testing.T's does")
	var notes []string
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindNote && strings.HasPrefix(l.Text, "FAIL: ") {
			notes = append(notes, l.Text)
		}
	}
	require.Equal(t, []string{"FAIL: first failure"}, notes, "the trace notes the run's first failure, once")

	var first, second, got *labrpc.World
	onFakeT(func(t *T) {
		first = t.World()
		second = t.NewWorld(labrpc.Config{Nodes: 1})
		got = t.World()
	})
	require.Same(t, first, got, "World is the run's first world, however many it made")
	require.NotSame(t, second, got)
}

func TestSeedsAndTwiceFlagsRunTheBody(t *testing.T) {
	// -seeds=K and -twice must run the body; a harness that skipped it would
	// pass every sweep and every determinism check.
	body := func(runs *[]int64) func(t *T) {
		return func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 2})
			w.Start(0, bootPinger)
			w.Start(1, bootPinger)
			w.Sleep(100 * time.Millisecond)
			*runs = append(*runs, t.Seed)
		}
	}
	oldSeeds, oldTwice := *seedsFlag, *twiceFlag
	defer func() { *seedsFlag, *twiceFlag = oldSeeds, oldTwice }()

	var runs []int64
	*seedsFlag, *twiceFlag = 3, false
	Run(t, body(&runs))
	require.Equal(t, []int64{*seedFlag, *seedFlag + 1, *seedFlag + 2}, runs, "-seeds=3 runs three consecutive seeds")

	runs = nil
	*seedsFlag, *twiceFlag = 1, true
	Run(t, body(&runs))
	require.GreaterOrEqual(t, len(runs), 2, "-twice runs the body at least twice")
	require.Equal(t, runs[0], runs[1], "-twice runs the same seed twice")
}
