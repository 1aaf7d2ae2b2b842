package main

import (
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"protolab/internal/course"
	"protolab/internal/stories"
)

// instructorOnly are the subcommands that need the reference solution (its solution
// regions, its mutants, its grading configuration). A learner's copy has none of
// those, so there they are refused with a word, instead of "succeeding" with nothing.
var instructorOnly = map[string]string{
	"skeleton": "writes learners' copies from the solution regions",
	"mutants":  "checks the tests against the mutants files",
	"mutation": "mutates the solution regions",
	"grade":    "grades a student's copy",
}

// runSub runs a subcommand: in a learner's copy it refuses the instructor's
// subcommands, and when a demo fails there, it says which part the demo needs.
func (c *cli) runSub(sub *subcommand, args []string) int {
	info, _, inCopy := c.learnerCopy()
	if !inCopy {
		return sub.run(c, args)
	}
	if what, ok := instructorOnly[sub.name]; ok && !isHelp(args) {
		fmt.Fprintf(c.stderr, "lab %s: this is a learner's copy of protolab (%s marks it; it has no solution regions), and %s: "+
			"'lab %s' %s, so it runs in the instructor's reference repository. Here you have: %s; run 'lab help'\n",
			sub.name, course.LearnerFile, nextWords(info), sub.name, what, strings.Join(learnerSubcommands(), ", "))
		return exitUsage
	}
	if sub.name == "help" && len(args) == 0 {
		printLearnerOverview(c.stdout, info)
		return exitOK
	}
	if sub.name != "demo" {
		return sub.run(c, args)
	}
	return c.runDemoInCopy(sub, args, info)
}

// runDemoInCopy runs a demo in a learner's copy. When it fails, or panics on a stub,
// it says which part the demo needs, since before that part is done it cannot work.
func (c *cli) runDemoInCopy(sub *subcommand, args []string, info course.LearnerInfo) (code int) {
	name := stories.DefaultDemo
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			name = a
			break
		}
	}
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(c.stderr, "lab demo %s: panic: %v\n%s", name, r, debug.Stack())
			code = exitFail
		}
		switch {
		case code == exitFail:
			if hint := course.DemoHint(name); hint != "" {
				fmt.Fprintln(c.stderr, hint)
			}
		case code == exitOK && !course.DemoDone(name, info.Next):
			// Stubs can run without failing and tell another story.
			fmt.Fprintf(c.stderr, "note: this copy was written with part %s next. %s\n", info.Next, course.DemoHint(name))
		}
	}()
	return sub.run(c, args)
}

// learnerCopy reports whether the tool runs in a learner's copy: the module root (the
// nearest directory up with a go.mod) holds course.LearnerFile.
func (c *cli) learnerCopy() (info course.LearnerInfo, root string, ok bool) {
	dir, err := c.workDir()
	if err != nil {
		return info, "", false
	}
	if root, found := findModule(dir); found {
		info, ok, _ = course.ReadLearnerInfo(root)
		return info, root, ok
	}
	return info, "", false
}

func nextWords(info course.LearnerInfo) string {
	if info.Next == "" || info.Next == course.SolutionNext {
		return "every part is done in it"
	}
	return "it was written with part " + info.Next + " next"
}

// learnerSubcommands are the subcommands a learner's copy offers.
func learnerSubcommands() []string {
	var names []string
	for _, s := range subcommands {
		if _, instr := instructorOnly[s.name]; !instr {
			names = append(names, s.name)
		}
	}
	return names
}

func isHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// printLearnerOverview is 'lab help' in a learner's copy: the subcommands it offers.
func printLearnerOverview(w io.Writer, info course.LearnerInfo) {
	fmt.Fprintf(w, `Lab is the protolab course tool. In your copy (%s) it runs the demos and ad-hoc
simulations, sweeps simulated tests over many seeds, replays their failures, and draws
any of them in the space-time viewer (--html FILE).

Usage:

	lab <subcommand> [flags] [arguments]

The subcommands are:

`, nextWords(info))
	for _, s := range subcommands {
		if _, instr := instructorOnly[s.name]; !instr {
			fmt.Fprintf(w, "\t%-9s %s\n", s.name, s.summary)
		}
	}
	fmt.Fprint(w, `
Run 'lab help <subcommand>' for more about a subcommand. The instructor's subcommands
(skeleton, mutants, mutation, grade) need the reference solution, and are not here.
`)
}
