package tests

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/explore"
	"protolab/labrpc"
)

// Self-tests of the schedule search in the suites (explore.go), which the
// engines' search tests, all of which must pass, leave unchecked where it
// matters: a search that ran no schedule, or lost what it found, would pass
// them too. Each test breaks one rule on a toy scenario: two pingers on the
// unreliable network, broken (a check that fails once n1 has answered three
// pings) or not.

// pings is the toy scenario. It records, for each run, the seed and whether
// it was a schedule of a search or an ordinary run.
type pings struct {
	broken bool
	runs   []pingRun
}

type pingRun struct {
	seed    int64
	search  bool
	choices string // the choices file an ordinary run replays
	t       *T
}

func (p *pings) body(t *T) {
	w := t.NewWorld(labrpc.Config{Nodes: 2, Profile: labrpc.MustProfile("unreliable")})
	p.runs = append(p.runs, pingRun{seed: t.Seed, search: t.search != nil, choices: t.choices, t: t})
	nodes := make([]*pinger, 2)
	for i := range nodes {
		w.Start(i, func(env labrpc.Env) any { p := bootPinger(env).(*pinger); nodes[i] = p; return p })
	}
	if p.broken {
		w.Check(func() error {
			if nodes[1] != nil && nodes[1].count >= 3 {
				return errors.New("n1 answered 3 pings")
			}
			return nil
		})
	}
	w.Sleep(200 * time.Millisecond)
}

func (p *pings) searched() (seeds []int64) {
	for _, r := range p.runs {
		if r.search {
			seeds = append(seeds, r.seed)
		}
	}
	return seeds
}

func (p *pings) replays() (rs []pingRun) {
	for _, r := range p.runs {
		if !r.search {
			rs = append(rs, r)
		}
	}
	return rs
}

// exploreOnFake runs Explore on a fake testing.T, on a goroutine of its own.
func exploreOnFake(o explore.Options, body func(t *T)) (ft *testing.T, panicked any) {
	ft = &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { panicked = recover() }()
		Explore(ft, o, body)
	}()
	<-done
	return ft, panicked
}

// saveExploreFlags is saveFlags for the search's flags too.
func saveExploreFlags(t *testing.T) {
	saveFlags(t)
	e, b, r, s, out, ch := *exploreFlag, *budgetFlag, *runsFlag, *exploreSeedsFlag, *outFlag, *choicesFlag
	t.Cleanup(func() {
		*exploreFlag, *budgetFlag, *runsFlag, *exploreSeedsFlag, *outFlag, *choicesFlag = e, b, r, s, out, ch
	})
	*exploreFlag, *budgetFlag, *runsFlag, *exploreSeedsFlag, *outFlag, *choicesFlag = "", 0, 0, 0, "", ""
}

// A search that finds a broken invariant fails the test, saves the choices
// where -explore.out says (the system's temporary directory by default),
// under the strategy -explore chose, and runs the schedule once more as an
// ordinary run that replays the file, finished like any run.
func TestExploreFindsSavesAndReplays(t *testing.T) {
	saveExploreFlags(t)
	out := t.TempDir()
	*outFlag = out
	p := &pings{broken: true}
	ft, panicked := exploreOnFake(explore.Options{Strategy: explore.Random, Runs: 5, Shrink: -1}, p.body)
	require.Nil(t, panicked)
	require.True(t, ft.Failed(), "a search that finds a broken invariant fails the test")
	require.Equal(t, []int64{1}, p.searched(), "found at the first schedule")
	file := filepath.Join(out, "-random-seed1.choices") // the fake T has no name
	_, err := os.Stat(file)
	require.NoError(t, err, "the choices are saved in -explore.out")
	rs := p.replays()
	require.Len(t, rs, 1, "the schedule found is run once more, as an ordinary run")
	require.Equal(t, file, rs[0].choices)
	require.True(t, rs[0].t.closed, "the replayed run is finished (its worlds closed)")

	// -explore picks the strategy, and shows the search's progress on stdout.
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	*outFlag, *exploreFlag = "", "pct"
	stdout := os.Stdout
	progress, err := os.Create(filepath.Join(tmp, "stdout"))
	require.NoError(t, err)
	os.Stdout = progress
	p = &pings{broken: true}
	ft, _ = exploreOnFake(explore.Options{Strategy: explore.Random, Runs: 5, Shrink: -1}, p.body)
	os.Stdout = stdout
	progress.Close()
	require.True(t, ft.Failed())
	_, err = os.Stat(filepath.Join(tmp, "-pct-seed1.choices"))
	require.NoError(t, err, "-explore=pct searched with pct, and without -explore.out the file is in the temporary directory")
	shown, err := os.ReadFile(filepath.Join(tmp, "stdout"))
	require.NoError(t, err)
	require.NotEmpty(t, shown, "with -explore the search's progress goes to stdout")
}

