// Package tests is the harness every lab's tests share: seeds and replay,
// failure reports with a per-node timeline, the run-twice determinism check,
// the nemesis that schedules faults, and the linearizability checker.
//
// A simulated test reads:
//
//	func TestBasicAgree4B(t *testing.T) {
//		tests.Run(t, func(t *tests.T) {
//			w := t.NewWorld(labrpc.Config{Nodes: 3})
//			...
//		})
//	}
//
// and takes these flags (go test ./raft -run 4B -seed=7 -seeds=100 -v):
//
//	-seed=N      the seed (default 1, so plain `go test` is reproducible)
//	-seeds=K     run each simulated test over seeds N..N+K-1
//	-simtrace=FILE  write the whole trace of the run to FILE (go test keeps
//	                -trace for Go's own execution tracer); a FILE ending in
//	                .jsonl gets JSON lines, for tools (lab replay, the viewer)
//	-tail=L      how many trace lines a failure report shows (default 60)
//	-tailfilter=WORDS  which lines the failure report's timeline shows: a
//	                comma-separated list of RPC methods and log topics
//	                (-tailfilter=RequestVote,vote); a word with a leading
//	                minus hides them instead (-tailfilter=-AppendEntries).
//	                World events (faults, crashes, notes) are always shown.
//	-twice       run every simulated test as a run-twice determinism check
//
// With -v each run ends with a line in the spirit of MIT's testers:
//
//	seed=1 digest=3fdb42dd755e9d23 ... Passed -- 2.1s virtual  5 peers  412 RPCs  51832 bytes  23 committed
//
// (the commands committed where the test told the harness, with
// CountCommitted). A failing run prints its seed, the command that replays
// exactly that run, and the tail of its trace; its failure message goes into
// the trace too, as a "FAIL: ..." note, so that `lab replay` shows it.
//
// T's Errorf, Error, Fatalf and Fatal mark themselves as helpers, and leave
// the harness's and the world's frames out of testify's "Error Trace", so
// that a failure points at the test's own line.
package tests

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"protolab/labrpc"
)

var (
	seedFlag   = flag.Int64("seed", 1, "the simulation seed (protolab)")
	seedsFlag  = flag.Int("seeds", 1, "run each simulated test over this many consecutive seeds (protolab)")
	traceFlag  = flag.String("simtrace", "", "write the whole trace of each simulated run to this file (protolab)")
	tailFlag   = flag.Int("tail", 60, "trace lines a failure report shows (protolab)")
	twiceFlag  = flag.Bool("twice", false, "run every simulated test as a run-twice determinism check (protolab)")
	filterFlag = flag.String("tailfilter", "", "comma-separated RPC methods and log topics the failure report's timeline shows (RequestVote,vote), or hides with a leading minus (-AppendEntries) (protolab)")
)

// T is a simulated test's handle: the testing.T, the seed, and the worlds
// it made.
type T struct {
	*testing.T
	Seed   int64
	worlds []*labrpc.World
	files  []*os.File
	bodies []*labrpc.TraceBody // what the world wrote to each file, hashed for its end line
	// quiet runs write no trace file and log no digest: the run-twice
	// check's inner runs, which report their digests together.
	quiet bool
	// traceTo, if set, receives the first world's whole trace.
	traceTo io.Writer
	// noted is set once the run's first failure is in the trace; closed
	// once the worlds are closed and take no more lines.
	noted, closed bool
	// committed, if set, counts the commands committed, for -v's line.
	committed func() int
	// A schedule search's (explore.go): the chooser the world takes, the
	// choices file the run replays, the search's view of one schedule.
	chooser labrpc.Chooser
	choices string
	search  *searchRun
}

// CountCommitted tells the harness how to count the commands the run
// committed, for the line -v prints at the end of each run.
func (t *T) CountCommitted(f func() int) { t.committed = f }

