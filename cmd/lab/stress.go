package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"protolab/internal/gotool"
)

type stressFlags struct {
	run      string
	seeds    int
	from     int64
	parallel int
	timeout  time.Duration
	out      string
	traces   int
	shard    string
	json     bool
}

func newStressFlags() (*flag.FlagSet, *stressFlags) {
	f := &stressFlags{}
	fs := flag.NewFlagSet("stress", flag.ContinueOnError)
	fs.StringVar(&f.run, "run", ".", "run only the tests whose names match `REGEX` (as go test -run)")
	fs.IntVar(&f.seeds, "seeds", 100, "run each test with `K` seeds")
	fs.Int64Var(&f.from, "from", 1, "the first `SEED`; the seeds are SEED..SEED+K-1")
	fs.IntVar(&f.parallel, "parallel", runtime.NumCPU(), "run `P` test processes at a time")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Minute, "the time limit of one run of one test")
	fs.StringVar(&f.out, "out", "", "save the traces of failures in `DIR` (default: a new temporary directory)")
	fs.IntVar(&f.traces, "traces", 20, "save the traces of at most `N` failures per test (0: all)")
	fs.StringVar(&f.shard, "shard", "", "run only shard `I/N` of the seeds (1 <= I <= N), for a sweep spread over N machines")
	fs.BoolVar(&f.json, "json", false, "print the results as JSON")
	return fs, f
}

// shardSeeds narrows the seeds from..from+seeds-1 to shard i of n (from 1): n
// consecutive blocks whose sizes differ by at most one, so that the shards of a CI
// matrix together run every seed once.
func shardSeeds(spec string, from int64, seeds int) (int64, int, error) {
	var i, n int
	if _, err := fmt.Sscanf(spec, "%d/%d", &i, &n); err != nil || fmt.Sprintf("%d/%d", i, n) != spec {
		return 0, 0, fmt.Errorf("--shard %q: give I/N, like 2/8 (shard 2 of 8)", spec)
	}
	switch {
	case n < 1 || i < 1 || i > n:
		return 0, 0, fmt.Errorf("--shard %s: I must be from 1 to N", spec)
	case n > seeds:
		return 0, 0, fmt.Errorf("--shard %s: %d seeds do not make %d shards; give --seeds %d or more", spec, seeds, n, n)
	}
	size, extra := seeds/n, seeds%n
	k := i - 1
	start := from + int64(k*size+min(k, extra))
	if k < extra {
		size++
	}
	return start, size, nil
}