// The flags bound the search: -twice first runs the scenario as a run-twice
// check; -explore names a strategy or fails; -explore.budget, .runs and
// .seeds override the test's options; -seed is the first schedule's seed.
func TestExploreFlagsBoundTheSearch(t *testing.T) {
	saveExploreFlags(t)
	search := func(o explore.Options) (*pings, *testing.T) {
		p := &pings{}
		ft, panicked := exploreOnFake(o, p.body)
		require.Nil(t, panicked)
		return p, ft
	}
	three := explore.Options{Strategy: explore.Random, Runs: 3}

	p, ft := search(three)
	require.False(t, ft.Failed())
	require.Equal(t, []int64{1, 2, 3}, p.searched(), "Runs schedules, from -seed")
	require.Empty(t, p.replays(), "without -twice, no run-twice check")

	*twiceFlag = true
	p, _ = search(three)
	require.Len(t, p.replays(), 3, "-twice: the run-twice check's three runs")
	require.Len(t, p.searched(), 3, "then the search")
	*twiceFlag = false

	stdout := os.Stdout // -explore shows the search's progress there
	devnull, err := os.Open(os.DevNull)
	require.NoError(t, err)
	os.Stdout = devnull
	defer func() { os.Stdout = stdout; devnull.Close() }()
	*exploreFlag = "sideways"
	p, ft = search(three)
	require.True(t, ft.Failed(), "an unknown strategy fails the test")
	require.Empty(t, p.runs)
	*exploreFlag = "random"
	p, ft = search(explore.Options{Strategy: explore.BFS, Runs: 3})
	require.False(t, ft.Failed())
	require.Equal(t, []int64{1, 2, 3}, p.searched(), "random: seed after seed")
	*exploreFlag = ""

	*budgetFlag = time.Nanosecond
	p, _ = search(three)
	require.Empty(t, p.runs, "-explore.budget=1ns leaves no time for a schedule")
	*budgetFlag = 0
	p, _ = search(explore.Options{Strategy: explore.Random, Runs: 3, Budget: time.Nanosecond})
	require.Empty(t, p.runs, "without the flag, the test's budget holds")

	*runsFlag = 1
	p, _ = search(three)
	require.Len(t, p.searched(), 1, "-explore.runs=1")
	*runsFlag = 0
	p, _ = search(three)
	require.Len(t, p.searched(), 3, "without the flag, the test's Runs")

	bfs := explore.Options{Strategy: explore.BFS, Runs: 2, Seeds: 2}
	p, _ = search(bfs)
	require.Equal(t, []int64{1, 2}, p.searched(), "two trees, side by side")
	*exploreSeedsFlag = 1
	p, _ = search(bfs)
	require.Equal(t, []int64{1, 1}, p.searched(), "-explore.seeds=1: one tree")
	*exploreSeedsFlag = 0

	*seedFlag = 7
	p, _ = search(three)
	require.Equal(t, []int64{7, 8, 9}, p.searched(), "-seed=7 is the first schedule's seed")
}

