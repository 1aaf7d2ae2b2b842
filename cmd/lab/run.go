package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"protolab/internal/replay"
	"protolab/internal/stories"
	"protolab/labrpc"
)

// 'lab run' runs an ad-hoc simulation of a lab: a cluster, a workload, a
// fault profile, the lab's invariant checks, and a summary. The labs' runners
// are internal/stories' table; this file is the plumbing: flags, limits,
// summary.

// runners are the runners 'lab run' knows: internal/stories' table (tests put
// their own).
var runners = stories.Runners

// findRunner returns the runner called name.
func findRunner(name string) (stories.Runner, bool) {
	for _, r := range runners {
		if r.Name == name {
			return r, true
		}
	}
	return stories.Runner{}, false
}

func runnerNames() []string {
	var names []string
	for _, r := range runners {
		names = append(names, r.Name)
	}
	sort.Strings(names)
	return names
}

type runFlags struct {
	nodes  int
	seed   int64
	faults string
	dur    time.Duration
	load   float64
	html   string
	json   bool
	engine string
}

func newRunFlags() (*flag.FlagSet, *runFlags) {
	f := &runFlags{}
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.IntVar(&f.nodes, "nodes", 0, "the number of nodes (default: the lab's own)")
	fs.Int64Var(&f.seed, "seed", 1, "the simulation `SEED`")
	fs.StringVar(&f.faults, "faults", "reliable", "the network `PROFILE`, with nemesis faults after a +: unreliable+partitions+crashes")
	fs.DurationVar(&f.dur, "for", 10*time.Second, "run the workload for `DURATION` of virtual time")
	fs.Float64Var(&f.load, "load", 0, "offer `OPS/S` operations per second of virtual time (default: the lab's own)")
	fs.StringVar(&f.html, "html", "", "also write the run as a space-time diagram in `FILE` (one self-contained HTML page)")
	fs.BoolVar(&f.json, "json", false, "print the summary as JSON")
	fs.StringVar(&f.engine, "engine", "", "the consensus `ENGINE` a service runs on: raft or paxos (default: the lab's first)")
	return fs, f
}