func helpStress(w io.Writer) {
	fmt.Fprint(w, `usage: lab stress PKG [-run REGEX] [--seeds K] [--from SEED] [--parallel P]
                   [--timeout D] [--out DIR] [--traces N] [--shard I/N] [--json]

Stress runs the simulated tests of a package over many seeds, P processes at a
time, to find the rare schedule that breaks a protocol, or to grade one. It
builds the test binary once (go test -c), lists its tests (-test.list), and runs
the binary once per test and seed:

	PKG.test -test.run '^TestX$' -seed=N -test.count=1 -test.v

A test that is not simulated (it logs no seed) runs once, not once per seed.
Each failing run is run again with -simtrace to save its whole trace, and that
second run must fail the same way with the same digest: every failure replays.

Stress prints a table per test (runs, failures, mean and slowest time), then for
each failure its seed, what went wrong, the command that replays it and its
saved trace, which 'lab replay TRACE' shows as a timeline. A progress bar is
drawn on a terminal only. Stress exits with status 1 if any run failed.

Examples:

	lab stress kvsrv --seeds 500
	lab stress raft -run 4B --seeds 2000 --parallel 8
	lab stress kvsrv -run '^TestPutAtMostOnce1B$' --from 1000 --seeds 100 --json
	lab stress raft --seeds 4000 --shard 3/8     # seeds 1001..1500: machine 3 of 8

With --shard I/N, the seeds SEED..SEED+K-1 are cut into N consecutive blocks and only
block I runs, so that N machines of a CI matrix given the same flags run every seed
once between them (docs/instructors.md has a GitHub Actions matrix).

Flags:
`)
	fs, _ := newStressFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runStress(c *cli, args []string) int {
	fs, f := newStressFlags()
	pkgs, rest, code, ok := c.parseFlags("stress", fs, args)
	if !ok {
		return code
	}
	switch {
	case len(pkgs) != 1 || len(rest) > 0:
		return c.usageError("stress", "give one package, like 'lab stress kvsrv'")
	case f.seeds < 1:
		return c.usageError("stress", "--seeds must be at least 1")
	case f.from > math.MaxInt64-int64(f.seeds-1):
		return c.usageError("stress", "--from %d with --seeds %d runs seeds past %d, the largest seed: give a --from of at most %d", f.from, f.seeds, int64(math.MaxInt64), math.MaxInt64-int64(f.seeds-1))
	case f.parallel < 1:
		return c.usageError("stress", "--parallel must be at least 1")
	case f.timeout <= 0:
		return c.usageError("stress", "--timeout must be positive")
	case f.traces < 0:
		return c.usageError("stress", "--traces must be 0 (all) or more")
	}
	if _, err := regexp.Compile(f.run); err != nil {
		return c.usageError("stress", "-run: %v", err)
	}
	if f.shard != "" {
		from, seeds, err := shardSeeds(f.shard, f.from, f.seeds)
		if err != nil {
			return c.usageError("stress", "%v", err)
		}
		f.from, f.seeds = from, seeds
	}
	if f.out != "" {
		if _, err := c.outputDir(f.out); err != nil {
			return c.usageError("stress", "--out: %v", err)
		}
	}
	root, code, ok := c.moduleRoot("stress")
	if !ok {
		return code
	}
	pkg, err := c.packageDir(root, pkgs[0])
	if err != nil {
		return c.usageError("stress", "%v", err)
	}
	s := &stresser{c: c, f: f, root: root, pkg: pkg}
	return s.run()
}

// A stresser is one 'lab stress' run.
type stresser struct {
	c         *cli
	f         *stressFlags
	root, pkg string
	bin       *gotool.TestBinary

	mu       sync.Mutex
	stats    map[string]*testStats
	order    []string
	failures []*stressFailure
	outDir   string
}

// testStats is one row of the table.
type testStats struct {
	Test     string  `json:"test"`
	Runs     int     `json:"runs"`
	Failures int     `json:"failures"`
	MeanMS   float64 `json:"mean_ms"`
	MaxMS    float64 `json:"max_ms"`
	Seeded   bool    `json:"seeded"` // false: the test logs no seed, so it ran once

	total, slowest time.Duration
	unseeded       bool // known not to take a seed: skip its other seeds
	traced         int
}

// A stressFailure is one failed run.
type stressFailure struct {
	Test     string `json:"test"`
	Seed     int64  `json:"seed"`
	Digest   string `json:"digest,omitempty"`
	Message  string `json:"message"`
	Replay   string `json:"replay"`
	Trace    string `json:"trace,omitempty"`    // the saved trace, if any
	Replayed *bool  `json:"replayed,omitempty"` // the traced re-run failed with the same digest
	Note     string `json:"note,omitempty"`     // why there is no trace, or why the replay differs
}

type stressResult struct {
	Package   string           `json:"package"`
	FromSeed  int64            `json:"from_seed"`
	Seeds     int              `json:"seeds"`
	Shard     string           `json:"shard,omitempty"` // I/N: these seeds are shard I of N
	Parallel  int              `json:"parallel"`
	Runs      int              `json:"runs"`
	Failed    int              `json:"failed"`
	ElapsedMS float64          `json:"elapsed_ms"`
	RunsPerS  float64          `json:"runs_per_second"`
	Tests     []*testStats     `json:"tests"`
	Failures  []*stressFailure `json:"failures"`
	TraceDir  string           `json:"trace_dir,omitempty"`
	Stopped   string           `json:"stopped,omitempty"` // why the sweep ended early
}

func (s *stresser) run() int {
	tmp, err := os.MkdirTemp("", "lab-stress-bin-")
	if err != nil {
		return s.c.failf("stress", "%v", err)
	}
	defer os.RemoveAll(tmp)
	if !s.f.json {
		fmt.Fprintf(s.c.stdout, "building the tests of %s...\n", s.pkg)
	}
	if s.bin, err = gotool.BuildTest(s.c.ctx, s.root, s.pkg, tmp); err != nil {
		if errors.Is(err, gotool.ErrNoTests) {
			return s.c.usageError("stress", "%v", err)
		}
		return s.c.failf("stress", "%v", err)
	}
	tests, code, ok := s.list()
	if !ok {
		return code
	}

	s.stats = map[string]*testStats{}
	for _, t := range tests {
		s.stats[t] = &testStats{Test: t, Seeded: true}
		s.order = append(s.order, t)
	}
	total := len(tests) * s.f.seeds
	if !s.f.json {
		shard := ""
		if s.f.shard != "" {
			shard = ", shard " + s.f.shard
		}
		fmt.Fprintf(s.c.stdout, "%d tests × %d seeds (%d..%d%s), %d at a time\n", len(tests), s.f.seeds, s.f.from, s.f.from+int64(s.f.seeds)-1, shard, s.f.parallel)
	}
	bar := newProgress(s.c.stderr, total)
	start := time.Now()
	g, ctx := errgroup.WithContext(s.c.ctx)
	g.SetLimit(s.f.parallel)
	// Seed by seed, so that every test makes progress from the start and
	// an interrupted sweep has covered its tests evenly.
	for i := 0; i < s.f.seeds && ctx.Err() == nil; i++ {
		seed := s.f.from + int64(i)
		for _, test := range tests {
			g.Go(func() error {
				failed := s.runOne(ctx, test, seed)
				bar.add(failed)
				return nil
			})
		}
	}
	g.Wait()
	bar.finish()
	elapsed := time.Since(start)

	res := stressResult{Package: s.pkg, FromSeed: s.f.from, Seeds: s.f.seeds, Shard: s.f.shard, Parallel: s.f.parallel,
		ElapsedMS: ms(elapsed), TraceDir: s.outDir, Failures: s.failures}
	if s.c.ctx.Err() != nil {
		res.Stopped = "interrupted"
	}
	for _, t := range s.order {
		st := s.stats[t]
		if st.Runs > 0 {
			st.MeanMS = ms(st.total / time.Duration(st.Runs))
			st.MaxMS = ms(st.slowest)
		}
		st.Seeded = !st.unseeded
		res.Tests = append(res.Tests, st)
		res.Runs += st.Runs
		res.Failed += st.Failures
	}
	res.RunsPerS = float64(res.Runs) / elapsed.Seconds()
	sortFailures(res.Failures)
	if s.f.json {
		if res.Failures == nil {
			res.Failures = []*stressFailure{}
		}
		writeJSON(s.c.stdout, res)
	} else {
		s.print(res, elapsed)
	}
	if res.Failed > 0 || res.Stopped != "" {
		return exitFail
	}
	return exitOK
}

// list returns the tests of the binary that match -run. A binary that does
// not know -seed has no simulated tests.
func (s *stresser) list() ([]string, int, bool) {
	tests, out, err := s.bin.List(s.c.ctx, s.f.run, "-seed=1")
	if err != nil {
		if bytes.Contains(out, []byte("flag provided but not defined: -seed")) {
			return nil, s.c.usageError("stress", "the tests of %s take no -seed: it has no simulated tests (they use protolab/tests); run them with go test", s.pkg), false
		}
		return nil, s.c.failf("stress", "listing the tests of %s: %v\n%s", s.pkg, err, out), false
	}
	if len(tests) == 0 {
		return nil, s.c.usageError("stress", "no test of %s matches -run %q", s.pkg, s.f.run), false
	}
	return tests, exitOK, true
}

// runOne runs one test with one seed and records the result. It reports
// whether the run failed.
func (s *stresser) runOne(ctx context.Context, test string, seed int64) bool {
	s.mu.Lock()
	st := s.stats[test]
	skip := st.unseeded
	s.mu.Unlock()
	if skip || ctx.Err() != nil {
		return false
	}
	r := s.exec(ctx, test, seed, "")
	if ctx.Err() != nil {
		return false // interrupted: neither a pass nor a failure
	}

	s.mu.Lock()
	st.Runs++
	st.total += r.elapsed
	st.slowest = max(st.slowest, r.elapsed)
	if r.passed && r.digest == "" && !r.logsSeed {
		st.unseeded = true
	}
	var fail *stressFailure
	trace := false
	if !r.passed {
		st.Failures++
		fail = &stressFailure{Test: test, Seed: seed, Digest: r.digest, Message: r.message,
			Replay: fmt.Sprintf("go test ./%s -run '^%s$' -seed=%d", s.pkg, test, seed)}
		s.failures = append(s.failures, fail)
		trace = s.f.traces == 0 || st.traced < s.f.traces
		if trace {
			st.traced++
		}
	}
	s.mu.Unlock()
	if fail == nil {
		return false
	}
	if !trace {
		fail.Note = fmt.Sprintf("no trace saved: --traces=%d per test", s.f.traces)
		return true
	}
	s.saveTrace(ctx, fail)
	return true
}

// saveTrace runs a failure again with -simtrace, which both saves its trace
// and checks that it replays.
func (s *stresser) saveTrace(ctx context.Context, fail *stressFailure) {
	dir, err := s.traceDir()
	if err != nil {
		fail.Note = "no trace saved: " + err.Error()
		return
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-seed%d.txt", fail.Test, fail.Seed))
	r := s.exec(ctx, fail.Test, fail.Seed, path)
	if ctx.Err() != nil {
		return
	}
	if _, err := os.Stat(path); err == nil {
		fail.Trace = path
	} else {
		fail.Note = "no trace: the test writes none (a run-twice check, or it failed before making its world)"
	}
	same := !r.passed && r.digest == fail.Digest
	fail.Replayed = &same
	switch {
	case r.passed:
		fail.Note = "DID NOT REPLAY: the same seed passed when run again; something depends on more than the seed"
	case r.digest != fail.Digest:
		fail.Note = fmt.Sprintf("DID NOT REPLAY: the same seed gave digest %s, then %s", fail.Digest, r.digest)
	}
}

func (s *stresser) traceDir() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outDir != "" {
		return s.outDir, nil
	}
	if s.f.out != "" {
		dir := s.f.out
		if !filepath.IsAbs(dir) {
			wd, err := s.c.workDir()
			if err != nil {
				return "", err
			}
			dir = filepath.Join(wd, dir)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		s.outDir = dir
		return dir, nil
	}
	dir, err := os.MkdirTemp("", "lab-stress-"+strings.ReplaceAll(s.pkg, "/", "-")+"-")
	if err != nil {
		return "", err
	}
	s.outDir = dir
	return dir, nil
}

// runResult is what one run of the test binary said.
type runResult struct {
	passed   bool
	elapsed  time.Duration
	digest   string // from the harness's "seed=N digest=HEX" line
	logsSeed bool   // the run logged a seed: it is a simulated test
	message  string // what went wrong, in a line or two
}

var digestLine = regexp.MustCompile(`seed=(-?\d+) digest=([0-9a-f+]+)`)

// exec runs the binary on one test and seed, with -simtrace if trace is set.
func (s *stresser) exec(ctx context.Context, test string, seed int64, trace string) runResult {
	args := []string{"-test.timeout", s.f.timeout.String(), "-seed=" + strconv.FormatInt(seed, 10)}
	if trace != "" {
		args = append(args, "-simtrace="+trace)
	}
	run := s.bin.Run(ctx, test, args...)
	r := runResult{passed: run.Passed, elapsed: run.Elapsed}
	for _, m := range digestLine.FindAllStringSubmatch(run.Output, -1) {
		r.logsSeed = true
		if m[1] == strconv.FormatInt(seed, 10) {
			r.digest = m[2]
		}
	}
	if !r.passed {
		r.message = failureMessage(run.Output)
		if r.message == "" && run.Err != nil {
			r.message = run.Err.Error()
		}
	}
	return r
}

var (
	errorLine  = regexp.MustCompile(`^\s+Error:\s+(.*)$`)
	messages   = regexp.MustCompile(`^\s+Messages:\s+(.*)$`)
	sourceLine = regexp.MustCompile(`^\s+[\w./-]+\.go:\d+: (.*)$`)
)

// failureMessage picks out of a failed run's output the line that says what
// went wrong: testify's Error and Messages, or the first logged error, or a
// panic or time-out.
func failureMessage(out string) string {
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if m := errorLine.FindStringSubmatch(l); m != nil {
			msg := strings.TrimSpace(m[1])
			for _, next := range lines[i+1 : min(i+12, len(lines))] {
				if mm := messages.FindStringSubmatch(next); mm != nil {
					msg += ": " + strings.TrimSpace(mm[1])
					break
				}
			}
			return msg
		}
	}
	for _, l := range lines {
		if m := sourceLine.FindStringSubmatch(l); m != nil && !digestLine.MatchString(l) && strings.TrimSpace(m[1]) != "" {
			return strings.TrimSpace(m[1])
		}
		if strings.HasPrefix(l, "panic: ") {
			return l
		}
	}
	for _, l := range lines {
		if strings.Contains(l, "--- FAIL") || strings.HasPrefix(l, "FAIL") {
			continue
		}
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "===") && !digestLine.MatchString(t) {
			return t
		}
	}
	return ""
}

