package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"protolab/internal/gotool"
	"protolab/labrpc"
)

type replayFlags struct {
	until  string
	node   string
	window int
	html   string
	json   bool
}

// replayTimeout bounds the go test run that replays a trace.
const replayTimeout = 15 * time.Minute

func newReplayFlags() (*flag.FlagSet, *replayFlags) {
	f := &replayFlags{}
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.StringVar(&f.until, "until", "", "stop the timeline at `STEP` (a step number, like 812 or #812) or TIME (a virtual time, like 1.5s or 300ms)")
	fs.StringVar(&f.node, "node", "", "show only what happened at `NODE` (n2, c0, or an endpoint id), with the world's events")
	fs.IntVar(&f.window, "window", 60, "show the last `L` trace lines before the stop")
	fs.StringVar(&f.html, "html", "", "also write the run up to the stop as a space-time diagram in `FILE` (one self-contained HTML page)")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	return fs, f
}

func helpReplay(w io.Writer) {
	fmt.Fprint(w, `usage: lab replay TRACE [--until STEP|TIME] [--node NODE] [--window L] [--html FILE] [--json]

Replay runs a saved run again and shows what happened before it went wrong.
TRACE is a trace file that a simulated test wrote with -simtrace (lab stress
saves one for each failure); its first line names the package, the test and
the seed. Replay runs

	go test ./PKG -run '^TEST$' -seed=SEED -count=1 -simtrace=...

from the module root, checks that the run has the digest the trace file
recorded (same code and same seed give the same run), and prints the per-node
timeline of the last L lines before the failing step, or before the step or
the virtual time given with --until: replaying to step N is how to travel in
time through a run. --node keeps the lines of one node (and the world's:
partitions, crashes, notes).

Replay exits with status 0 when the run replays with the recorded digest, and
1 when it does not (the code changed since the trace was saved, or something
in it depends on more than the seed) or cannot be run.

Flags:
`)
	fs, _ := newReplayFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// replayResult is what 'lab replay --json' prints.
type replayResult struct {
	Package     string        `json:"package"`
	Test        string        `json:"test"`
	Seed        int64         `json:"seed"`
	Command     string        `json:"command"`
	Digest      string        `json:"digest"`
	SavedDigest string        `json:"saved_digest,omitempty"`
	Same        bool          `json:"same"` // the digests match (or the file recorded none)
	TestFailed  bool          `json:"test_failed"`
	Failure     *labrpc.Line  `json:"failure,omitempty"` // the line that stopped the run
	Stop        stopPoint     `json:"stop"`
	Node        *int          `json:"node,omitempty"`
	Steps       int64         `json:"steps"`
	Lines       []labrpc.Line `json:"lines"` // the window shown
	HTML        string        `json:"html,omitempty"`
}

// stopPoint is where the timeline stops.
type stopPoint struct {
	Step   int64  `json:"step"`
	AtNS   int64  `json:"at_ns"`
	Reason string `json:"reason"` // "failure", "until", "end"
}

func runReplay(c *cli, args []string) int {
	fs, f := newReplayFlags()
	files, rest, code, ok := c.parseFlags("replay", fs, args)
	if !ok {
		return code
	}
	if len(files) != 1 || len(rest) > 0 {
		return c.usageError("replay", "give one trace file, like 'lab replay /tmp/TestX-seed7.txt'")
	}
	if f.window < 1 {
		return c.usageError("replay", "--window must be at least 1")
	}
	until, err := parseUntil(f.until)
	if err != nil {
		return c.usageError("replay", "--until: %v", err)
	}
	path := files[0]
	if !filepath.IsAbs(path) {
		wd, err := c.workDir()
		if err != nil {
			return c.failf("replay", "%v", err)
		}
		path = filepath.Join(wd, path)
	}
	saved, err := readTraceFile(path)
	if err != nil {
		return c.usageError("replay", "%v", err)
	}
	if !saved.HasHeader {
		return c.usageError("replay", "%s does not say which run it records (no '# protolab trace' header); replay reads the traces that -simtrace and lab stress write", files[0])
	}
	h := saved.Header
	var node *int
	if f.node != "" {
		n, err := parseNode(f.node, h.Nodes)
		if err == nil && len(saved.Lines) > 0 {
			err = checkNodeInRun(f.node, n, h.Nodes, saved.Lines)
		}
		if err != nil {
			return c.usageError("replay", "--node: %v", err)
		}
		node = &n
	}
	// Checked now if the file says where the run ended, else after the run.
	if err := checkUntil(f.until, until, saved.End); err != nil {
		return c.usageError("replay", "--until: %v", err)
	}
	var html string
	if f.html != "" {
		if html, err = c.outputFile(f.html); err != nil {
			return c.usageError("replay", "--html: %v", err)
		}
	}
	root, code, ok := c.moduleRoot("replay")
	if !ok {
		return code
	}

	tmp, err := os.MkdirTemp("", "lab-replay-")
	if err != nil {
		return c.failf("replay", "%v", err)
	}
	defer os.RemoveAll(tmp)
	fresh := filepath.Join(tmp, "trace.jsonl")
	// ReadTrace has checked that the package is a directory inside the
	// module and the test a plain name; quoted too, the pattern matches that
	// one test and nothing else.
	pattern := "^" + regexp.QuoteMeta(h.Test) + "$"
	args = []string{"test", "./" + h.Package, "-run", pattern, "-seed=" + strconv.FormatInt(h.Seed, 10), "-count=1"}
	command := "go " + strings.Join(args[:2], " ") + " -run '" + pattern + "' " + strings.Join(args[4:], " ")
	if !f.json {
		fmt.Fprintf(c.stdout, "replaying %s seed=%d: %s\n", h.Test, h.Seed, command)
	}
	r := gotool.Run(c.ctx, root, replayTimeout, append(args, "-simtrace="+fresh)...)
	run, err := readTraceFile(fresh)
	if err != nil || run.End == nil {
		if r.OK() {
			return c.failf("replay", "%s: it wrote no whole trace\n%s", command, gotool.Tail(string(r.Stdout)+string(r.Stderr), 30))
		}
		return c.failf("replay", "%s", r.Describe())
	}

	if node != nil {
		if err := checkNodeInRun(f.node, *node, h.Nodes, run.Lines); err != nil {
			return c.usageError("replay", "--node: %v", err)
		}
	}
	if err := checkUntil(f.until, until, run.End); err != nil {
		return c.usageError("replay", "--until: %v", err)
	}

	res := replayResult{Package: h.Package, Test: h.Test, Seed: h.Seed, Command: command, Digest: run.End.Digest,
		Same: true, TestFailed: run.End.Failed, Node: node, Steps: run.End.Steps}
	if saved.End != nil {
		res.SavedDigest = saved.End.Digest
		res.Same = saved.End.Digest == run.End.Digest
	}
	lines := run.Lines
	res.Stop = stopPoint{Reason: "end"}
	if n := len(lines); n > 0 {
		res.Stop.Step, res.Stop.AtNS = lines[n-1].Step, int64(lines[n-1].At)
	}
	for i := range lines {
		if lines[i].Kind == labrpc.KindNote && strings.HasPrefix(lines[i].Text, "FAIL: ") {
			l := lines[i]
			res.Failure = &l
			res.Stop = stopPoint{Step: l.Step, AtNS: int64(l.At), Reason: "failure"}
			break
		}
	}
	if until != nil {
		cut := len(lines)
		for i, l := range lines {
			if until.after(l) {
				cut = i
				break
			}
		}
		lines = lines[:cut]
		res.Stop = stopPoint{Reason: "until"}
		if cut > 0 {
			res.Stop.Step, res.Stop.AtNS = lines[cut-1].Step, int64(lines[cut-1].At)
		}
	} else if res.Failure != nil {
		// Everything up to the failing step, and the rest of that step.
		cut := len(lines)
		for i, l := range lines {
			if l.Step > res.Failure.Step {
				cut = i
				break
			}
		}
		lines = lines[:cut]
	}
	upToStop := lines
	// Timer firings count in the digest but say little to a reader; the
	// timeline leaves them out, and so does the window.
	var kept []labrpc.Line
	for _, l := range lines {
		if l.Kind != labrpc.KindTimer && (node == nil || l.Node == *node || l.Node < 0) {
			kept = append(kept, l)
		}
	}
	lines = kept
	shown := lines
	if len(shown) > f.window {
		shown = shown[len(shown)-f.window:]
	}
	res.Lines = shown
	if res.Lines == nil {
		res.Lines = []labrpc.Line{}
	}
	if html != "" {
		err := writeViewer(html, viewerInput{
			Title: fmt.Sprintf("%s seed=%d (replay up to step %d)", h.Test, h.Seed, res.Stop.Step),
			Nodes: h.Nodes, Lines: upToStop, Digest: run.End.Digest, Focus: node,
		})
		if err != nil {
			return c.failf("replay", "--html: %v", err)
		}
		res.HTML = html
	}

	if f.json {
		writeJSON(c.stdout, res)
	} else {
		printReplay(c, res, len(lines), h.Nodes)
	}
	if !res.Same {
		return exitFail
	}
	return exitOK
}

func printReplay(c *cli, res replayResult, kept, nodes int) {
	w := c.stdout
	col := colours(w)
	switch {
	case res.SavedDigest == "":
		fmt.Fprintf(w, "digest %s (the trace file recorded none to compare with)\n", res.Digest)
	case res.Same:
		fmt.Fprintf(w, "digest %s: the same run as the saved trace\n", res.Digest)
	default:
		fmt.Fprintf(w, "%s: digest %s, but the saved trace recorded %s: the code changed since it was saved, or the run depends on more than its seed\n",
			paint(col, "yellow", "NOT THE SAME RUN"), res.Digest, res.SavedDigest)
	}
	if res.Failure != nil {
		fmt.Fprintf(w, "the run %s at step %d (%s): %s\n", paint(col, "red", "FAILED"), res.Failure.Step, time.Duration(res.Failure.At), strings.TrimPrefix(res.Failure.Text, "FAIL: "))
	} else if res.TestFailed {
		fmt.Fprintln(w, "the test failed after its run (a check at the end, not in the simulator)")
	} else {
		fmt.Fprintln(w, "the test passed")
	}
	what := map[string]string{"failure": "the failing step", "until": "--until", "end": "the end of the run"}[res.Stop.Reason]
	scope := "lines"
	if res.Node != nil {
		scope = fmt.Sprintf("lines of %s (and the world's)", endpoint(*res.Node, nodes))
	}
	fmt.Fprintf(w, "\nthe last %d of %d %s up to %s, step %d at %s:\n\n", len(res.Lines), kept, scope, what, res.Stop.Step, time.Duration(res.Stop.AtNS))
	fmt.Fprint(w, labrpc.Timeline(res.Lines, nodes))
	if res.HTML != "" {
		fmt.Fprintf(w, "\nspace-time diagram: %s\n", res.HTML)
	}
}

// readTraceFile reads a trace file, saying which file is wrong.
func readTraceFile(path string) (*labrpc.TraceFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	tf, err := labrpc.ReadTrace(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return tf, nil
}

// until is where --until stops: a step, or a virtual time.
type until struct {
	step int64
	at   time.Duration
	time bool
}

// after reports whether l comes after the stop.
func (u *until) after(l labrpc.Line) bool {
	if u.time {
		return l.At > u.at
	}
	return l.Step > u.step
}

func parseUntil(s string) (*until, error) {
	if s == "" {
		return nil, nil
	}
	if n, err := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64); err == nil && n >= 0 {
		return &until{step: n}, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return &until{at: d, time: true}, nil
	}
	return nil, fmt.Errorf("%q is neither a step (812, #812) nor a virtual time (1.5s, 300ms)", s)
}

// checkUntil requires a stop within the run, if end says where it ended:
// a stop past the end would show the same as none, and hide the mistake.
func checkUntil(flag string, u *until, end *labrpc.TraceEnd) error {
	switch {
	case u == nil || end == nil:
		return nil
	case u.time && u.at > end.At:
		return fmt.Errorf("%s is past the end of the run, which ended at %v (step %d): give a time from 0 to %v, or a step from 0 to %d", flag, end.At, end.Steps, end.At, end.Steps)
	case !u.time && u.step > end.Steps:
		return fmt.Errorf("%s is past the end of the run, which ended at step %d (%v): give a step from 0 to %d, or a time from 0 to %v", flag, end.Steps, end.At, end.Steps, end.At)
	}
	return nil
}

// checkNodeInRun requires that node id takes part in the run whose lines
// are given: nodes always do; a client only if the run made it.
func checkNodeInRun(flag string, id, nodes int, lines []labrpc.Line) error {
	if id < nodes {
		return nil
	}
	seen := map[int]bool{}
	var clients []int
	for _, l := range lines {
		for _, e := range []int{l.Node, l.Peer} {
			if e >= nodes && !seen[e] {
				seen[e] = true
				clients = append(clients, e)
			}
		}
	}
	if seen[id] {
		return nil
	}
	if len(clients) == 0 {
		return fmt.Errorf("the run has no client %s, nor any client: give a node, n0 to n%d", flag, nodes-1)
	}
	slices.Sort(clients)
	names := make([]string, len(clients))
	for i, e := range clients {
		names[i] = endpoint(e, nodes)
	}
	if len(names) > 10 {
		names = append(names[:10], "...")
	}
	return fmt.Errorf("the run has no client %s: give a node (n0 to n%d) or one of its clients (%s)", flag, nodes-1, strings.Join(names, ", "))
}

// parseNode reads a node or client name as traces write it (n2, c0), or a
// bare endpoint id.
func parseNode(s string, nodes int) (int, error) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, nil
	}
	return labrpc.ParseEndpoint(s, nodes)
}

// endpoint names an endpoint as traces do: n3 for a node, c0 for the first
// client.
func endpoint(id, nodes int) string { return labrpc.EndpointName(id, nodes) }

// outputPath resolves a file name given on the command line.
func (c *cli) outputPath(name string) (string, error) {
	if filepath.IsAbs(name) {
		return name, nil
	}
	wd, err := c.workDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(wd, name), nil
}
