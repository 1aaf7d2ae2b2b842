package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"protolab/labrpc"
)

// 'lab demo' without a name runs Raft's demo, the course's centrepiece, and
// lab 1's until Raft has one.
const (
	preferredDemo = "raft"
	defaultDemo   = "kvsrv"
)

// defaultDemoName is the demo that 'lab demo' runs without a name.
func defaultDemoName() string {
	if _, ok := demos[preferredDemo]; ok {
		return preferredDemo
	}
	return defaultDemo
}

// A demo is a short narrated run of a lab in the simulator.
type demo struct {
	name    string
	summary string
	run     func(w io.Writer) error
}

// demos is the registry that registerDemo fills.
var demos = map[string]demo{}

// registerDemo makes a demo available to 'lab demo NAME'. Each demo registers itself
// from an init function in its own file (demo_kvsrv.go, demo_chash.go, ...); run writes
// the demo's narration to w. Registering a name twice is a programming error.
func registerDemo(name, summary string, run func(w io.Writer) error) {
	if name == "" || strings.ContainsAny(name, " \t") || run == nil {
		panic(fmt.Sprintf("lab: registerDemo(%q): a demo needs a one-word name and a run function", name))
	}
	if _, dup := demos[name]; dup {
		panic(fmt.Sprintf("lab: demo %q is registered twice; give each demo its own name", name))
	}
	demos[name] = demo{name: name, summary: summary, run: run}
}

func demoNames() []string {
	names := make([]string, 0, len(demos))
	for name := range demos {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func runDemo(c *cli, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	html := fs.String("html", "", "also write the demo's run as a space-time diagram in `FILE` (one self-contained HTML page)")
	asJSON := fs.Bool("json", false, "print the demo's run (its summary and every trace line) as JSON instead of its story")
	names, rest, code, ok := c.parseFlags("demo", fs, args)
	if !ok {
		return code
	}
	if len(names) > 1 || len(rest) > 0 {
		return c.usageError("demo", "give at most one demo name")
	}
	name := defaultDemoName()
	if len(names) == 1 {
		name = names[0]
	}
	d, found := demos[name]
	if !found {
		return c.usageError("demo", "unknown demo %q%s; %s", name, didYouMean(name, demoNames()), availableDemos())
	}
	if *html == "" && !*asJSON {
		if err := d.run(c.stdout); err != nil {
			return c.failf("demo "+name, "%v", err)
		}
		return exitOK
	}
	return recordDemo(c, d, *html, *asJSON)
}

// recordDemo runs a demo while recording the first world it builds (through
// labrpc.WatchWorlds: a demo needs nothing more than registerDemo to be drawn),
// then writes the viewer or the JSON.
func recordDemo(c *cli, d demo, html string, asJSON bool) int {
	var w *labrpc.World
	var lines []labrpc.Line
	stop := labrpc.WatchWorlds(func(nw *labrpc.World) {
		if w == nil {
			w = nw
			nw.OnTrace(func(l labrpc.Line) { lines = append(lines, l) })
		}
	})
	story := c.stdout
	if asJSON {
		story = io.Discard
	}
	err := d.run(story)
	stop()
	if err != nil {
		return c.failf("demo "+d.name, "%v", err)
	}
	if w == nil {
		return c.failf("demo "+d.name, "the demo built no simulated world, so there is nothing to draw or record")
	}
	res := demoJSON{Demo: d.name, Seed: w.Seed(), Nodes: w.Nodes(), Events: w.Steps(), VirtualMS: ms(w.Now()),
		Messages: w.TotalRPCs(), Bytes: w.TotalBytes(), Digest: w.Digest(), Lines: lines}
	if html != "" {
		p, err := c.outputPath(html)
		if err == nil {
			err = writeViewer(p, viewerInput{Title: "lab demo " + d.name + ": " + d.summary, Nodes: w.Nodes(), Lines: lines, Digest: w.Digest()})
		}
		if err != nil {
			return c.failf("demo "+d.name, "--html: %v", err)
		}
		res.HTML = p
		if !asJSON {
			fmt.Fprintf(c.stdout, "\nspace-time diagram: %s\n", p)
		}
	}
	if asJSON {
		if res.Lines == nil {
			res.Lines = []labrpc.Line{}
		}
		writeJSON(c.stdout, res)
	}
	return exitOK
}

// demoJSON is what 'lab demo --json' prints.
type demoJSON struct {
	Demo      string        `json:"demo"`
	Seed      int64         `json:"seed"`
	Nodes     int           `json:"nodes"`
	Events    int64         `json:"events"`
	VirtualMS float64       `json:"virtual_ms"`
	Messages  int64         `json:"messages"`
	Bytes     int64         `json:"bytes"`
	Digest    string        `json:"digest"`
	HTML      string        `json:"html,omitempty"`
	Lines     []labrpc.Line `json:"lines"`
}

// availableDemos says which demos there are, in one line.
func availableDemos() string {
	if len(demos) == 0 {
		return "no demo is built into this lab binary"
	}
	return "the demos are " + strings.Join(demoNames(), ", ")
}

func helpDemo(w io.Writer) {
	fmt.Fprintf(w, `usage: lab demo [NAME] [--html FILE] [--json]

Demo runs a short narrated scenario of a lab in the simulator, deterministically:
the same demo prints the same story every time. Without a name it runs %q.

With --html FILE it also writes the run as a space-time diagram: one
self-contained HTML page, one lane per node, messages as arrows. With --json
it prints the run's summary and every trace line as JSON instead of the story.

`, defaultDemoName())
	if len(demos) == 0 {
		fmt.Fprintln(w, "No demo is built into this lab binary yet.")
		return
	}
	fmt.Fprintln(w, "The demos are:")
	fmt.Fprintln(w)
	for _, name := range demoNames() {
		label := name
		if name == defaultDemoName() {
			label += " (default)"
		}
		fmt.Fprintf(w, "\t%-16s %s\n", label, demos[name].summary)
	}
}
