package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"protolab/internal/course"
	"protolab/internal/gotool"
)

type skeletonFlags struct {
	next     string
	upto     string // refused: it read as "solved up to"
	solution bool
	out      string
	force    bool
	check    bool
	parts    string
	timeout  time.Duration
	seeds    string
	workers  int
	noRef    bool
	json     bool
}

func newSkeletonFlags() (*flag.FlagSet, *skeletonFlags) {
	f := &skeletonFlags{}
	fs := flag.NewFlagSet("skeleton", flag.ContinueOnError)
	fs.StringVar(&f.next, "next", "", "write the copy of a student who does `PART` next: PART and every later part are stubs")
	fs.StringVar(&f.upto, "upto", "", "gone; use --next (it names the part the student does next)")
	fs.BoolVar(&f.solution, "solution", false, "write the annotated reference with its markers stripped (every part done), for reading")
	fs.StringVar(&f.out, "o", "", "write the copy into `DIR`, which must be empty (or new) and outside the module")
	fs.BoolVar(&f.force, "force", false, "write into a non-empty DIR, over its files (nothing else there is removed)")
	fs.BoolVar(&f.check, "check", false, "check the skeleton of every part instead of writing one")
	fs.StringVar(&f.parts, "parts", "", "with --check, check only these `PARTS` (comma-separated, like 1A,2B)")
	fs.DurationVar(&f.timeout, "timeout", gotool.DefaultTimeout, "with --check, the time limit of each go command (of each seed, for a sweep)")
	fs.StringVar(&f.seeds, "seeds", "1", "with --check, run the tests that must pass over `K` seeds (go test -seeds=K); K,PKG=N,... sets N for the package in directory PKG")
	fs.BoolVar(&f.noRef, "no-reference", false, "with --check, leave out the reference's sweep on each package's last part (for a run whose reference lab stress has swept at the same commit)")
	fs.IntVar(&f.workers, "workers", 1, "with --check, check `N` parts at once, each in a copy of its own")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	return fs, f
}

