package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/replay"
	"protolab/labrpc"
)

type replayFlags struct {
	until  string
	node   string
	window int
	html   string
	json   bool
}

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

func runReplay(c *cli, args []string) int {
	fs, f := newReplayFlags()
	files, rest, code, ok := c.parseFlags("replay", fs, args)
	if !ok {
		return code
	}
	if len(files) != 1 || len(rest) > 0 {
		return c.usageError("replay", "give one trace file, like 'lab replay /tmp/TestX-seed7.txt'")
	}
	path, err := c.outputPath(files[0])
	if err != nil {
		return c.failf("replay", "%v", err)
	}
	plan, err := replay.Prepare(replay.Options{Trace: path, Name: files[0], Until: f.until, Node: f.node, Window: f.window})
	if err != nil {
		return c.usageError("replay", "%v", err)
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
	if !f.json {
		h := plan.Header()
		fmt.Fprintf(c.stdout, "replaying %s seed=%d: %s\n", h.Test, h.Seed, plan.Command)
	}
	res, err := plan.Run(c.ctx, root, html)
	var usage *replay.UsageError
	switch {
	case errors.As(err, &usage):
		return c.usageError("replay", "%v", err)
	case err != nil:
		return c.failf("replay", "%v", err)
	}
	if f.json {
		writeJSON(c.stdout, res)
	} else {
		printReplay(c, res)
	}
	if !res.Same {
		return exitFail
	}
	return exitOK
}

func printReplay(c *cli, res replay.Result) {
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
		scope = fmt.Sprintf("lines of %s (and the world's)", labrpc.EndpointName(*res.Node, res.Nodes))
	}
	fmt.Fprintf(w, "\nthe last %d of %d %s up to %s, step %d at %s:\n\n", len(res.Lines), res.Kept, scope, what, res.Stop.Step, time.Duration(res.Stop.AtNS))
	fmt.Fprint(w, labrpc.Timeline(res.Lines, res.Nodes))
	if res.HTML != "" {
		fmt.Fprintf(w, "\nspace-time diagram: %s\n", res.HTML)
	}
}

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