// Run runs body once per seed (-seed, -seeds). Each run gets a fresh T.
// With -twice, every test becomes a run-twice check (see RunTwice): the same
// seed twice must give the same digest, the next seed another.
func Run(t *testing.T, body func(t *T)) {
	t.Helper()
	if *twiceFlag {
		RunTwice(t, body)
		return
	}
	if *seedsFlag <= 1 {
		runSeed(t, *seedFlag, body, false)
		return
	}
	for i := 0; i < *seedsFlag; i++ {
		seed := *seedFlag + int64(i)
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) { t.Helper(); runSeed(t, seed, body, false) })
	}
}

// runSeed runs body with one seed and reports. It returns the T for the
// caller to read digests from.
func runSeed(t *testing.T, seed int64, body func(*T), quiet bool) *T {
	t.Helper()
	st := &T{T: t, Seed: seed, quiet: quiet}
	if !quiet {
		// The run's last words are logged by a cleanup, registered here:
		// testing then reports them at the test's line, even when the run
		// ended in FailNow (a deferred call would be reported inside
		// runtime.Goexit).
		t.Cleanup(func() { t.Helper(); st.lastWords() })
	}
	func() {
		t.Helper()
		defer st.finish()
		body(st)
	}()
	return st
}

// NewWorld creates the run's world with the run's seed. A test may make
// more than one (the run-twice check does); the first one is traced.
func (t *T) NewWorld(cfg labrpc.Config) *labrpc.World {
	cfg.Seed = t.Seed
	cfg.Chooser = t.chooserFor(cfg.Chooser)
	if *traceFlag != "" && len(t.worlds) == 0 && !t.quiet {
		name := *traceFlag
		if *seedsFlag > 1 {
			name = fmt.Sprintf("%s.seed%d", name, t.Seed)
		}
		f, err := os.Create(name)
		if err != nil {
			t.Fatalf("-simtrace: %v", err)
		}
		t.files = append(t.files, f)
		// The header names the run, so that `lab replay FILE` can run it
		// again; a name ending in .jsonl asks for JSON lines, for tools.
		test, _, _ := strings.Cut(t.Name(), "/")
		fmt.Fprintln(f, labrpc.TraceHeader{Package: packageDir(), Test: test, Seed: t.Seed, Nodes: cfg.Nodes})
		t.saveChoicesBeside(name) // a searched schedule's choices, for lab replay
		body := labrpc.NewTraceBody(f)
		t.bodies = append(t.bodies, body)
		cfg.TraceTo, cfg.TraceJSON = body, strings.HasSuffix(name, ".jsonl")
	}
	if t.traceTo != nil && len(t.worlds) == 0 {
		cfg.TraceTo = t.traceTo
	}
	if cfg.OnHang == nil {
		// The watchdog found node code blocked (labrpc's Config.Watchdog):
		// the goroutine cannot be stopped, so name the run and end.
		replay := ReplayCommand(t.Name(), t.Seed)
		cfg.OnHang = func(err error) {
			fmt.Fprintf(os.Stderr, "--- FAIL: %s hung (seed=%d)\nreplay: %s\n%v\n", t.Name(), t.Seed, replay, err)
			os.Exit(2)
		}
	}
	w := labrpc.NewWorld(cfg)
	t.worlds = append(t.worlds, w)
	return w
}

// World is the run's (first) world.
func (t *T) World() *labrpc.World {
	if len(t.worlds) == 0 {
		t.Fatalf("tests: no world yet; call t.NewWorld first")
	}
	return t.worlds[0]
}

// Digest is the digest of the run: its worlds' digests, joined.
func (t *T) Digest() string {
	var ds []string
	for _, w := range t.worlds {
		ds = append(ds, w.Digest())
	}
	return strings.Join(ds, "+")
}

// draws is the number of random numbers the run's worlds drew.
func (t *T) draws() int64 {
	var n int64
	for _, w := range t.worlds {
		n += w.Draws()
	}
	return n
}

