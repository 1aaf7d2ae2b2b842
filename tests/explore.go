package tests

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"protolab/explore"
	"protolab/labrpc"
)

// Schedule search in the suites (docs/explore.md). A search test reads:
//
//	func TestSearchElection4A(t *testing.T) {
//		tests.Explore(t, explore.Options{Strategy: explore.BFS, Runs: 200}, func(t *tests.T) {
//			c := newCluster(t, 3, clusterConfig{})
//			t.World().Sleep(time.Second)
//		})
//	}
//
// and takes, besides the usual flags (-seed: the first schedule's seed):
//
//	-explore=STRATEGY   search with random, pct, bfs or dfs instead of the
//	                    test's own strategy (lab explore sets it)
//	-explore.budget=D   real time the search may take (default: the test's)
//	-explore.runs=N     schedules it may run (default: the test's)
//	-explore.seeds=N    seeds a bounded search grows a tree from (default: the test's)
//	-explore.out=DIR    where a found failure's choices file is saved
//	                    (default: the system's temporary directory)
//	-choices=FILE       replay the schedule FILE saved, as one ordinary run;
//	                    the command a found failure prints
var (
	exploreFlag      = flag.String("explore", "", "search schedules with this strategy: random, pct, bfs or dfs (protolab; docs/explore.md)")
	budgetFlag       = flag.Duration("explore.budget", 0, "real time a schedule search may take (protolab)")
	runsFlag         = flag.Int("explore.runs", 0, "schedules a search may run (protolab)")
	exploreSeedsFlag = flag.Int("explore.seeds", 0, "seeds a bounded search grows a tree from (protolab)")
	outFlag          = flag.String("explore.out", "", "directory for the choices file of a failure a search finds (protolab)")
	choicesFlag      = flag.String("choices", "", "replay the schedule saved in this choices file (protolab)")
)

// searchRun is what a T knows when it runs one schedule of a search: its
// failures end the schedule without failing the test.
type searchRun struct {
	counter *countingChooser
	goalAt  int
}

// countingChooser counts the choices taken, for Goal.
type countingChooser struct {
	labrpc.Chooser
	n int
}

func (c *countingChooser) Choose(ch *labrpc.Choice) int64 {
	c.n++
	return c.Chooser.Choose(ch)
}

// Goal marks, in a staged search (explore.Options.Goal), the state the
// first stage looks for: the first moment reached() holds ("one command
// committed"). The second stage searches from there. Outside a search it
// does nothing.
func (t *T) Goal(reached func() bool) {
	if t.search == nil {
		return
	}
	w := t.World()
	w.Check(func() error {
		if t.search.goalAt < 0 && reached() {
			t.search.goalAt = t.search.counter.n
		}
		return nil
	})
}

// FailNow ends the run, as testing.T's does; in a schedule of a search it
// ends only that schedule.
func (t *T) FailNow() {
	if t.search != nil {
		runtime.Goexit()
	}
	t.T.FailNow()
}

// chooserFor is the chooser NewWorld gives the world: the schedule's in a
// search, the file's with -choices.
func (t *T) chooserFor(cfg labrpc.Chooser) labrpc.Chooser {
	if len(t.worlds) > 0 {
		return cfg
	}
	if t.chooser == nil && *choicesFlag != "" && t.search == nil {
		// A test that does not search replays a schedule all the same.
		f, err := explore.ReadFile(*choicesFlag)
		if err != nil {
			t.Fatal(err)
		}
		t.chooser, t.choices = f.Chooser(), *choicesFlag
	}
	if t.chooser != nil {
		return t.chooser
	}
	return cfg
}

