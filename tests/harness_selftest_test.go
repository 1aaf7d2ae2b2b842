package tests

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// Self-tests of the harness's rules that the full mutation run of tests/
// found unchecked (the seeds and -twice flags, the failure methods, the
// trace a failure goes into, the report and the -v line). Each breaks one
// rule on a fake testing.T or a crafted world, in process; the ones that
// need a real test's output are in child_selftest_test.go.

// onFake runs body as one quiet run on a fake testing.T, on a goroutine of
// its own (FailNow ends it), and returns the fake, the run's T and what the
// run panicked with, if it did.
func onFake(body func(t *T)) (ft *testing.T, st *T, panicked any) {
	return onFakeRun(true, body)
}

// onFakeRun is onFake for a quiet run or not (a run that is not quiet may
// write a -simtrace file).
func onFakeRun(quiet bool, body func(t *T)) (ft *testing.T, st *T, panicked any) {
	ft = &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		runSeed(ft, 1, func(t *T) { st = t; body(t) }, quiet)
	}()
	<-done
	return ft, st, panicked
}

// failNotes are the "FAIL: ..." notes in w's trace.
func failNotes(w *labrpc.World) []string {
	var notes []string
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindNote && strings.HasPrefix(l.Text, "FAIL: ") {
			notes = append(notes, l.Text)
		}
	}
	return notes
}

// Each failure method fails the test and notes the failure in the trace;
// the Fatal ones end the test there.
func TestEveryFailureMethodFailsAndNotes(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fail  func(t *T)
		fatal bool
	}{
		{"Errorf", func(t *T) { t.Errorf("broken %d", 1) }, false},
		{"Error", func(t *T) { t.Error("broken", 1) }, false},
		{"Fatalf", func(t *T) { t.Fatalf("broken %d", 1) }, true},
		{"Fatal", func(t *T) { t.Fatal("broken", 1) }, true},
	} {
		reached := false
		ft, st, panicked := onFake(func(t *T) {
			t.NewWorld(labrpc.Config{Nodes: 1})
			tc.fail(t)
			reached = true
		})
		require.Nil(t, panicked, tc.name)
		require.True(t, ft.Failed(), "%s must fail the test", tc.name)
		require.Equal(t, !tc.fatal, reached, "%s: does the test go on after it", tc.name)
		require.Equal(t, []string{"FAIL: broken 1"}, failNotes(st.worlds[0]), "%s: the trace notes the failure", tc.name)
	}
}

// A failure before the run made a world, or once it has closed its worlds,
// has no trace to go into: the test fails all the same, and nothing is
// noted (a closed world takes no more lines).
func TestFailuresOutsideTheWorldsLife(t *testing.T) {
	ft, _, panicked := onFake(func(t *T) { t.Errorf("before any world") })
	require.Nil(t, panicked)
	require.True(t, ft.Failed())

	ft, st, panicked := onFake(func(t *T) { t.World() })
	require.Nil(t, panicked, "World() before NewWorld must fail the test, not panic")
	require.True(t, ft.Failed())
	require.Empty(t, st.worlds)

	ft = &testing.T{}
	done := make(chan struct{})
	var w *labrpc.World
	go func() {
		defer close(done)
		st := runSeed(ft, 1, func(t *T) {
			w = t.NewWorld(labrpc.Config{Nodes: 1})
			w.Note("the run")
		}, true)
		st.Errorf("after the run") // a cleanup's failure, say
	}()
	<-done
	require.True(t, ft.Failed())
	require.Empty(t, failNotes(w), "a failure after finish is not written into the closed world")
}

// dropOwnFrames takes the harness's, the world's and the runtime's frames
// out of testify's Error Trace, keeping every other line in order, and
// leaves any other message alone.
func TestDropOwnFramesKeepsTheTestsLines(t *testing.T) {
	harness, world := ownDirs[0], ownDirs[1]
	testify := "\n\tError Trace:\t/work/raft/raft_test.go:20\n" +
		"\t            \t" + harness + "harness.go:128\n" +
		"\t            \t" + world + "world.go:12\n" +
		"\t            \t/work/raft/raft_test.go:9\n" +
		"\tError:      \tNot equal"
	require.Equal(t, "\n\tError Trace:\t/work/raft/raft_test.go:20\n\t            \t/work/raft/raft_test.go:9\n\tError:      \tNot equal", dropOwnFrames(testify))
	plain := "a failure that names a frame:\n" + harness + "harness.go:128\nand goes on"
	require.Equal(t, plain, dropOwnFrames(plain), "a message that is not testify's is left whole")
}