// finish turns a stopped world into a test failure, closes the worlds,
// and writes the report.
func (t *T) finish() {
	t.Helper()
	if r := recover(); r != nil {
		if _, ok := labrpc.IsStopped(r); !ok {
			panic(r)
		}
	}
	t.closed = true
	for _, w := range t.worlds {
		w.Close()
		if err := w.Err(); err != nil {
			t.T.Errorf("%v", err) // the world has put it in its trace
		}
	}
	for i, f := range t.files {
		w := t.worlds[0]
		fmt.Fprintln(f, labrpc.TraceEnd{Digest: w.Digest(), Steps: w.Steps(), At: w.Now(), Failed: t.Failed(), Body: t.bodies[i].Sum()})
		f.Close()
	}
	if t.quiet && t.Failed() && len(t.worlds) > 0 {
		t.Log(t.report())
	}
}

// lastWords logs the -v line and, if the run failed, its report.
func (t *T) lastWords() {
	t.Helper()
	if len(t.worlds) == 0 {
		return
	}
	if testing.Verbose() {
		t.Logf("seed=%d digest=%s %s", t.Seed, t.Digest(), t.summary())
	}
	if t.Failed() {
		t.Log(t.report())
	}
}

// report is what a failing run prints: the seed, how to replay it, and
// what happened last.
func (t *T) report() string {
	w := t.worlds[0]
	var b strings.Builder
	fmt.Fprintf(&b, "\n--- seed=%d digest=%s (at %v of virtual time, step %d)\n", t.Seed, t.Digest(), w.Now(), w.Steps())
	if t.choices != "" {
		fmt.Fprintf(&b, "replay: %s\n", ChoicesReplayCommand(t.Name(), t.Seed, t.choices))
	} else {
		fmt.Fprintf(&b, "replay: %s\n", ReplayCommand(t.Name(), t.Seed))
	}
	if s := w.Silence(); s != "" {
		fmt.Fprintf(&b, "%s\n", s)
	}
	if *traceFlag == "" {
		b.WriteString("whole trace: add -simtrace=/tmp/trace.txt to the replay command\n")
	}
	lines, err := tailLines(w.Tail(-1), *filterFlag, *tailFlag)
	if err != nil {
		fmt.Fprintf(&b, "-tailfilter: %v\n", err)
		lines = w.Tail(*tailFlag)
	}
	if *filterFlag != "" {
		fmt.Fprintf(&b, "the last %d trace lines that -tailfilter=%s keeps:\n", len(lines), *filterFlag)
	} else {
		fmt.Fprintf(&b, "the last %d trace lines:\n", len(lines))
	}
	b.WriteString(w.Timeline(lines))
	return b.String()
}

// summary is the end of -v's line for a run, after MIT's testers: virtual
// time, peers, RPCs, bytes, and commands committed where the test counts
// them.
func (t *T) summary() string {
	w := t.worlds[0]
	verdict := "Passed"
	if t.Failed() {
		verdict = "Failed"
	}
	s := fmt.Sprintf("... %s -- %v virtual  %s  %s  %d bytes", verdict, w.Now().Round(time.Millisecond), plural(w.Nodes(), "peer"), plural(int(w.TotalRPCs()), "RPC"), w.TotalBytes())
	if t.committed != nil {
		s += fmt.Sprintf("  %d committed", t.committed())
	}
	return s
}

// plural is "1 peer", "5 peers".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// ReplayCommand is the one-line command that re-runs exactly one run of a
// test: its package, its name, its seed.
func ReplayCommand(testName string, seed int64) string {
	name, _, _ := strings.Cut(testName, "/")
	return fmt.Sprintf("go test ./%s -run '^%s$' -seed=%d", packageDir(), name, seed)
}

// packageDir is the tested package's directory relative to the module
// root (go test runs a test binary in its package's directory).
func packageDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return filepath.ToSlash(rel)
		}
		if filepath.Dir(dir) == dir {
			return "."
		}
	}
}