func helpRun(w io.Writer) {
	fmt.Fprint(w, `usage: lab run PROTOCOL [--nodes N] [--seed S] [--faults PROFILE] [--for DURATION]
               [--load OPS/S] [--engine ENGINE] [--html FILE] [--json]

Run runs an ad-hoc simulation of a lab: a cluster of N nodes, a workload of
clients offering OPS/S operations per second of virtual time for DURATION, the
network behaving as PROFILE, and the lab's invariant checks. It prints a
summary (messages, bytes, what the lab counts, such as operations, commits or
elections, operation latency p50/p99 in virtual time) and the trace digest:
the same flags give the same run, and the same digest, every time.

PROFILE is a network profile, optionally followed by nemesis faults, each
after a "+":
	profiles: `+strings.Join(labrpc.ProfileNames(), ", ")+`
	faults:   partitions (random majority/minority splits), crashes (crash
	          and restart nodes, a minority at a time), outages (cut one node
	          off for 100ms to 1s, one at a time); the nemesis draws them
	          over the first 80% of DURATION, then undoes what it did
like "unreliable+partitions+crashes". A lab accepts the faults it survives.

A service of lab 6 runs on either consensus engine: --engine raft (the
default) or --engine paxos (Multi-Paxos), as in 'lab run kv --engine paxos'.

Every run ends: --for is at most 1h of virtual time, --load at most 10000
ops/s (or the lab's own bound, below) and --load × --for between 1 and 20000
operations; a flag past its limit is refused before the run starts.

Run exits with status 1 if an invariant check fails.

`)
	if len(runners) == 0 {
		fmt.Fprintln(w, "No lab has a runner in this lab binary yet.")
	} else {
		fmt.Fprintln(w, "The labs:")
		fmt.Fprintln(w)
		for _, name := range runnerNames() {
			r, _ := findRunner(name)
			faults := "none"
			if len(r.Faults) > 0 {
				faults = strings.Join(r.Faults, ", ")
			}
			bound := ""
			if r.MaxLoad > 0 {
				bound = fmt.Sprintf(" (at most %g)", r.MaxLoad)
			}
			engines := ""
			if len(r.Engines) > 0 {
				engines = "; engines: " + strings.Join(r.Engines, ", ")
			}
			fmt.Fprintf(w, "\t%-8s %s\n\t         (default %d nodes, %g ops/s%s; faults: %s%s)\n", name, r.Summary, r.Nodes, r.Load, bound, faults, engines)
		}
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs, _ := newRunFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runRun(c *cli, args []string) int {
	fs, f := newRunFlags()
	names, rest, code, ok := c.parseFlags("run", fs, args)
	if !ok {
		return code
	}
	if len(names) != 1 || len(rest) > 0 {
		return c.usageError("run", "give one protocol, like 'lab run kvsrv'; %s", listOr(runnerNames(), "the protocols are ", "no lab has a runner yet"))
	}
	rn, found := findRunner(names[0])
	if !found {
		return c.usageError("run", "no runner for %q%s; %s", names[0], didYouMean(names[0], runnerNames()), listOr(runnerNames(), "the protocols are ", "no lab has a runner yet"))
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	cfg, err := rn.Configure(f.request(set))
	if err != nil {
		return c.usageError("run", "%v", err)
	}
	nodes := cfg.Nodes
	var html string
	if f.html != "" {
		if html, err = c.outputFile(f.html); err != nil {
			return c.usageError("run", "--html: %v", err)
		}
	}

	var recorded []labrpc.Line
	stop := labrpc.WatchWorlds(func(w *labrpc.World) {
		if html != "" {
			w.OnTrace(func(l labrpc.Line) { recorded = append(recorded, l) })
		}
	})
	start := time.Now()
	r := rn.Execute(labrpc.Config{Seed: f.seed, Nodes: nodes, Profile: cfg.Profile, KeepTrace: 200, MaxTime: f.dur + stories.SettleBudget}, f.dur, cfg)
	wall := time.Since(start)
	stop()
	name := rn.Name
	if cfg.Engine != "" {
		name += " --engine " + cfg.Engine
	}
	sum := r.Summarize(name, f.faults, wall)
	if html != "" {
		title := fmt.Sprintf("lab run %s --nodes %d --seed %d --faults %s --for %v", name, nodes, f.seed, f.faults, f.dur)
		err := replay.WriteViewer(html, title, nodes, recorded, sum.Digest, nil)
		if err != nil {
			return c.failf("run", "--html: %v", err)
		}
		sum.HTML = html
	}
	if f.json {
		writeJSON(c.stdout, sum)
	} else {
		printRunSummary(c.stdout, sum)
	}
	if !sum.OK {
		return exitFail
	}
	return exitOK
}

// request is what the flags ask of a runner; set holds the names of the flags given.
func (f *runFlags) request(set map[string]bool) stories.Request {
	return stories.Request{Nodes: f.nodes, NodesSet: set["nodes"], Load: f.load, LoadSet: set["load"], For: f.dur, Faults: f.faults, Engine: f.engine}
}

// outputFile resolves a file name given on the command line and checks,
// before any run, that the file can be written: a run that cannot save its
// result is found out at once, not after minutes.
func (c *cli) outputFile(name string) (string, error) {
	p, err := c.outputPath(name)
	if err != nil {
		return "", err
	}
	info, statErr := os.Stat(p)
	if statErr == nil && info.IsDir() {
		return "", fmt.Errorf("%s is a directory: give a file name, like %s", name, filepath.Join(name, "run.html"))
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return "", fmt.Errorf("cannot write %s (%v): give a file in a directory that exists and that you may write to", name, pathErr(err))
	}
	f.Close()
	if statErr != nil {
		os.Remove(p) // written at the end of the run; until then, no empty file
	}
	return p, nil
}

// outputDir resolves a directory given on the command line and checks,
// before any run, that files can be written in it; a missing one is made
// (and removed again, to be made when there is something to put in it).
func (c *cli) outputDir(name string) (string, error) {
	p, err := c.outputPath(name)
	if err != nil {
		return "", err
	}
	info, statErr := os.Stat(p)
	if statErr == nil && !info.IsDir() {
		return "", fmt.Errorf("%s is a file: give a directory (one that does not exist is made)", name)
	}
	if statErr != nil {
		if err := os.MkdirAll(p, 0o755); err != nil {
			return "", fmt.Errorf("cannot make the directory %s (%v): give a directory you may write to", name, pathErr(err))
		}
		defer os.Remove(p)
	}
	f, err := os.CreateTemp(p, ".lab-check-")
	if err != nil {
		return "", fmt.Errorf("cannot write in %s (%v): give a directory you may write to", name, pathErr(err))
	}
	f.Close()
	os.Remove(f.Name())
	return p, nil
}

// pathErr is the cause of a file system error, without the path that the
// message around it gives already.
func pathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func printRunSummary(w io.Writer, s stories.Summary) {
	col := colours(w)
	nodes := fmt.Sprintf("%d nodes", s.Nodes)
	if s.Nodes == 1 {
		nodes = "1 node"
	}
	fmt.Fprintf(w, "lab run %s: %s, seed %d, faults %s, %v of virtual time, %g ops/s offered\n\n",
		s.Protocol, nodes, s.Seed, s.Faults, time.Duration(s.ForMS*float64(time.Millisecond)), s.Load)
	row := func(name, format string, args ...any) {
		fmt.Fprintf(w, "  %-18s %s\n", name, fmt.Sprintf(format, args...))
	}
	row("messages", "%d RPCs", s.Messages)
	row("bytes", "%d", s.Bytes)
	for _, c := range s.Counts {
		row(c.Name, "%d", c.Value)
	}
	if s.Operations > 0 {
		row("latency p50/p99", "%s / %s (%d operations, virtual time)", fmtMS(s.P50MS), fmtMS(s.P99MS), s.Operations)
	}
	row("events", "%d", s.Events)
	row("virtual time", "%s in %s of wall time (%.1f simsec/s)", fmtMS(s.VirtualMS), fmtMS(s.WallMS), s.SimSecPerS)
	row("trace digest", "%s", s.Digest)
	if len(s.Checks) > 0 {
		fmt.Fprintln(w, "\nchecks")
		for _, ch := range s.Checks {
			if ch.OK {
				row(ch.Name, "%s", paint(col, "green", "ok"))
			} else {
				row(ch.Name, "%s: %s", paint(col, "red", "FAIL"), ch.Error)
			}
		}
	}
	if s.HTML != "" {
		fmt.Fprintf(w, "\nspace-time diagram: %s\n", s.HTML)
	}
}