// -tail=0 shows no line of the timeline, -tail=-1 every one.
func TestTailZeroShowsNoLine(t *testing.T) {
	lines := []labrpc.Line{{Node: -1, Kind: labrpc.KindNote, Text: "a"}, {Node: -1, Kind: labrpc.KindNote, Text: "b"}}
	got, err := tailLines(lines, "", 0)
	require.NoError(t, err)
	require.Empty(t, got)
	got, err = tailLines(lines, "", -1)
	require.NoError(t, err)
	require.Len(t, got, 2)
	got, err = tailLines(lines, "", 2)
	require.NoError(t, err)
	require.Len(t, got, 2)
}

// saveFlags sets the harness's flags to their defaults for the test (go test
// ./tests -seed=7 -twice must not change what it checks), and restores them
// when it ends.
func saveFlags(t *testing.T) {
	seed, seeds, twice, trace, tail, filter := *seedFlag, *seedsFlag, *twiceFlag, *traceFlag, *tailFlag, *filterFlag
	t.Cleanup(func() {
		*seedFlag, *seedsFlag, *twiceFlag, *traceFlag, *tailFlag, *filterFlag = seed, seeds, twice, trace, tail, filter
	})
	*seedFlag, *seedsFlag, *twiceFlag, *traceFlag, *tailFlag, *filterFlag = 1, 1, false, "", 60, ""
}

// With -seeds=1 (the default) Run runs the body once, in the test itself
// (no seed=N subtest); with -twice, the run-twice check alone: the seed twice
// and the next seed once.
func TestRunRunsTheSeedsItIsAskedFor(t *testing.T) {
	saveFlags(t)
	var seeds []int64
	var names []string
	body := func(st *T) {
		w := st.NewWorld(labrpc.Config{Nodes: 2, Profile: labrpc.MustProfile("unreliable")})
		w.Start(0, bootPinger)
		w.Start(1, bootPinger)
		w.Sleep(100 * time.Millisecond)
		seeds, names = append(seeds, st.Seed), append(names, st.Name())
	}
	*seedsFlag, *twiceFlag = 1, false
	Run(t, body)
	require.Equal(t, []int64{*seedFlag}, seeds)
	require.Equal(t, []string{t.Name()}, names, "one seed runs in the test itself")

	seeds = nil
	*twiceFlag = true
	Run(t, body)
	require.Equal(t, []int64{*seedFlag, *seedFlag, *seedFlag + 1}, seeds, "-twice: the seed twice, then the next one, and no more")
}

// With -simtrace and -seeds=K, each seed's trace goes to a file of its own.
func TestSimtraceWithSeedsWritesAFileASeed(t *testing.T) {
	saveFlags(t)
	path := filepath.Join(t.TempDir(), "trace.txt")
	*traceFlag, *seedsFlag = path, 2
	Run(t, func(st *T) { st.NewWorld(labrpc.Config{Nodes: 1}).Sleep(time.Millisecond) })
	for _, seed := range []string{"1", "2"} {
		data, err := os.ReadFile(path + ".seed" + seed)
		require.NoError(t, err)
		require.Contains(t, string(data), "seed="+seed)
	}
	_, err := os.Stat(path)
	require.True(t, os.IsNotExist(err), "no file without a seed")

	*traceFlag, *seedsFlag = filepath.Join(t.TempDir(), "no-such-dir", "trace.txt"), 1
	ft, _, panicked := onFakeRun(false, func(t *T) { t.NewWorld(labrpc.Config{Nodes: 1}) })
	require.Nil(t, panicked)
	require.True(t, ft.Failed(), "a -simtrace file that cannot be created fails the test")
}

// The run-twice check reads the first world's trace, and only the first's.
func TestTraceToTakesTheFirstWorldOnly(t *testing.T) {
	var buf bytes.Buffer
	st := &T{T: t, Seed: 1, quiet: true, traceTo: &buf}
	first := st.NewWorld(labrpc.Config{Nodes: 1})
	first.Note("in the first world")
	second := st.NewWorld(labrpc.Config{Nodes: 1})
	second.Note("in the second world")
	first.Close()
	second.Close()
	require.Contains(t, buf.String(), "in the first world")
	require.NotContains(t, buf.String(), "in the second world")
}

// draws counts the random numbers every world of the run drew.
func TestDrawsAddsUpEveryWorld(t *testing.T) {
	st := &T{T: t, Seed: 1, quiet: true}
	for range 2 {
		w := st.NewWorld(labrpc.Config{Nodes: 2, Profile: labrpc.MustProfile("unreliable")})
		w.Start(0, bootPinger)
		w.Start(1, bootPinger)
		w.Sleep(100 * time.Millisecond)
		w.Close()
	}
	require.Positive(t, st.worlds[0].Draws())
	require.Equal(t, st.worlds[0].Draws()+st.worlds[1].Draws(), st.draws())
}