func helpSkeleton(w io.Writer) {
	fmt.Fprintf(w, `usage: lab skeleton --next PART -o DIR [--force] [--json]
       lab skeleton --solution -o DIR [--force] [--json]
       lab skeleton --check [--parts 1A,2B,...] [--seeds K[,PKG=N...]] [--workers N] [--timeout D] [--no-reference] [--json]

The repository is the reference solution; the solution markers in its Go files say
which part each piece of code belongs to and what the learner gets instead
(docs/markers.md). Skeleton runs there, and only there: a learner's copy has no
solution regions, and refuses it.

With --next PART and -o DIR, skeleton writes the repository a student starts PART
with: every region of PART or a later part is replaced by its stub, every region of an
earlier part keeps its solution, and every marker line is removed. The copy leaves out
the instructors' files (every mutants.txt, docs/instructors.md, docs/markers.md,
grading.json, the reference's CI, the tool's own tests) and gets its own README.md and
Makefile (make test, make demo) and a %s file that tells the tool it is a
learner's copy. Before writing, skeleton searches every file of the copy for the lines
of the stubbed regions and refuses to write one that holds any. DIR is then made a git
repository with one commit (unless it already is one).

With --solution and -o DIR, it writes the same kind of copy with every part done: the
annotated reference with its markers stripped, for reading.

DIR is resolved, symbolic links included, and refused if it is inside the module or
contains it, or if it is not empty (unless --force). Skeleton never writes through a
symbolic link inside DIR.

With --check, skeleton checks, for each part P that has a package directory and at
least one region, that in the skeleton with P next:
  - go build ./... and go vet ./... pass;
  - the tests of the earlier parts in P's package pass, over K seeds (--seeds);
  - the tests of P (test names ending in P) exist and fail;
  - for the last part of a package, the reference passes the tests of every
    part of the package over K seeds (--no-reference leaves this out, for a
    run whose reference 'lab stress' has swept at the same commit).
It prints a table and exits with status 1 if any row is wrong.

The parts, in course order: %s.

Flags:
`, course.LearnerFile, strings.Join(course.Default.Names(), " "))
	fs, _ := newSkeletonFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runSkeleton(c *cli, args []string) int {
	fs, f := newSkeletonFlags()
	positional, rest, code, ok := c.parseFlags("skeleton", fs, args)
	if !ok {
		return code
	}
	if len(positional) > 0 || len(rest) > 0 {
		return c.usageError("skeleton", "unexpected argument %q; the part and the directory go in --next and -o", append(positional, rest...)[0])
	}
	if f.upto != "" {
		return c.usageError("skeleton", "--upto is gone, since it read as \"solved up to\"; say which part the student does next: --next %s (%s and every later part are stubs)", f.upto, f.upto)
	}
	if f.check {
		if f.next != "" || f.solution || f.out != "" || f.force {
			return c.usageError("skeleton", "--check writes no copy, so it takes no --next, --solution, -o or --force")
		}
		var parts []course.Part
		if f.parts != "" {
			var err error
			if parts, err = course.Default.ParseParts(f.parts); err != nil {
				return c.usageError("skeleton", "--parts: %v", err)
			}
		}
		if f.timeout <= 0 {
			return c.usageError("skeleton", "--timeout must be positive")
		}
		seeds, seedsFor, err := course.ParseSeeds(f.seeds)
		if err != nil {
			return c.usageError("skeleton", "--seeds %v", err)
		}
		if f.workers < 1 {
			return c.usageError("skeleton", "--workers %d: give at least 1 (the number of parts checked at once)", f.workers)
		}
		return checkSkeleton(c, parts, f.timeout, seeds, seedsFor, f.workers, f.noRef, f.json)
	}
	switch {
	case f.parts != "":
		return c.usageError("skeleton", "--parts goes with --check")
	case f.next != "" && f.solution:
		return c.usageError("skeleton", "give --next PART or --solution, not both")
	case (f.next == "" && !f.solution) || f.out == "":
		return c.usageError("skeleton", "give --next PART and -o DIR, --solution and -o DIR, or --check")
	}
	next := course.SolutionNext
	if !f.solution {
		if _, err := course.Default.Lookup(f.next); err != nil {
			return c.usageError("skeleton", "--next: %v", err)
		}
		next = f.next
	}
	return writeSkeleton(c, f, next)
}

func writeSkeleton(c *cli, f *skeletonFlags, next string) int {
	root, code, ok := c.moduleRoot("skeleton")
	if !ok {
		return code
	}
	wd, err := c.workDir()
	if err != nil {
		return c.failf("skeleton", "%v", err)
	}
	cp, err := course.WriteCopy(course.CopyOptions{Root: root, Out: f.out, Dir: wd, Next: next, Force: f.force})
	var usage *course.CopyUsageError
	switch {
	case errors.As(err, &usage):
		return c.usageError("skeleton", "%v", err)
	case err != nil:
		return c.failf("skeleton", "%v", err)
	}
	stats := cp.Stats
	if f.json {
		res := map[string]any{"next": next, "out": cp.Out, "files": stats.Files, "rewritten": stats.Rewritten,
			"stubbed": stats.Stubbed, "kept": stats.Kept, "left_out": stats.Left, "searched_lines": stats.Searched, "git": cp.Git}
		if cp.GitErr != nil {
			res["git_error"] = cp.GitErr.Error()
		}
		writeJSON(c.stdout, res)
		return exitOK
	}
	fmt.Fprintf(c.stdout, "wrote the copy %s into %s: %d files, %d with markers (%d regions stubbed, %d kept), %d instructors' files left out\n",
		cp.Purpose, cp.Out, stats.Files, stats.Rewritten, stats.Stubbed, stats.Kept, stats.Left)
	fmt.Fprintf(c.stdout, "searched it for %d lines of the stubbed solution: none there\n", stats.Searched)
	switch {
	case cp.GitErr != nil:
		fmt.Fprintf(c.stdout, "note: %v\n", cp.GitErr)
	case cp.Git:
		fmt.Fprintln(c.stdout, "made it a git repository with one commit")
	default:
		fmt.Fprintln(c.stdout, "it already was a git repository: the files were written over, and nothing was committed")
	}
	fmt.Fprintf(c.stdout, "try it: cd %s && make test\n", cp.Out)
	return exitOK
}

func checkSkeleton(c *cli, parts []course.Part, timeout time.Duration, seeds int, seedsFor map[string]int, workers int, noReference bool, asJSON bool) int {
	root, code, ok := c.moduleRoot("skeleton")
	if !ok {
		return code
	}
	const row = "%-5s %-18s %-34s %-24s %-34s %s\n"
	header := false
	res, err := course.CheckSkeleton(c.ctx, course.CheckOptions{
		Root:        root,
		Course:      course.Default,
		Parts:       parts,
		Timeout:     timeout,
		Seeds:       seeds,
		SeedsFor:    seedsFor,
		Workers:     workers,
		NoReference: noReference,
		Report: func(r course.CheckRow) {
			if asJSON {
				return
			}
			if !header {
				fmt.Fprintf(c.stdout, row, "part", "build+vet", "earlier parts pass", "part fails", "reference passes (last part)", "time")
				header = true
			}
			if r.NotRun != "" {
				fmt.Fprintf(c.stdout, row, r.Part.Name, "NOT CHECKED: "+r.NotRun, "", "", "", "")
				return
			}
			fmt.Fprintf(c.stdout, row, r.Part.Name, r.BuildVet.Summary, r.Earlier.Summary, r.PartFails.Summary, r.Reference.Summary,
				r.Elapsed.Round(100*time.Millisecond))
		},
	})
	if err != nil {
		return c.failf("skeleton", "%v", err)
	}
	if asJSON {
		writeJSON(c.stdout, res.Report())
		if !res.OK() {
			return exitFail
		}
		return exitOK
	}
	if len(res.Skipped) > 0 {
		var names []string
		for _, p := range res.Skipped {
			names = append(names, p.Name)
		}
		fmt.Fprintf(c.stdout, "not checked (no package directory or no region yet): %s\n", strings.Join(names, " "))
	}
	if len(res.Rows) == 0 {
		fmt.Fprintln(c.stdout, "no part has solution regions yet; nothing to check")
		return exitOK
	}
	bad := 0
	for _, r := range res.Rows {
		if r.OK() {
			continue
		}
		bad++
		fmt.Fprintf(c.stdout, "\n--- %s: ", r.Part.Name)
		if r.NotRun != "" {
			fmt.Fprintf(c.stdout, "not checked: %s\n", r.NotRun)
			continue
		}
		fmt.Fprintf(c.stdout, "to look at this skeleton: lab skeleton --next %s -o DIR\n", r.Part.Name)
		for _, s := range []course.Step{r.BuildVet, r.Earlier, r.PartFails, r.Reference} {
			if s.Status == course.StepFailed {
				fmt.Fprint(c.stdout, s.Detail)
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(c.stdout, "\n%d of %d parts FAIL the skeleton check\n", bad, len(res.Rows))
		return exitFail
	}
	fmt.Fprintf(c.stdout, "all %d parts pass the skeleton check\n", len(res.Rows))
	return exitOK
}
