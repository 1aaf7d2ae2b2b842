package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"protolab/internal/replay"
	"protolab/internal/stories"
	"protolab/labrpc"
)

// demos are the demos 'lab demo' knows: internal/stories' table (tests put
// their own).
var demos = stories.Demos

// findDemo returns the demo called name.
func findDemo(name string) (stories.Demo, bool) {
	for _, d := range demos {
		if d.Name == name {
			return d, true
		}
	}
	return stories.Demo{}, false
}

func demoNames() []string {
	names := make([]string, 0, len(demos))
	for _, d := range demos {
		names = append(names, d.Name)
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
	name := stories.DefaultDemo
	if len(names) > 0 {
		name = names[0]
	}
	d, found := findDemo(name)
	if !found {
		return c.usageError("demo", "unknown demo %q%s; %s", name, didYouMean(name, demoNames()), availableDemos())
	}
	if *html == "" && !*asJSON {
		if err := d.Run(c.stdout); err != nil {
			return c.failf("demo "+name, "%v", err)
		}
		return exitOK
	}
	return recordDemo(c, d, *html, *asJSON)
}

// recordDemo runs a demo while recording the first world it builds (through
// labrpc.WatchWorlds: a demo needs nothing more than its line in the table to
// be drawn),
// then writes the viewer or the JSON.
func recordDemo(c *cli, d stories.Demo, html string, asJSON bool) int {
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
	err := d.Run(story)
	stop()
	if err != nil {
		return c.failf("demo "+d.Name, "%v", err)
	}
	if w == nil {
		return c.failf("demo "+d.Name, "the demo built no simulated world, so there is nothing to draw or record")
	}
	res := demoJSON{Demo: d.Name, Seed: w.Seed(), Nodes: w.Nodes(), Events: w.Steps(), VirtualMS: ms(w.Now()),
		Messages: w.TotalRPCs(), Bytes: w.TotalBytes(), Digest: w.Digest(), Lines: lines}
	if html != "" {
		p, err := c.outputPath(html)
		if err == nil {
			err = replay.WriteViewer(p, "lab demo "+d.Name+": "+d.Summary, w.Nodes(), lines, w.Digest(), nil)
		}
		if err != nil {
			return c.failf("demo "+d.Name, "--html: %v", err)
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

`, stories.DefaultDemo)
	if len(demos) == 0 {
		fmt.Fprintln(w, "No demo is built into this lab binary yet.")
		return
	}
	fmt.Fprintln(w, "The demos are:")
	fmt.Fprintln(w)
	for _, name := range demoNames() {
		d, _ := findDemo(name)
		label := name
		if name == stories.DefaultDemo {
			label += " (default)"
		}
		fmt.Fprintf(w, "\t%-16s %s\n", label, d.Summary)
	}
}