// The report: the replay command (with -choices only for a searched
// schedule), the hint about -simtrace, a silent run's explanation, and a
// heading that says whether -tailfilter cut the timeline.
func TestReportSaysWhatItShows(t *testing.T) {
	saveFlags(t)
	*traceFlag, *filterFlag, *tailFlag = "", "", 60
	st := &T{T: t, Seed: 3}
	w := st.NewWorld(labrpc.Config{Nodes: 1})
	defer w.Close()
	w.Start(0, func(labrpc.Env) any { return &pinger{} }) // a node that never acts
	w.Sleep(time.Second)
	w.Note("the last note")
	r := st.report()
	require.Contains(t, r, "\nreplay: go test ./tests -run '^TestReportSaysWhatItShows$' -seed=3\n")
	require.NotContains(t, r, "-choices")
	require.Contains(t, r, "\nwhole trace: add -simtrace=/tmp/trace.txt to the replay command\n")
	require.Contains(t, r, "\nno node set a timer or sent a message in 1.000000s of virtual time (n0)")
	require.Contains(t, r, "\nthe last 2 trace lines:\n")

	*traceFlag, *filterFlag = "/tmp/x.txt", "-Ping"
	r = st.report()
	require.NotContains(t, r, "whole trace:", "with -simtrace the trace is written already")
	require.Contains(t, r, "\nthe last 2 trace lines that -tailfilter=-Ping keeps:\n")

	st.choices = "/tmp/x.choices"
	require.Contains(t, st.report(), "\nreplay: go test ./tests -run '^TestReportSaysWhatItShows$' -seed=3 -choices=/tmp/x.choices\n")

	busy := &T{T: t, Seed: 3}
	bw := busy.NewWorld(labrpc.Config{Nodes: 2})
	defer bw.Close()
	bw.Start(0, bootPinger)
	bw.Start(1, bootPinger)
	bw.Sleep(100 * time.Millisecond)
	require.NotContains(t, busy.report(), "\n\n", "no silence to explain: no empty line for it")
}

// The -v line: the verdict, virtual time, peers, RPCs, bytes, and the
// commands committed where the test counts them.
func TestSummaryLine(t *testing.T) {
	var passed, counted, failed, want string
	ft, _, _ := onFake(func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		w.Start(0, bootPinger)
		w.Start(1, bootPinger)
		w.Sleep(100 * time.Millisecond)
		want = "... Passed -- 100ms virtual  2 peers  " + plural(int(w.TotalRPCs()), "RPC") + "  " + strconv.FormatInt(w.TotalBytes(), 10) + " bytes"
		passed = t.summary()
		t.CountCommitted(func() int { return 7 })
		counted = t.summary()
	})
	require.False(t, ft.Failed())
	require.Equal(t, want, passed)
	require.Equal(t, want+"  7 committed", counted)

	ft, _, _ = onFake(func(t *T) {
		t.NewWorld(labrpc.Config{Nodes: 1}).Sleep(10 * time.Millisecond)
		t.Errorf("broken")
		failed = t.summary()
	})
	require.True(t, ft.Failed())
	require.Equal(t, "... Failed -- 10ms virtual  1 peer  0 RPCs  0 bytes", failed)
}

// The replay command names the package even when a test runs outside the
// module (a copy in a temporary directory): "." there.
func TestPackageDirOutsideAModule(t *testing.T) {
	t.Chdir(t.TempDir())
	require.Equal(t, ".", packageDir())
}

// compareRuns and firstDifference at their edges: a run that drew one random
// number is already driven by the seed; a trace one empty line longer
// differs.
func TestCompareRunsAtTheEdges(t *testing.T) {
	oneDraw := func(seed int64, trace io.Writer) runResult { return runResult{digest: "d", draws: 1} }
	_, err := compareRuns(1, oneDraw)
	require.ErrorContains(t, err, "though the run drew 1 random numbers: the seed does not reach the run")
	require.Equal(t, "  line 2, both runs: x\n  first run:  \n  second run: ", firstDifference([]byte("x\n\n"), []byte("x\n")))

	// A failed run ends the check with its error: there is nothing to
	// compare, and no reason to run again.
	for failing := 1; failing <= 3; failing++ {
		runs := 0
		failsOnce := func(seed int64, trace io.Writer) runResult {
			if runs++; runs == failing {
				return runResult{failed: fmt.Errorf("run %d failed", runs)}
			}
			return runResult{digest: fmt.Sprint(seed), draws: 1}
		}
		_, err := compareRuns(1, failsOnce)
		require.EqualError(t, err, fmt.Sprintf("run %d failed", failing))
		require.Equal(t, failing, runs, "no run after the failed one")
	}
}
