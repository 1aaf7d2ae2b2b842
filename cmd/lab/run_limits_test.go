package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"protolab/internal/stories"
	"protolab/labrpc"
)

// Every flag of 'lab run' out of range is refused before the run starts,
// with the flag, the range and the fix; every run within the limits ends.

// probeRunner registers a runner like kvsrv's (one node) and gossip's (2 or
// more nodes) that records whether it ran.
func probeRunner(t *testing.T) *bool {
	t.Helper()
	fakeRunners(t)
	ran := new(bool)
	run := func(r *stories.Run) error {
		*ran = true
		for i := 0; i < r.Nodes; i++ {
			r.W.Start(i, func(labrpc.Env) any { return &Idle{} })
		}
		r.W.Sleep(r.For)
		return nil
	}
	addRunner(stories.Runner{Name: "one", Summary: "one node", Nodes: 1, MinNodes: 1, MaxNodes: 1, Load: 100, Run: run})
	addRunner(stories.Runner{Name: "slow", Summary: "a bounded load", Nodes: 3, Load: 200, MaxLoad: 1000, Run: run})
	addRunner(stories.Runner{Name: "many", Summary: "many nodes", Nodes: 5, MinNodes: 2, Load: 50, Faults: []string{"partitions"}, Run: run})
	return ran
}

