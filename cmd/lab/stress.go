package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"protolab/internal/stress"
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
	if len(pkgs) != 1 || len(rest) > 0 {
		return c.usageError("stress", "give one package, like 'lab stress kvsrv'")
	}
	opts := stress.Options{Run: f.run, From: f.from, Seeds: f.seeds, Shard: f.shard, Parallel: f.parallel, Timeout: f.timeout, Traces: f.traces}
	if err := opts.Check(); err != nil {
		return c.usageError("stress", "%v", err)
	}
	f.from, f.seeds = opts.From, opts.Seeds
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
	out := f.out
	if out != "" {
		if out, err = c.outputPath(out); err != nil {
			return c.usageError("stress", "--out: %v", err)
		}
	}
	if !f.json {
		fmt.Fprintf(c.stdout, "building the tests of %s...\n", pkg)
	}
	var bar *progress
	opts.Root, opts.Pkg, opts.Out = root, pkg, out
	opts.Started = func(tests []string) {
		if !f.json {
			shard := ""
			if f.shard != "" {
				shard = ", shard " + f.shard
			}
			fmt.Fprintf(c.stdout, "%d tests × %d seeds (%d..%d%s), %d at a time\n", len(tests), f.seeds, f.from, f.from+int64(f.seeds)-1, shard, f.parallel)
		}
		bar = newProgress(c.stderr, len(tests)*f.seeds)
	}
	opts.Ran = func(failed bool) { bar.add(failed) }
	res, err := stress.Sweep(c.ctx, opts)
	var usage *stress.UsageError
	switch {
	case errors.As(err, &usage):
		return c.usageError("stress", "%v", err)
	case err != nil:
		return c.failf("stress", "%v", err)
	}
	bar.finish()
	if f.json {
		writeJSON(c.stdout, res)
	} else {
		printStress(c.stdout, res)
	}
	if res.Failed > 0 || res.Stopped != "" {
		return exitFail
	}
	return exitOK
}

// printStress writes the table and the failures for people.
func printStress(w io.Writer, res stress.Result) {
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
	fmt.Fprintf(w, "\n%d runs in %s (%.1f runs/s, %d at a time)", res.Runs, fmtMS(ms(res.Elapsed)), res.RunsPerS, res.Parallel)
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
