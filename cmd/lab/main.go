// Command lab is protolab's course tool. It runs the demos and ad-hoc simulations,
// sweeps a package's simulated tests over many seeds and replays a saved failure (with
// a space-time viewer for all three), writes a learner's skeleton from the reference
// solution and checks that every part's skeleton has the property the course needs,
// and checks that the tests catch the classic bugs. docs/instructors.md is its guide.
//
//	go run ./cmd/lab help
//
// Each subcommand lives in a file of its own; the table below lists them. Exit status:
// 0 on success, 1 when a check fails, 2 on a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"

	"protolab/internal/course"
)

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // a check failed, or the work could not be done
	exitUsage = 2 // the command line is wrong
)

// A subcommand is one verb of the tool.
type subcommand struct {
	name    string
	summary string                          // one line, for 'lab help'
	run     func(c *cli, args []string) int // returns the exit status
	help    func(w io.Writer)               // the long help, for 'lab help NAME'
}

// subcommands is the table of subcommands, in the order 'lab help' lists them. It is
// filled in init because help refers back to it.
var subcommands []subcommand

func init() {
	subcommands = []subcommand{
		{"demo", "run a demo of a lab in the simulator", runDemo, helpDemo},
		{"run", "run an ad-hoc simulation of a lab with a workload, faults and its checks", runRun, helpRun},
		{"stress", "run a package's simulated tests over many seeds in parallel", runStress, helpStress},
		{"replay", "run a saved trace's run again and show its timeline up to a step", runReplay, helpReplay},
		{"explore", "search a lab's schedules for a broken invariant (PCT, bounded search) and shrink it", runExplore, helpExplore},
		{"skeleton", "write the learner's copy up to a part, or check every part's copy", runSkeleton, helpSkeleton},
		{"mutants", "check that a package's tests catch the bugs in its mutants.txt", runMutants, helpMutants},
		{"grade", "grade a student's copy part by part over many seeds: a points table and results.json", runGrade, helpGrade},
		{"mutation", "generate bugs by operator in a package and measure how many its tests kill", runMutation, helpMutation},
		{"serve", "run one node of a lab's service as a process, on real time and TCP", runServe, helpServe},
		{"cluster", "start a local cluster of lab serve processes behind chaos proxies", runCluster, helpCluster},
		{"chaos", "partition, drop, delay, duplicate, kill or restart in a running cluster", runChaos, helpChaos},
		{"kv", "get and put on a live key/value cluster", runKV, helpKV},
		{"lock", "acquire, hold and release a lock of a live lock cluster", runLock, helpLock},
		{"help", "show help for lab or for one subcommand", runHelp, helpHelp},
	}
}

// A cli is one invocation of the tool: where it runs and where it writes. Tests build
// their own.
type cli struct {
	ctx    context.Context
	stdout io.Writer
	stderr io.Writer
	dir    string // the working directory; "" means the process's
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := (&cli{ctx: ctx, stdout: os.Stdout, stderr: os.Stderr}).run(os.Args[1:])
	stop()
	os.Exit(code)
}