// saveChoices writes a choices file for the test called test, whose plan
// takes every choice's default.
func saveChoices(t *testing.T, path, test string) {
	f := &explore.File{Package: "tests", Test: test, Seed: 1, Plan: explore.Plan{Set: map[int]int64{}}}
	require.NoError(t, f.Save(path))
}

// -choices=FILE replays the file as one ordinary run, of the test that saved
// it (or of any test, for a file that names none), and searches nothing;
// a file that cannot be read, or was saved by another test, fails the test.
func TestExploreReplaysAChoicesFile(t *testing.T) {
	saveExploreFlags(t)
	dir := t.TempDir()
	t.Chdir(dir)
	saveChoices(t, "any.choices", "")
	saveChoices(t, "other.choices", "TestOther")
	o := explore.Options{Strategy: explore.Random, Runs: 3}

	*choicesFlag = "any.choices" // relative: the replay names it absolutely
	p := &pings{}
	Explore(t, o, p.body)
	require.Empty(t, p.searched(), "a replay searches nothing")
	require.Len(t, p.replays(), 1)
	require.Equal(t, filepath.Join(dir, "any.choices"), p.replays()[0].choices)

	for _, file := range []string{"missing.choices", "other.choices"} {
		*choicesFlag = file
		p = &pings{}
		ft, panicked := exploreOnFake(o, p.body)
		require.Nil(t, panicked, file)
		require.True(t, ft.Failed(), file)
		require.Empty(t, p.runs, "%s: nothing runs", file)
	}
}

// An ordinary test replays -choices=FILE all the same (its world takes the
// file's choices, and its report the replay command with -choices); a file
// that cannot be read fails it before a world is made; with -simtrace the
// file is saved beside the trace, for lab replay.
func TestPlainRunReplaysAChoicesFile(t *testing.T) {
	saveExploreFlags(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "any.choices")
	saveChoices(t, path, "")
	*choicesFlag = path
	*traceFlag = filepath.Join(dir, "trace.txt")
	p := &pings{}
	Run(t, p.body)
	require.Len(t, p.runs, 1)
	require.Equal(t, path, p.runs[0].choices)
	require.NotNil(t, p.runs[0].t.chooser)
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	beside, err := os.ReadFile(*traceFlag + ".choices")
	require.NoError(t, err, "the choices are saved beside the trace")
	require.Equal(t, string(want), string(beside))

	*traceFlag = ""
	*choicesFlag = filepath.Join(dir, "missing.choices")
	reached := false
	ft, _, panicked := onFakeRun(false, func(t *T) {
		t.NewWorld(labrpc.Config{Nodes: 1})
		reached = true
	})
	require.Nil(t, panicked)
	require.True(t, ft.Failed())
	require.False(t, reached, "NewWorld ends the test on a file it cannot read")
}

// seededChooser takes the seed's choices and counts them.
type seededChooser struct{ n int }

func (c *seededChooser) Choose(ch *labrpc.Choice) int64 { c.n++; return ch.Seeded() }

