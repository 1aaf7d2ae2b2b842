package tests

import (
	"errors"
	"flag"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/explore"
	"protolab/labrpc"
)

// What a learner reads when a simulated test fails (or passes with -v): the
// failure at the test's line, the report once, the -v line, the run-twice
// check's verdicts, a search's finding, a hung run named. Only a real test
// that fails prints them, so the cases run in a child process: this test
// binary again, running TestHarnessChild with -test.v and the case (or all
// of them) in $PROTOLAB_TESTS_CHILD. The parent reads each case's part of the
// output. Under coverage the child's counters join the parent's (see
// tests/replog's liar self-tests, which do the same).

const childEnvVar = "PROTOLAB_TESTS_CHILD"

// leaks counts the runs of the leaky case: state outside the world that
// changes what a node does, which the run-twice check exists to catch.
var leaks int

var childCases = map[string]func(t *testing.T){
	"fails": func(t *testing.T) {
		Run(t, func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 1})
			w.Start(0, bootPinger)
			w.Sleep(100 * time.Millisecond)
			require.Equal(t, 1, 2, "the answer")
		})
	},
	"passes": func(t *testing.T) {
		Run(t, func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 1})
			w.Start(0, bootPinger)
			w.Sleep(100 * time.Millisecond)
		})
	},
	"fails-without-a-world": func(t *testing.T) {
		Run(t, func(t *T) { t.Errorf("broken before any world") })
	},
	"twice-passes": func(t *testing.T) {
		RunTwice(t, (&pings{}).body)
	},
	"twice-fails": func(t *testing.T) {
		RunTwice(t, func(t *T) {
			t.NewWorld(labrpc.Config{Nodes: 1}).Sleep(10 * time.Millisecond)
			t.Errorf("broken in the world")
		})
	},
	"twice-fails-without-a-world": func(t *testing.T) {
		RunTwice(t, func(t *T) { t.Errorf("broken before any world") })
	},
	"twice-leaky": func(t *testing.T) {
		RunTwice(t, func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 1})
			leaks++
			n := leaks
			w.Start(0, func(env labrpc.Env) any {
				env.After(time.Millisecond, func() { env.Logf("leak", "run %d", n) })
				return &pinger{}
			})
			w.Sleep(10 * time.Millisecond)
		})
	},
	"explore-finds": func(t *testing.T) {
		old := *outFlag
		defer func() { *outFlag = old }()
		*outFlag = t.TempDir()
		Explore(t, explore.Options{Strategy: explore.Random, Runs: 3, Shrink: -1}, (&pings{broken: true}).body)
	},
	"hang": func(t *testing.T) {
		Run(t, func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 1, Watchdog: 50 * time.Millisecond})
			block := make(chan struct{})
			w.Start(0, func(env labrpc.Env) any {
				env.After(0, func() { <-block }) // node code that blocks: the watchdog's case
				return &pinger{}
			})
			w.Sleep(time.Second)
		})
	},
}

// TestHarnessChild is the child: it runs the case named in
// $PROTOLAB_TESTS_CHILD ("all": every case but hang, which ends the
// process), and is skipped otherwise.
func TestHarnessChild(t *testing.T) {
	which := os.Getenv(childEnvVar)
	if which == "" {
		t.Skip("runs only as the child of TestHarnessOutputAsALearnerReadsIt")
	}
	var names []string
	for name := range childCases {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if which == name || which == "all" && name != "hang" {
			t.Run(name, childCases[name])
		}
	}
}

