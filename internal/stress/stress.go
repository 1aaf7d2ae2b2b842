// Package stress sweeps a package's simulated tests over many seeds, many
// processes at a time, to find the rare schedule that breaks a protocol: the
// engine of 'lab stress' (cmd/lab prints what it finds). The tests are built
// once and each run goes through internal/gotool's test binary, so that its
// verdict comes from go test's events; each failure is run again with
// -simtrace, which saves its trace and checks that it replays.
package stress

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"protolab/internal/gotool"
)

// Options say what to sweep and how.
type Options struct {
	Root     string        // the module root
	Pkg      string        // the package, relative to Root: "raft"
	Run      string        // the tests to run, as go test -run
	From     int64         // the first seed
	Seeds    int           // seeds From..From+Seeds-1
	Shard    string        // I/N, when these seeds are one shard of a larger sweep (for the result)
	Parallel int           // test processes at a time
	Timeout  time.Duration // the time limit of one run of one test
	Out      string        // where failures' traces go ("": a new temporary directory)
	Traces   int           // traces saved per test at most (0: all)

	// Started, if set, is told the tests once they are listed, before any runs.
	Started func(tests []string)
	// Ran, if set, is told of every finished run (from many goroutines).
	Ran func(failed bool)
}

// A UsageError is a sweep that the command line asked for and that cannot be:
// a package without simulated tests, a -run that matches none.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }

// Sweep runs the sweep. Its error means the sweep could not run (a *UsageError
// when the options are at fault); failures of the tests are in the Result. A
// cancelled ctx ends the sweep early, with Stopped set.
func Sweep(ctx context.Context, o Options) (Result, error) {
	tmp, err := os.MkdirTemp("", "lab-stress-bin-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmp)
	s := &sweep{o: o, stats: map[string]*TestStats{}}
	if s.bin, err = gotool.BuildTest(ctx, o.Root, o.Pkg, tmp); err != nil {
		if errors.Is(err, gotool.ErrNoTests) {
			return Result{}, &UsageError{err}
		}
		return Result{}, err
	}
	tests, out, err := s.bin.List(ctx, o.Run, "-seed=1")
	switch {
	case err != nil && bytes.Contains(out, []byte("flag provided but not defined: -seed")):
		return Result{}, &UsageError{fmt.Errorf("the tests of %s take no -seed: it has no simulated tests (they use protolab/tests); run them with go test", o.Pkg)}
	case err != nil:
		return Result{}, fmt.Errorf("listing the tests of %s: %v\n%s", o.Pkg, err, out)
	case len(tests) == 0:
		return Result{}, &UsageError{fmt.Errorf("no test of %s matches -run %q", o.Pkg, o.Run)}
	}
	for _, t := range tests {
		s.stats[t] = &TestStats{Test: t, Seeded: true, probed: make(chan struct{})}
		s.order = append(s.order, t)
	}
	if o.Started != nil {
		o.Started(tests)
	}
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallel)
	// Seed by seed, so that every test makes progress from the start and
	// an interrupted sweep has covered its tests evenly.
	for i := 0; i < o.Seeds && gctx.Err() == nil; i++ {
		seed := o.From + int64(i)
		for _, test := range tests {
			g.Go(func() error {
				failed := s.runOne(gctx, test, seed)
				if o.Ran != nil {
					o.Ran(failed)
				}
				return nil
			})
		}
	}
	g.Wait()
	elapsed := time.Since(start)

	res := Result{Package: o.Pkg, FromSeed: o.From, Seeds: o.Seeds, Shard: o.Shard, Parallel: o.Parallel,
		Elapsed: elapsed, ElapsedMS: ms(elapsed), TraceDir: s.outDir, Failures: s.failures}
	if ctx.Err() != nil {
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
	if res.Failures == nil {
		res.Failures = []*Failure{}
	}
	return res, nil
}

// A sweep is one Sweep under way.
type sweep struct {
	o   Options
	bin *gotool.TestBinary

	mu       sync.Mutex
	stats    map[string]*TestStats
	order    []string
	failures []*Failure
	outDir   string
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// TestStats is one test's row of the result.
type TestStats struct {
	Test     string  `json:"test"`
	Runs     int     `json:"runs"`
	Failures int     `json:"failures"`
	MeanMS   float64 `json:"mean_ms"`
	MaxMS    float64 `json:"max_ms"`
	Seeded   bool    `json:"seeded"` // false: the test logs no seed, so it ran once

	total, slowest time.Duration
	unseeded       bool          // known not to take a seed: skip its other seeds
	probed         chan struct{} // closed when the first seed's run has said whether it takes a seed
	traced         int
}

// A Failure is one failed run.
type Failure struct {
	Test     string `json:"test"`
	Seed     int64  `json:"seed"`
	Digest   string `json:"digest,omitempty"`
	Message  string `json:"message"`
	Replay   string `json:"replay"`
	Trace    string `json:"trace,omitempty"`    // the saved trace, if any
	Replayed *bool  `json:"replayed,omitempty"` // the traced re-run failed with the same digest
	Note     string `json:"note,omitempty"`     // why there is no trace, or why the replay differs
}

// Result is what a sweep found.
type Result struct {
	Package   string        `json:"package"`
	FromSeed  int64         `json:"from_seed"`
	Seeds     int           `json:"seeds"`
	Shard     string        `json:"shard,omitempty"` // I/N: these seeds are shard I of N
	Parallel  int           `json:"parallel"`
	Runs      int           `json:"runs"`
	Failed    int           `json:"failed"`
	Elapsed   time.Duration `json:"-"`
	ElapsedMS float64       `json:"elapsed_ms"`
	RunsPerS  float64       `json:"runs_per_second"`
	Tests     []*TestStats  `json:"tests"`
	Failures  []*Failure    `json:"failures"`
	TraceDir  string        `json:"trace_dir,omitempty"`
	Stopped   string        `json:"stopped,omitempty"` // why the sweep ended early
}

// runOne runs one test with one seed and records the result. It reports
// whether the run failed.
func (s *sweep) runOne(ctx context.Context, test string, seed int64) bool {
	s.mu.Lock()
	st := s.stats[test]
	s.mu.Unlock()
	// The first seed's run tells whether the test takes a seed at all; the
	// other seeds wait for it, so that a test that does not runs once.
	if seed == s.o.From {
		defer close(st.probed)
	} else {
		select {
		case <-st.probed:
		case <-ctx.Done():
			return false
		}
	}
	s.mu.Lock()
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
	var fail *Failure
	trace := false
	if !r.passed {
		st.Failures++
		fail = &Failure{Test: test, Seed: seed, Digest: r.digest, Message: r.message,
			Replay: fmt.Sprintf("go test ./%s -run '^%s$' -seed=%d", s.o.Pkg, test, seed)}
		s.failures = append(s.failures, fail)
		trace = s.o.Traces == 0 || st.traced < s.o.Traces
		if trace {
			st.traced++
		}
	}
	s.mu.Unlock()
	if fail == nil {
		return false
	}
	if !trace {
		fail.Note = fmt.Sprintf("no trace saved: --traces=%d per test", s.o.Traces)
		return true
	}
	s.saveTrace(ctx, fail)
	return true
}

// saveTrace runs a failure again with -simtrace, which both saves its trace
// and checks that it replays.
func (s *sweep) saveTrace(ctx context.Context, fail *Failure) {
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

func (s *sweep) traceDir() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.outDir != "" {
		return s.outDir, nil
	}
	if s.o.Out != "" {
		dir := s.o.Out
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		s.outDir = dir
		return dir, nil
	}
	dir, err := os.MkdirTemp("", "lab-stress-"+strings.ReplaceAll(s.o.Pkg, "/", "-")+"-")
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
func (s *sweep) exec(ctx context.Context, test string, seed int64, trace string) runResult {
	args := []string{"-test.timeout", s.o.Timeout.String(), "-seed=" + strconv.FormatInt(seed, 10)}
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

func sortFailures(fs []*Failure) {
	slices.SortFunc(fs, func(a, b *Failure) int {
		if a.Test != b.Test {
			return strings.Compare(a.Test, b.Test)
		}
		return int(a.Seed - b.Seed)
	})
}

// Shard narrows the seeds from..from+seeds-1 to shard i of n (from 1): n
// consecutive blocks whose sizes differ by at most one, so that the shards of a CI
// matrix together run every seed once.
func Shard(spec string, from int64, seeds int) (int64, int, error) {
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

// Check checks the options that the command line gives, before anything is built,
// and cuts the seeds down to the shard's (From and Seeds then say the shard's
// seeds). Each error names the flag and what it may be.
func (o *Options) Check() error {
	switch {
	case o.Seeds < 1:
		return fmt.Errorf("--seeds must be at least 1")
	case o.From > math.MaxInt64-int64(o.Seeds-1):
		return fmt.Errorf("--from %d with --seeds %d runs seeds past %d, the largest seed: give a --from of at most %d", o.From, o.Seeds, int64(math.MaxInt64), math.MaxInt64-int64(o.Seeds-1))
	case o.Parallel < 1:
		return fmt.Errorf("--parallel must be at least 1")
	case o.Timeout <= 0:
		return fmt.Errorf("--timeout must be positive")
	case o.Traces < 0:
		return fmt.Errorf("--traces must be 0 (all) or more")
	}
	if _, err := regexp.Compile(o.Run); err != nil {
		return fmt.Errorf("-run: %v", err)
	}
	if o.Shard != "" {
		from, seeds, err := Shard(o.Shard, o.From, o.Seeds)
		if err != nil {
			return err
		}
		o.From, o.Seeds = from, seeds
	}
	return nil
}