// One schedule of a search: its first world takes the schedule's chooser
// (a second one its own); an invariant it breaks, or a panic of the test,
// is the schedule's result; the test's own failure is not; its worlds are
// closed when it ends.
func TestRunScheduleReportsHowTheScheduleEnded(t *testing.T) {
	sched, own := &seededChooser{}, &seededChooser{}
	res := runSchedule(t, 1, sched, func(t *T) {
		t.NewWorld(labrpc.Config{Nodes: 2, Profile: labrpc.MustProfile("unreliable")})
		second := t.NewWorld(labrpc.Config{Nodes: 2, Profile: labrpc.MustProfile("unreliable"), Chooser: own})
		second.Start(0, bootPinger)
		second.Start(1, bootPinger)
		second.Sleep(100 * time.Millisecond)
	})
	require.NoError(t, res.Err)
	require.Zero(t, sched.n, "the first world, which took the schedule's chooser, ran nothing")
	require.Positive(t, own.n, "the second world takes the chooser its test gave it")

	sched = &seededChooser{}
	res = runSchedule(t, 1, sched, (&pings{broken: true}).body)
	require.EqualError(t, res.Err, "n1 answered 3 pings")
	require.Positive(t, sched.n, "the first world took the schedule's choices")
	require.Positive(t, res.Steps)

	res = runSchedule(t, 1, &seededChooser{}, func(t *T) {
		t.NewWorld(labrpc.Config{Nodes: 1})
		t.Fatalf("no leader") // the test's own assertion: the schedule is dropped
	})
	require.NoError(t, res.Err)

	res = runSchedule(t, 1, &seededChooser{}, func(t *T) { panic("boom") })
	require.EqualError(t, res.Err, "the test panicked: boom", "a panic with no world")
	res = runSchedule(t, 1, &seededChooser{}, func(t *T) {
		t.NewWorld(labrpc.Config{Nodes: 1})
		panic("boom")
	})
	require.EqualError(t, res.Err, "the test panicked: boom", "a panic in a healthy world")

	ended := false
	runSchedule(t, 1, &seededChooser{}, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 1})
		w.Go("client", func() {
			defer func() { ended = true }()
			w.Sleep(time.Hour)
		})
		w.Sleep(time.Millisecond)
	})
	require.True(t, ended, "the schedule's worlds are closed: a process still waiting is ended")
}

// Goal marks, in a schedule, how many choices had been taken when the goal
// first held; outside a search it does nothing.
func TestGoalCountsTheChoicesAtTheFirstMoment(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   time.Duration
	}{{"at once", 0}, {"later", 50 * time.Millisecond}} {
		sched := &seededChooser{}
		want := -1
		res := runSchedule(t, 1, sched, func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 3, Profile: labrpc.MustProfile("unreliable")})
			w.Start(2, func(env labrpc.Env) any { // the first event takes no choice
				env.After(0, func() {})
				return &pinger{}
			})
			t.Goal(func() bool {
				if w.Now() >= tc.at && want < 0 {
					want = sched.n
				}
				return w.Now() >= tc.at
			})
			w.Sleep(time.Millisecond)
			w.Start(0, bootPinger)
			w.Start(1, bootPinger)
			w.Sleep(100 * time.Millisecond)
		})
		require.NoError(t, res.Err)
		require.Equal(t, want, res.GoalAt, tc.name)
		require.Positive(t, sched.n)
		if tc.at == 0 {
			require.Zero(t, res.GoalAt, "the goal held before the first choice")
		}
		require.Less(t, res.GoalAt, sched.n, "%s: the first moment, not a later one", tc.name)
	}

	ft, _, panicked := onFake(func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 1})
		t.Goal(func() bool { return true })
		w.Sleep(time.Millisecond)
	})
	require.Nil(t, panicked)
	require.False(t, ft.Failed(), "Goal outside a search does nothing")
}

// Broken stops the run with the error, as a failed world.Check does.
func TestBrokenStopsTheRun(t *testing.T) {
	reached := false
	var w *labrpc.World
	ft, _, panicked := onFake(func(t *T) {
		w = t.NewWorld(labrpc.Config{Nodes: 1})
		t.Broken("applied twice: %d", 7)
		reached = true
	})
	require.Nil(t, panicked)
	require.True(t, ft.Failed())
	require.False(t, reached, "Broken stops its caller")
	require.EqualError(t, w.Err(), "applied twice: 7")
	require.True(t, strings.HasPrefix(failNotesOrFail(w), "FAIL: applied twice: 7"))
}

// failNotesOrFail is the world's note of its failure.
func failNotesOrFail(w *labrpc.World) string {
	for _, l := range w.Tail(-1) {
		if strings.HasPrefix(l.Text, "FAIL: ") {
			return l.Text
		}
	}
	return ""
}
