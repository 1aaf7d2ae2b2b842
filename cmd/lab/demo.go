package main

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// defaultDemo is the demo that 'lab demo' runs without a name.
const defaultDemo = "kvsrv"

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
	names, rest, code, ok := c.parseFlags("demo", fs, args)
	if !ok {
		return code
	}
	if len(names) > 1 || len(rest) > 0 {
		return c.usageError("demo", "give at most one demo name")
	}
	name := defaultDemo
	if len(names) == 1 {
		name = names[0]
	}
	d, found := demos[name]
	if !found {
		return c.usageError("demo", "unknown demo %q%s; %s", name, didYouMean(name, demoNames()), availableDemos())
	}
	if err := d.run(c.stdout); err != nil {
		return c.failf("demo "+name, "%v", err)
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
	fmt.Fprintf(w, `usage: lab demo [NAME]

Demo runs a short narrated scenario of a lab in the simulator, deterministically:
the same demo prints the same story every time. Without a name it runs %q.

`, defaultDemo)
	if len(demos) == 0 {
		fmt.Fprintln(w, "No demo is built into this lab binary yet.")
		return
	}
	fmt.Fprintln(w, "The demos are:")
	fmt.Fprintln(w)
	for _, name := range demoNames() {
		label := name
		if name == defaultDemo {
			label += " (default)"
		}
		fmt.Fprintf(w, "\t%-16s %s\n", label, demos[name].summary)
	}
}
