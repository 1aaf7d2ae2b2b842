// Package replay is the engine of 'lab replay': it reads a saved trace, runs the
// test its header names again with the same seed (through internal/gotool), checks
// that the run has the recorded digest, and cuts the run's timeline at the failing
// step, a step or a virtual time, for one node if asked. cmd/lab keeps the flags and
// the printing.
package replay

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"protolab/internal/gotool"
	"protolab/internal/viewer"
	"protolab/labrpc"
)

// Timeout bounds the go test run that replays a trace.
const Timeout = 15 * time.Minute

// Options say what to replay and what to show.
type Options struct {
	Trace  string // the trace file, an absolute path
	Name   string // the trace file as the user gave it, for messages
	Until  string // --until: a step (812, #812) or a virtual time (1.5s), or ""
	Node   string // --node: n2, c0 or an endpoint id, or ""
	Window int    // the last lines shown before the stop
}

// A UsageError is a replay that the command line asked for and that cannot be: a
// file that is no trace, a node or a stop the run does not have. Flag names the
// flag at fault, or is "".
type UsageError struct {
	Flag string
	Err  error
}

func (e *UsageError) Error() string {
	if e.Flag == "" {
		return e.Err.Error()
	}
	return e.Flag + ": " + e.Err.Error()
}

// Result is what a replay found; 'lab replay --json' prints it.
type Result struct {
	Package     string        `json:"package"`
	Test        string        `json:"test"`
	Seed        int64         `json:"seed"`
	Command     string        `json:"command"`
	Digest      string        `json:"digest"`
	SavedDigest string        `json:"saved_digest,omitempty"`
	Same        bool          `json:"same"` // the digests match (or the file recorded none)
	TestFailed  bool          `json:"test_failed"`
	Failure     *labrpc.Line  `json:"failure,omitempty"` // the line that stopped the run
	Stop        Stop          `json:"stop"`
	Node        *int          `json:"node,omitempty"`
	Steps       int64         `json:"steps"`
	Lines       []labrpc.Line `json:"lines"` // the window shown
	HTML        string        `json:"html,omitempty"`
	Nodes       int           `json:"-"` // the run's node count, from the header
	Kept        int           `json:"-"` // the lines up to the stop that the window is cut from
	upToStop    []labrpc.Line // every line up to the stop, for the viewer
}

// Stop is where the timeline stops.
type Stop struct {
	Step   int64  `json:"step"`
	AtNS   int64  `json:"at_ns"`
	Reason string `json:"reason"` // "failure", "until", "end"
}

// A Plan is a replay whose input has been checked, ready to run.
type Plan struct {
	o     Options
	saved *labrpc.TraceFile
	until *until
	node  *int
	args  []string
	// Command is the go test command the replay runs, as a user would type it.
	Command string
}

// Prepare reads the trace and checks the options against it, before anything runs.
func Prepare(o Options) (*Plan, error) {
	if o.Window < 1 {
		return nil, &UsageError{"", fmt.Errorf("--window must be at least 1")}
	}
	u, err := parseUntil(o.Until)
	if err != nil {
		return nil, &UsageError{"--until", err}
	}
	saved, err := ReadTraceFile(o.Trace)
	if err != nil {
		return nil, &UsageError{"", err}
	}
	if !saved.HasHeader {
		return nil, &UsageError{"", fmt.Errorf("%s does not say which run it records (no '# protolab trace' header); replay reads the traces that -simtrace and lab stress write (a live run's node traces have no seed to replay: lab cluster timeline DIR shows them)", o.Name)}
	}
	h := saved.Header
	p := &Plan{o: o, saved: saved, until: u}
	if o.Node != "" {
		n, err := parseNode(o.Node, h.Nodes)
		if err == nil && len(saved.Lines) > 0 {
			err = checkNodeInRun(o.Node, n, h.Nodes, saved.Lines)
		}
		if err != nil {
			return nil, &UsageError{"--node", err}
		}
		p.node = &n
	}
	// Checked now if the file says where the run ended, else after the run.
	if err := checkUntil(o.Until, u, saved.End); err != nil {
		return nil, &UsageError{"--until", err}
	}
	// ReadTrace has checked that the package is a directory inside the module
	// and the test a plain name; quoted too, the pattern matches that one test
	// and nothing else.
	pattern := "^" + regexp.QuoteMeta(h.Test) + "$"
	p.args = []string{"test", "./" + h.Package, "-run", pattern, "-seed=" + strconv.FormatInt(h.Seed, 10), "-count=1"}
	// A schedule a search found (docs/explore.md) is the seed and the
	// choices the harness saved beside the trace: replay both.
	if choices, err := filepath.Abs(o.Trace + ".choices"); err == nil {
		if _, err := os.Stat(choices); err == nil {
			p.args = append(p.args, "-choices="+choices)
		}
	}
	p.Command = "go " + strings.Join(p.args[:2], " ") + " -run '" + pattern + "' " + strings.Join(p.args[4:], " ")
	return p, nil
}