// runChild runs the child on which and returns its output and error.
func runChild(t *testing.T, which string) (string, error) {
	args := []string{"-test.run=^TestHarnessChild$", "-test.count=1", "-test.v", "-test.timeout=20s", "-seed=1"}
	env := append(os.Environ(), childEnvVar+"="+which)
	if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" {
		// GOCOVERDIR too: a child that ends in os.Exit (the hung run) writes
		// its counters from the runtime's exit hook, which reads only that.
		args = append(args, "-test.gocoverdir="+f.Value.String())
		env = append(env, "GOCOVERDIR="+f.Value.String())
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// section is case name's part of the child's -v output.
func section(t *testing.T, out, name string) string {
	start := strings.Index(out, "=== RUN   TestHarnessChild/"+name+"\n")
	require.GreaterOrEqual(t, start, 0, "case %s did not run:\n%s", name, out)
	rest := out[start+1:]
	if end := strings.Index(rest, "=== RUN   "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}

func TestHarnessOutputAsALearnerReadsIt(t *testing.T) {
	out, err := runChild(t, "all")
	require.Error(t, err, "the failing cases fail the child:\n%s", out)
	require.NotContains(t, out, "panic:", "no case panics")
	report := regexp.MustCompile(`--- seed=1 digest=[0-9a-f+]+ \(at`)
	reports := func(s string) int { return len(report.FindAllString(s, -1)) }

	s := section(t, out, "fails")
	for _, name := range []string{"fails", "fails-without-a-world", "twice-fails", "twice-fails-without-a-world", "twice-leaky", "explore-finds"} {
		require.Contains(t, out, "--- FAIL: TestHarnessChild/"+name+" ", "case %s fails", name)
	}
	for _, name := range []string{"passes", "twice-passes"} {
		require.Contains(t, out, "--- PASS: TestHarnessChild/"+name+" ", "case %s passes", name)
	}
	trace := regexp.MustCompile(`Error Trace:((?:\s+\S+\.go:\d+)+)\s+Error:`).FindStringSubmatch(s)
	require.NotNil(t, trace, s)
	require.NotContains(t, trace[1], "/tests/harness.go:", "testify's trace leaves the harness's frames out:\n%s", s)
	require.Equal(t, 1, reports(s), "a failing run prints its report once:\n%s", s)
	require.Contains(t, s, "replay: go test ./tests -run '^TestHarnessChild$' -seed=1\n")
	require.Regexp(t, `seed=1 digest=[0-9a-f]+ \.\.\. Failed -- 100ms virtual  1 peer `, s, "the -v line")

	s = section(t, out, "passes")
	require.Regexp(t, `seed=1 digest=[0-9a-f]+ \.\.\. Passed -- 100ms virtual  1 peer `, s, "the -v line")
	require.Zero(t, reports(s), "a passing run prints no report:\n%s", s)

	s = section(t, out, "fails-without-a-world")
	require.Contains(t, s, "broken before any world")

	s = section(t, out, "twice-passes")
	require.Regexp(t, `seed=1 digest=[0-9a-f]+ twice; seed=2 gives another`, s)
	require.Zero(t, reports(s), "a passing run prints no report:\n%s", s)

	s = section(t, out, "twice-fails")
	require.Contains(t, s, "the scenario failed with seed 1; replay: go test ./tests -run '^TestHarnessChild$' -seed=1")
	require.Regexp(t, `child_selftest_test\.go:\d+: the scenario failed with seed 1`, s, "reported at the line of the test that called RunTwice, not inside the harness")
	require.Equal(t, 1, reports(s), "the failed run's report, once:\n%s", s)
	require.Len(t, regexp.MustCompile(`_test\.go:\d+: broken in the world`).FindAllString(s, -1), 1, "the check stops at the first failed run:\n%s", s)

	s = section(t, out, "twice-fails-without-a-world")
	require.Contains(t, s, "the scenario failed with seed 1")
	require.Zero(t, reports(s), "no world, no report:\n%s", s)

	s = section(t, out, "twice-leaky")
	require.Contains(t, s, "not deterministic: seed 1 gave digests")
	require.Regexp(t, `first run: .*leak: run 1\n.*second run: .*leak: run 2`, s, "the first lines where the runs parted:\n%s", s)

	s = section(t, out, "explore-finds")
	require.Contains(t, s, "explore random found a broken invariant after 1 schedules: n1 answered 3 pings")
	require.NotContains(t, s, "saving the choices", "the choices were saved")
	require.Contains(t, s, "replay: go test ./tests -run '^TestHarnessChild$' -seed=1 -choices=", "the replayed run's report:\n%s", s)
}

// A run whose node code blocks is named, with its replay command, and the
// process ends: the goroutine cannot be stopped.
func TestHungRunIsNamedAndEnds(t *testing.T) {
	out, err := runChild(t, "hang")
	var exit *exec.ExitError
	require.True(t, errors.As(err, &exit), "the child ends with an exit status: %v\n%s", err, out)
	require.Equal(t, 2, exit.ExitCode(), out)
	require.Contains(t, out, "--- FAIL: TestHarnessChild/hang hung (seed=1)\nreplay: go test ./tests -run '^TestHarnessChild$' -seed=1\nlabrpc: watchdog: n0 has been running a timer")
	require.NotContains(t, out, "test timed out", "the process ended at once")
}