// Explore searches body's schedules for one that breaks an invariant (a
// check the world runs after every event: a world.Check, a panic in node
// code). The test's own assertions do not count: under the faults a search
// chooses, "no leader within 2 s" is the search's doing, not a bug, so a
// schedule that fails one is dropped. Found, the failure is shrunk, its
// choices saved, and the shrunk run is run once more as an ordinary run:
// that run's failure (its timeline, and the command that replays it with
// -choices) is what the test prints.
func Explore(t *testing.T, o explore.Options, body func(t *T)) {
	t.Helper()
	if *choicesFlag != "" {
		f, err := explore.ReadFile(*choicesFlag)
		if err != nil {
			t.Fatal(err)
		}
		if name, _, _ := strings.Cut(t.Name(), "/"); f.Test != "" && f.Test != name {
			t.Fatalf("-choices=%s was saved by %s, not %s: run that test with it", *choicesFlag, f.Test, name)
		}
		replayChoices(t, *seedFlag, f, *choicesFlag, body)
		return
	}
	if *twiceFlag {
		// make test's run-twice check: the scenario on its seed, twice; then
		// the search, which is as deterministic (given its Runs bound).
		RunTwice(t, body)
		if t.Failed() {
			return
		}
	}
	if *exploreFlag != "" {
		s, err := explore.ParseStrategy(*exploreFlag)
		if err != nil {
			t.Fatal(err)
		}
		o.Strategy = s
		o.Progress = os.Stdout // lab explore shows it as it goes
	}
	if *budgetFlag > 0 {
		o.Budget = *budgetFlag
	}
	if *runsFlag > 0 {
		o.Runs = *runsFlag
	}
	if *exploreSeedsFlag > 0 {
		o.Seeds = *exploreSeedsFlag
	}
	o.Seed = *seedFlag
	rep := explore.Search(func(seed int64, ch labrpc.Chooser) explore.Result {
		return runSchedule(t, seed, ch, body)
	}, o)
	states := ""
	if rep.States > 0 {
		states = fmt.Sprintf(", %d states", rep.States)
	}
	t.Logf("explore %s: %d schedules%s in %v: %s", rep.Strategy, rep.Schedules, states, rep.Elapsed.Round(time.Millisecond), rep.Why)
	f := rep.Found
	if f == nil {
		return
	}
	name, _, _ := strings.Cut(t.Name(), "/")
	file := &explore.File{Package: packageDir(), Test: name, Seed: f.Seed, Plan: f.Plan, Kinds: f.Kinds}
	dir := *outFlag
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-seed%d.choices", name, rep.Strategy, f.Seed))
	if err := file.Save(path); err != nil {
		t.Errorf("explore: saving the choices: %v", err)
	}
	t.Errorf("explore %s found a broken invariant after %d schedules: %s\n"+
		"  as found: %s\n  shrunk:   %s (%d runs spent shrinking)\n"+
		"  the shrunk run follows; replay it: %s",
		rep.Strategy, f.Schedules, firstLineOf(f.Err.Error()), f.Before, f.After, f.Shrinks, ChoicesReplayCommand(t.Name(), f.Seed, path))
	replayChoices(t, f.Seed, file, path, body)
}

// replayChoices runs the schedule f as one ordinary run of the test.
func replayChoices(t *testing.T, seed int64, f *explore.File, path string, body func(*T)) {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	st := &T{T: t, Seed: seed, chooser: f.Chooser(), choices: abs}
	t.Cleanup(func() { t.Helper(); st.lastWords() })
	func() {
		t.Helper()
		defer st.finish()
		body(st)
	}()
}

// runSchedule runs body once, as one schedule of a search.
func runSchedule(t *testing.T, seed int64, ch labrpc.Chooser, body func(*T)) explore.Result {
	counter := &countingChooser{Chooser: ch}
	st := &T{T: t, Seed: seed, quiet: true, chooser: counter, search: &searchRun{counter: counter, goalAt: -1}}
	var panicked any
	done := make(chan struct{})
	go func() { // its own goroutine, so that FailNow can end it
		defer close(done)
		defer func() {
			for _, w := range st.worlds {
				w.Close()
			}
		}()
		defer func() {
			if r := recover(); r != nil {
				if _, ok := labrpc.IsStopped(r); !ok {
					panicked = r
				}
			}
		}()
		body(st)
	}()
	<-done
	res := explore.Result{GoalAt: st.search.goalAt}
	if len(st.worlds) > 0 {
		w := st.worlds[0]
		res.Err, res.Steps = w.Err(), w.Steps()
	}
	if panicked != nil && res.Err == nil {
		res.Err = fmt.Errorf("the test panicked: %v", panicked)
	}
	return res
}

// ChoicesReplayCommand is the command that replays one schedule a search
// saved.
func ChoicesReplayCommand(testName string, seed int64, choices string) string {
	return ReplayCommand(testName, seed) + " -choices=" + choices
}

func firstLineOf(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}

// saveChoicesBeside copies the choices file the run replays next to its
// trace file (TRACE.choices), where lab replay looks for it.
func (t *T) saveChoicesBeside(trace string) {
	if t.choices == "" {
		return
	}
	f, err := explore.ReadFile(t.choices)
	if err == nil {
		err = f.Save(trace + ".choices")
	}
	if err != nil {
		t.Errorf("-simtrace: saving the choices beside the trace: %v", err)
	}
}

// Broken records a broken safety property the test checks itself (a Put
// that applied twice, a value read back wrong): it stops the run with that
// error, as a failed world.Check does. Unlike Fatalf, which in a search only
// gives up on a schedule (a liveness failure under the faults the search
// chose), a search counts it as a failure and shrinks it.
func (t *T) Broken(format string, args ...any) {
	t.Helper()
	t.World().Fail(fmt.Errorf(format, args...))
	t.World().Sleep(0) // stops the caller, as a blocking call in a stopped run does
}