// run runs the tool on its arguments (without the program name) and returns the exit
// status.
func (c *cli) run(args []string) int {
	if len(args) == 0 {
		printOverview(c.stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printOverview(c.stdout)
		return exitOK
	}
	sub := lookup(args[0])
	if sub == nil {
		return c.usageError("", "unknown subcommand %q%s", args[0], didYouMean(args[0], subcommandNames()))
	}
	return c.runSub(sub, args[1:])
}

func lookup(name string) *subcommand {
	for i := range subcommands {
		if subcommands[i].name == name {
			return &subcommands[i]
		}
	}
	return nil
}

func subcommandNames() []string {
	var names []string
	for _, s := range subcommands {
		names = append(names, s.name)
	}
	return names
}

func printOverview(w io.Writer) {
	fmt.Fprint(w, `Lab is the protolab course tool: it runs the demos and ad-hoc simulations, sweeps
simulated tests over many seeds and replays their failures, writes a learner's skeleton
from the reference solution, and checks that the tests catch the classic bugs.

Usage:

	lab <subcommand> [flags] [arguments]

The subcommands are:

`)
	for _, s := range subcommands {
		fmt.Fprintf(w, "\t%-9s %s\n", s.name, s.summary)
	}
	fmt.Fprint(w, `
Run 'lab help <subcommand>' for more about a subcommand.
`)
}

func runHelp(c *cli, args []string) int {
	switch {
	case len(args) == 0:
		printOverview(c.stdout)
		return exitOK
	case len(args) > 1:
		return c.usageError("help", "too many arguments; give one subcommand")
	}
	sub := lookup(args[0])
	if sub == nil {
		return c.usageError("", "unknown subcommand %q%s", args[0], didYouMean(args[0], subcommandNames()))
	}
	sub.help(c.stdout)
	return exitOK
}

func helpHelp(w io.Writer) {
	fmt.Fprint(w, `usage: lab help [subcommand]

Help shows the list of subcommands, or the help of one of them.
`)
}

// usageError reports a wrong command line in one line with a hint, and returns
// exitUsage. sub is the subcommand, or "" for the tool itself.
func (c *cli) usageError(sub, format string, args ...any) int {
	prog, hint := "lab", "lab help"
	if sub != "" {
		prog, hint = "lab "+sub, "lab help "+sub
	}
	fmt.Fprintf(c.stderr, "%s: %s; run '%s'\n", prog, fmt.Sprintf(format, args...), hint)
	return exitUsage
}

// failf reports an error that stops the subcommand and returns exitFail.
func (c *cli) failf(sub, format string, args ...any) int {
	fmt.Fprintf(c.stderr, "lab %s: %s\n", sub, fmt.Sprintf(format, args...))
	return exitFail
}

// parseFlags parses the arguments of a subcommand. Flags may come before or after the
// positional arguments; everything after "--" is returned apart, unparsed. When ok is
// false the caller returns code: the flags were wrong, or help was asked for.
func (c *cli) parseFlags(sub string, fs *flag.FlagSet, args []string) (positional, rest []string, code int, ok bool) {
	fs.SetOutput(io.Discard) // errors are reported below, in one line
	if i := indexOf(args, "--"); i >= 0 {
		args, rest = args[:i], args[i+1:]
	}
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				lookup(sub).help(c.stdout)
				return nil, nil, exitOK, false
			}
			return nil, nil, c.usageError(sub, "%v", err), false
		}
		args = fs.Args()
		if len(args) == 0 {
			return positional, rest, exitOK, true
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// workDir returns the directory the tool runs in.
func (c *cli) workDir() (string, error) {
	if c.dir != "" {
		return filepath.Abs(c.dir)
	}
	return os.Getwd()
}

// moduleRoot finds the root of the module the tool runs in: the nearest directory,
// from the working directory up, that has a go.mod.
func (c *cli) moduleRoot(sub string) (root string, code int, ok bool) {
	dir, err := c.workDir()
	if err != nil {
		return "", c.failf(sub, "%v", err), false
	}
	if root, ok := findModule(dir); ok {
		return root, exitOK, true
	}
	return "", c.usageError(sub, "no go.mod in %s or any directory above it; run lab inside the protolab module", dir), false
}

// findModule returns the nearest directory from dir up that has a go.mod.
func findModule(dir string) (string, bool) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

// didYouMean and listOr word the usage errors, as internal/course does.
var didYouMean, listOr = course.DidYouMean, course.ListOr

// packageDir turns a package argument (a directory, relative to the working
// directory) into a slash-separated directory relative to the module root.
func (c *cli) packageDir(root, arg string) (string, error) {
	wd, err := c.workDir()
	if err != nil {
		return "", err
	}
	return course.PackageDir(root, wd, arg)
}