func TestRunRefusesFlagsOutOfRange(t *testing.T) {
	ran := probeRunner(t)
	dir := t.TempDir()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"one", "--load", "Inf"}, "--load +Inf: one offers more than 0 and at most 10000 operations per second of virtual time; give a --load in that range, or leave it out for 100"},
		{[]string{"one", "--load", "-Inf"}, "--load -Inf: one offers more than 0 and at most 10000"},
		{[]string{"one", "--load", "NaN"}, "--load NaN: one offers more than 0 and at most 10000"},
		{[]string{"one", "--load", "1e6"}, "--load 1e+06: one offers more than 0 and at most 10000"},
		{[]string{"one", "--load", "0"}, "--load 0: one offers more than 0 and at most 10000"},
		{[]string{"one", "--load", "-3"}, "--load -3: one offers more than 0"},
		{[]string{"one", "--load", "10000", "--for", "6s"}, "--load 10000 for --for 6s offers 60000 operations, and a run offers at most 20000: lower --load or --for"},
		{[]string{"slow", "--load", "1001"}, "--load 1001: slow offers more than 0 and at most 1000 operations per second of virtual time; give a --load in that range, or leave it out for 200"},
		{[]string{"one", "--load", "1e-9"}, "--load 1e-09 for --for 10s offers 1e-08 operations, less than one: give a --load of at least 0.1, or a longer --for"},
		{[]string{"one", "--load", "10000", "--for", "1h"}, "--load 10000 for --for 1h0m0s offers 36000000 operations, and a run offers at most"},
		{[]string{"one", "--nodes", "0"}, "--nodes 0: one runs with 1 node(s); give --nodes 1, or leave it out"},
		{[]string{"many", "--nodes", "0"}, "--nodes 0: many runs with 2 to 25 nodes; give --nodes from 2 to 25, or leave it out for 5"},
		{[]string{"many", "--nodes", "100000"}, "--nodes 100000: many runs with 2 to 25 nodes"},
		{[]string{"many", "--nodes", "-1"}, "--nodes -1: many runs with 2 to 25 nodes"},
		{[]string{"one", "--for", "61m"}, "--for 1h1m0s: the workload runs for more than 0 and at most 1h0m0s of virtual time; give a --for in that range"},
		{[]string{"one", "--for", "-1s"}, "--for -1s: the workload runs for more than 0"},
		{[]string{"many", "--faults", "reliable+partitions+partitions"}, "--faults: partitions is named twice"},
		{[]string{"one", "--html", filepath.Join(dir, "no-such-dir", "run.html")}, "--html: cannot write " + filepath.Join(dir, "no-such-dir", "run.html") + " (no such file or directory): give a file in a directory that exists and that you may write to"},
		{[]string{"one", "--html", dir}, "--html: " + dir + " is a directory: give a file name, like " + filepath.Join(dir, "run.html")},
	} {
		*ran = false
		code, stdout, stderr := lab(t, "", append([]string{"run"}, tt.args...)...)
		if code != exitUsage || !strings.HasPrefix(stderr, "lab run: "+tt.want) || stdout != "" {
			t.Errorf("lab run %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
		if *ran {
			t.Errorf("lab run %s: the run started before the flags were refused", strings.Join(tt.args, " "))
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("checking --html left files behind: %v", entries)
	}
}

func TestRunWithinTheLimitsEnds(t *testing.T) {
	ran := probeRunner(t)
	// The extremes of each range run, and pass: a workload longer than the
	// world's default budget of 30 minutes, the most nodes, the lowest load.
	for _, args := range [][]string{
		{"one", "--for", "1h", "--load", "0.001"},
		{"slow", "--load", "1000", "--for", "20s"},
		{"many", "--nodes", "25", "--for", "1s"},
		{"one", "--load", "10000", "--for", "1s"},
		{"one", "--load", "0.1", "--for", "10s"},
	} {
		*ran = false
		code, stdout, stderr := lab(t, "", append([]string{"run"}, args...)...)
		if code != exitOK || !*ran {
			t.Errorf("lab run %s: exit status %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
	}
}

// A real lab's workload over a long run and a light load: the run ends when
// the workload does (the world's time budget follows --for), and a client
// whose next operation would come after the end does not wait for it.
func TestRunLongAndLightWorkloads(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two half-hour simulations; skipped in -short mode")
	}
	for _, args := range [][]string{
		{"kvsrv", "--for", "31m", "--load", "0.5"},
		{"kvsrv", "--for", "1h", "--load", "0.0003"}, // each client's next Get is due hours later
		{"gossip", "--for", "20s", "--load", "0.1", "--seed", "3"},
	} {
		start := time.Now()
		code, stdout, stderr := lab(t, "", append([]string{"run"}, args...)...)
		if code != exitOK {
			t.Errorf("lab run %s: exit status %d\n%s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		t.Logf("lab run %s: %v", strings.Join(args, " "), time.Since(start))
	}
}

func TestStressRefusesFlagsOutOfRange(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	os.WriteFile(file, nil, 0o644)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--from", "9223372036854775807"}, "--from 9223372036854775807 with --seeds 100 runs seeds past 9223372036854775807, the largest seed: give a --from of at most 9223372036854775708"},
		{[]string{"--from", "9223372036854775800", "--seeds", "9"}, "--from 9223372036854775800 with --seeds 9 runs seeds past"},
		{[]string{"--out", file}, "--out: " + file + " is a file: give a directory (one that does not exist is made)"},
		{[]string{"--out", filepath.Join(file, "sub")}, "--out: cannot make the directory " + filepath.Join(file, "sub") + " (not a directory): give a directory you may write to"},
	} {
		code, stdout, stderr := lab(t, "", append([]string{"stress", "./testdata/flaky"}, tt.args...)...)
		if code != exitUsage || !strings.HasPrefix(stderr, "lab stress: "+tt.want) || stdout != "" {
			t.Errorf("lab stress %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}

// The labs' own runners refuse an infinite load at once: before, the
// replicated-log client looped at one instant of virtual time for ever.
func TestRunLabsRefuseAnInfiniteLoad(t *testing.T) {
	for _, name := range runnerNames() {
		start := time.Now()
		code, _, stderr := lab(t, "", "run", name, "--load", "Inf")
		if code != exitUsage || !strings.HasPrefix(stderr, "lab run: --load +Inf: "+name+" offers more than 0 and at most ") {
			t.Errorf("lab run %s --load Inf: exit status %d, stderr %q", name, code, stderr)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("lab run %s --load Inf took %v to refuse", name, d)
		}
	}
}