// Header is the saved trace's header.
func (p *Plan) Header() labrpc.TraceHeader { return p.saved.Header }

// Run runs the replay from the module root and cuts its timeline; with html, it
// also writes the run up to the stop as a viewer page there. Its error is a *UsageError when the
// options do not fit the run, and any other error when the run could not be done.
func (p *Plan) Run(ctx context.Context, root, html string) (Result, error) {
	h := p.saved.Header
	tmp, err := os.MkdirTemp("", "lab-replay-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(tmp)
	fresh := filepath.Join(tmp, "trace.jsonl")
	r := gotool.Run(ctx, root, Timeout, append(p.args, "-simtrace="+fresh)...)
	run, err := ReadTraceFile(fresh)
	if err != nil || run.End == nil {
		if r.OK() {
			return Result{}, fmt.Errorf("%s: it wrote no whole trace\n%s", p.Command, gotool.Tail(string(r.Stdout)+string(r.Stderr), 30))
		}
		return Result{}, fmt.Errorf("%s", r.Describe())
	}
	if p.node != nil {
		if err := checkNodeInRun(p.o.Node, *p.node, h.Nodes, run.Lines); err != nil {
			return Result{}, &UsageError{"--node", err}
		}
	}
	if err := checkUntil(p.o.Until, p.until, run.End); err != nil {
		return Result{}, &UsageError{"--until", err}
	}
	res := cut(run, p.saved.End, p.until, p.node, p.o.Window)
	res.Package, res.Test, res.Seed, res.Command, res.Nodes = h.Package, h.Test, h.Seed, p.Command, h.Nodes
	if html != "" {
		err := WriteViewer(html, fmt.Sprintf("%s seed=%d (replay up to step %d)", h.Test, h.Seed, res.Stop.Step),
			h.Nodes, res.upToStop, run.End.Digest, p.node)
		if err != nil {
			return Result{}, fmt.Errorf("--html: %v", err)
		}
		res.HTML = html
	}
	return res, nil
}

// cut compares a run with the saved end and cuts its lines at the stop: the
// failing step (and the rest of that step), --until, or the end. The window is
// the last lines up to the stop, without timer firings, of one node (and the
// world's) if node is not nil.
func cut(run *labrpc.TraceFile, saved *labrpc.TraceEnd, u *until, node *int, window int) Result {
	res := Result{Digest: run.End.Digest, Same: true, TestFailed: run.End.Failed, Node: node, Steps: run.End.Steps}
	if saved != nil {
		res.SavedDigest = saved.Digest
		res.Same = saved.Digest == run.End.Digest
	}
	lines := run.Lines
	res.Stop = Stop{Reason: "end"}
	if n := len(lines); n > 0 {
		res.Stop.Step, res.Stop.AtNS = lines[n-1].Step, int64(lines[n-1].At)
	}
	for i := range lines {
		if lines[i].Kind == labrpc.KindNote && strings.HasPrefix(lines[i].Text, "FAIL: ") {
			l := lines[i]
			res.Failure = &l
			res.Stop = Stop{Step: l.Step, AtNS: int64(l.At), Reason: "failure"}
			break
		}
	}
	if u != nil {
		cut := len(lines)
		for i, l := range lines {
			if u.after(l) {
				cut = i
				break
			}
		}
		lines = lines[:cut]
		res.Stop = Stop{Reason: "until"}
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
	res.upToStop = lines
	// Timer firings count in the digest but say little to a reader; the
	// timeline leaves them out, and so does the window.
	var kept []labrpc.Line
	for _, l := range lines {
		if l.Kind != labrpc.KindTimer && (node == nil || l.Node == *node || l.Node < 0) {
			kept = append(kept, l)
		}
	}
	res.Kept = len(kept)
	if len(kept) > window {
		kept = kept[len(kept)-window:]
	}
	res.Lines = kept
	if res.Lines == nil {
		res.Lines = []labrpc.Line{}
	}
	return res
}

// ReadTraceFile reads a trace file, saying which file is wrong.
func ReadTraceFile(path string) (*labrpc.TraceFile, error) {
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

// WriteViewer writes a run as the space-time viewer's HTML page at path; focus is
// a node to highlight, or nil.
func WriteViewer(path, title string, nodes int, lines []labrpc.Line, digest string, focus *int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	at := -1
	if focus != nil {
		at = *focus
	}
	bw := bufio.NewWriter(f)
	err = viewer.Write(bw, viewer.Input{Title: title, Nodes: nodes, Lines: lines, Digest: digest, Focus: at})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
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
		names[i] = labrpc.EndpointName(e, nodes)
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