func sortFailures(fs []*stressFailure) {
	slices.SortFunc(fs, func(a, b *stressFailure) int {
		if a.Test != b.Test {
			return strings.Compare(a.Test, b.Test)
		}
		return int(a.Seed - b.Seed)
	})
}

// print writes the table and the failures for people.
func (s *stresser) print(res stressResult, elapsed time.Duration) {
	w := s.c.stdout
	col := colours(w)
	const row = "%-40s %6s %9s %10s %10s\n"
	fmt.Fprintln(w)
	fmt.Fprintf(w, row, "test", "runs", "failures", "mean", "slowest")
	for _, st := range res.Tests {
		fails := strconv.Itoa(st.Failures)
		if st.Failures > 0 {
			fails = paint(col, "red", fmt.Sprintf("%9s", fails))
		}
		runs := strconv.Itoa(st.Runs)
		if !st.Seeded {
			runs += "*"
		}
		fmt.Fprintf(w, row, st.Test, runs, fails, fmtMS(st.MeanMS), fmtMS(st.MaxMS))
	}
	for _, st := range res.Tests {
		if !st.Seeded {
			fmt.Fprintln(w, "* not a simulated test (it logs no seed): run once")
			break
		}
	}
	fmt.Fprintf(w, "\n%d runs in %s (%.1f runs/s, %d at a time)", res.Runs, fmtMS(ms(elapsed)), res.RunsPerS, res.Parallel)
	if res.Stopped != "" {
		fmt.Fprintf(w, "; %s before the end", res.Stopped)
	}
	fmt.Fprintln(w)

	const shown = 20
	perTest := map[string]int{}
	hidden := 0
	for _, f := range res.Failures {
		perTest[f.Test]++
		if perTest[f.Test] > shown {
			hidden++
			continue
		}
		fmt.Fprintf(w, "\n%s %s seed=%d", paint(col, "red", "--- FAIL"), f.Test, f.Seed)
		if f.Digest != "" {
			fmt.Fprintf(w, " digest=%s", f.Digest)
		}
		fmt.Fprintln(w)
		if f.Message != "" {
			fmt.Fprintf(w, "    %s\n", f.Message)
		}
		fmt.Fprintf(w, "    replay: %s\n", f.Replay)
		if f.Trace != "" {
			fmt.Fprintf(w, "    trace:  %s\n            lab replay %s\n", f.Trace, f.Trace)
		}
		if f.Note != "" {
			note := f.Note
			if strings.HasPrefix(note, "DID NOT REPLAY") {
				note = paint(col, "yellow", note)
			}
			fmt.Fprintf(w, "    %s\n", note)
		}
	}
	if hidden > 0 {
		fmt.Fprintf(w, "\n... and %d more failures (at most %d per test here; --json lists them all)\n", hidden, shown)
	}
	switch {
	case res.Failed == 0 && res.Stopped == "":
		fmt.Fprintf(w, "\n%s: every run passed\n", paint(col, "green", "ok"))
	case res.Failed > 0:
		fmt.Fprintf(w, "\n%s: %d of %d runs failed", paint(col, "red", "FAIL"), res.Failed, res.Runs)
		if res.TraceDir != "" {
			fmt.Fprintf(w, "; traces in %s", res.TraceDir)
		}
		fmt.Fprintln(w)
	}
}

func fmtMS(v float64) string {
	d := time.Duration(v * float64(time.Millisecond))
	switch {
	case d >= 10*time.Second:
		return d.Round(100 * time.Millisecond).String()
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	default:
		return d.Round(100 * time.Microsecond).String()
	}
}
