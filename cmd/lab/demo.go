package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"protolab/internal/replay"
	"protolab/internal/stories"
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

// recordDemo runs a demo while recording its world, then writes the viewer or
// the JSON.
func recordDemo(c *cli, d stories.Demo, html string, asJSON bool) int {
	story := c.stdout
	if asJSON {
		story = io.Discard
	}
	res, err := d.Record(story)
	if err != nil {
		return c.failf("demo "+d.Name, "%v", err)
	}
	if html != "" {
		p, err := c.outputPath(html)
		if err == nil {
			err = replay.WriteViewer(p, "lab demo "+d.Name+": "+d.Summary, res.Nodes, res.Lines, res.Digest, nil)
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
		writeJSON(c.stdout, res)
	}
	return exitOK
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
