package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"protolab/internal/course"
)

type mutationFlags struct {
	all       bool
	list      bool
	ops       string
	sample    int
	workers   int
	timeout   time.Duration
	survivors string
	with      string
	whole     bool
	verbose   bool
}

func newMutationFlags() (*flag.FlagSet, *mutationFlags) {
	f := &mutationFlags{}
	fs := flag.NewFlagSet("mutation", flag.ContinueOnError)
	fs.BoolVar(&f.all, "all", false, "mutate every lab package, then tests and tests/replog")
	fs.BoolVar(&f.list, "list", false, "list the mutants instead of running them")
	fs.StringVar(&f.ops, "ops", "", "only the operators in the comma-separated `LIST` (default: all of them)")
	fs.IntVar(&f.sample, "sample", 0, "run only `N` mutants per package, spread evenly over the list (0: all)")
	fs.IntVar(&f.workers, "workers", 2, "module copies running mutants in parallel")
	fs.DurationVar(&f.timeout, "timeout", 0, "the time limit of each test on a mutant (default: three times the test's baseline plus 10s; with --whole, of the whole suite, default twice the baseline plus 30s)")
	fs.StringVar(&f.with, "with", "", "also run the tests of the comma-separated packages `PKGS` on each mutant (default: raft,paxos for tests/replog, none otherwise; \"-\" for none)")
	fs.BoolVar(&f.whole, "whole", false, "run the whole suite on each mutant in one go test, in file order (the mode before the selective one, kept to compare verdicts and times)")
	fs.BoolVar(&f.verbose, "verbose", false, "print every mutant's verdict with where its time went (build, tests, how many tests ran)")
	fs.StringVar(&f.survivors, "survivors", "", "write each package's survivors to `DIR`/survivors-PKG.txt")
	return fs, f
}

func helpMutation(w io.Writer) {
	fmt.Fprintf(w, `usage: lab mutation PKG... [flags] [-- go test flags]
       lab mutation --all [flags] [-- go test flags]

Mutation generates small bugs by operator, everywhere they apply in the code a learner
writes (the solution lines of //lab:solution regions; in a package without regions,
such as tests/ and tests/replog, every function body), and runs the package's tests on
each. Where mutants.txt holds the bugs someone thought of, mutation finds the ones
nobody did. The operators (each changes one token or one statement):

	boundary      < and <=, > and >= swapped
	equality      == and != swapped
	logical       && and || swapped
	negate        the condition of an if or a for negated
	off-by-one    an integer literal in an expression one less (0 becomes 1)
	inc-dec       ++ and --, += and -= swapped
	drop-stmt     a call, an assignment, an increment, a send or a defer removed
	drop-return   a return removed (never the one that ends a function)

Calls that only log, format or assert (Logf, Sprintf, Errorf, panic, ...) are not
mutated. With --with, the tests of other packages run on each mutant too (and count for its
coverage): tests/replog's scenarios run only in raft's and paxos's tests, so they are
its default. The module is copied once per worker (--workers, 2 by default); the source
tree is never written, so an interrupted run leaves it as it was.

The baseline runs each top-level test alone, without mutants, with its own coverage
profile of the package. A mutant then runs only the tests that execute its line (the
tests are deterministic, so the others cannot fail on it); a mutant on a line no test
runs is "not covered" and not run. Its test binaries are built (go test -c; vet, which
go test runs, only for logical and equality mutants, the only ones its checks can
refuse) and its tests run one at a time, the ones that killed the latest
mutants of the same file first, then the fastest first, each with a limit of three
times its baseline plus 10s; the first failure ends the mutant. With --whole, each
mutant instead runs
	go test ./PKG -count=1 -failfast -json -timeout=T [go test flags]
the whole suite in file order (T: twice the baseline plus 30s); the verdicts are the
same, only slower. A mutant is killed (a test failed), timed out, not viable (it does
not compile, or vet refuses it) or SURVIVED. Flags after -- are go test's (-run,
-skip, -short) or the tests' own (-seed=N). For each package mutation prints those
counts, the score (killed and timed out over killed, timed out, survived and not
covered), where the time went, and every survivor with
file:line and the mutated text; docs/mutation.md triages them. The exit status is 0
when the runs complete, whatever they find.

Flags:
`)
	fs, _ := newMutationFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runMutation(c *cli, args []string) int {
	flags, f := newMutationFlags()
	pkgs, extra, code, ok := c.parseFlags("mutation", flags, args)
	if !ok {
		return code
	}
	switch {
	case f.all && len(pkgs) > 0:
		return c.usageError("mutation", "give packages or --all, not both")
	case !f.all && len(pkgs) == 0:
		return c.usageError("mutation", "give a package, like 'lab mutation raft', or --all")
	case f.list && len(extra) > 0:
		return c.usageError("mutation", "--list runs no test, so it takes no go test flags")
	case f.workers < 1:
		return c.usageError("mutation", "--workers must be at least 1")
	case f.sample < 0:
		return c.usageError("mutation", "--sample must be 0 (all) or more")
	case f.timeout < 0:
		return c.usageError("mutation", "--timeout must be positive")
	}
	var ops []string
	if f.ops != "" {
		for _, op := range strings.Split(f.ops, ",") {
			op = strings.TrimSpace(op)
			if !slices.Contains(course.Operators, op) {
				return c.usageError("mutation", "unknown operator %q%s; the operators are %s", op, didYouMean(op, course.Operators), strings.Join(course.Operators, ", "))
			}
			ops = append(ops, op)
		}
	}
	root, code, ok := c.moduleRoot("mutation")
	if !ok {
		return code
	}
	if f.all {
		pkgs = course.MutationPackages(root, course.Default)
	} else {
		for i, p := range pkgs {
			dir, err := c.packageDir(root, p)
			if err != nil {
				return c.usageError("mutation", "%v", err)
			}
			pkgs[i] = dir
		}
	}

	status := exitOK
	var rows []course.MutationSummary
	for i, pkg := range pkgs {
		if i > 0 {
			fmt.Fprintln(c.stdout)
		}
		mutants, scope, err := course.GenerateMutants(root, pkg, course.Default, ops)
		if err != nil {
			c.failf("mutation", "%s: %v", pkg, err)
			status = exitFail
			continue
		}
		chosen := course.Sample(mutants, f.sample)
		if f.list {
			fmt.Fprintf(c.stdout, "%s: %d mutants in %s\n", pkg, len(mutants), scope)
			for _, m := range chosen {
				fmt.Fprintf(c.stdout, "  %-40s %s\n", fmt.Sprintf("%s:%d", m.File, m.Line), m.Describe())
			}
			continue
		}
		row, err := runPackageMutation(c, root, pkg, scope, len(mutants), chosen, f, extra)
		if err != nil {
			c.failf("mutation", "%s: %v", pkg, err)
			status = exitFail
			if c.ctx.Err() != nil {
				return status
			}
			continue
		}
		rows = append(rows, row)
	}
	if len(rows) > 1 {
		fmt.Fprintln(c.stdout)
		printMutationTable(c.stdout, rows)
	}
	return status
}

func runPackageMutation(c *cli, root, pkg string, scope course.MutationScope, generated int, mutants []course.OpMutant, f *mutationFlags, extra []string) (course.MutationSummary, error) {
	row := course.MutationSummary{Pkg: pkg, Generated: generated, Run: len(mutants)}
	with := course.DefaultWith(pkg)
	switch f.with {
	case "":
	case "-":
		with = nil
	default:
		with = nil
		for _, w := range strings.Split(f.with, ",") {
			dir, err := c.packageDir(root, strings.TrimSpace(w))
			if err != nil {
				return row, err
			}
			with = append(with, dir)
		}
	}
	sampled := ""
	if len(mutants) < generated {
		sampled = fmt.Sprintf(", %d of them sampled", len(mutants))
	}
	also := ""
	if len(with) > 0 {
		also = " and of " + strings.Join(with, ", ")
	}
	fmt.Fprintf(c.stdout, "%s: %d mutants in %s%s; running the tests of %s%s without them, with coverage...\n", pkg, generated, scope, sampled, pkg, also)
	start := time.Now()
	done := 0
	run, err := course.RunMutation(c.ctx, course.MutationOptions{
		Root: root, Pkg: pkg, With: with, Mutants: mutants, Workers: f.workers, Timeout: f.timeout, ExtraArgs: extra, Whole: f.whole,
		Report: func(r course.MutationResult) {
			done++
			if f.verbose {
				failed := ""
				if len(r.Failed) > 0 {
					failed = " by " + r.Failed[0]
				}
				fmt.Fprintf(c.stdout, "  %-11s %s%s  (%v: build %v, %d tests %v)\n", r.Status, r.Mutant.ID(), failed,
					r.Elapsed.Round(10*time.Millisecond), r.Build.Round(10*time.Millisecond), r.TestsRun, r.Tests.Round(10*time.Millisecond))
			} else if r.Status == course.Survived || r.Status == course.TimedOut {
				fmt.Fprintf(c.stdout, "  %-9s %s:%d  %s\n", r.Status, r.Mutant.File, r.Mutant.Line, r.Mutant.Describe())
			}
			if done%50 == 0 {
				fmt.Fprintf(c.stdout, "  ... %d of %d done (%v)\n", done, len(mutants), time.Since(start).Round(time.Second))
			}
		},
	})
	elapsed := time.Since(start)
	if err != nil {
		return row, err
	}
	row = run.Summarize(pkg, generated)
	row.Elapsed = elapsed
	if len(row.Survivors) > 0 {
		fmt.Fprintf(c.stdout, "survivors of %s (file:line operator: before => after):\n", pkg)
		for _, r := range row.Survivors {
			fmt.Fprintf(c.stdout, "  %s\n", r.SurvivorLine())
		}
	}
	var build, tests time.Duration
	testsRun := 0
	for _, r := range run.Results {
		build += r.Build
		tests += r.Tests
		testsRun += r.TestsRun
	}
	mode, limit := "selective", "each test 3x its baseline + 10s"
	if f.whole {
		mode = "whole suite"
	}
	if run.Timeout > 0 {
		limit = run.Timeout.Round(time.Second).String() + " per mutant"
		if !f.whole {
			limit = run.Timeout.Round(time.Second).String() + " per test"
		}
	}
	fmt.Fprintf(c.stdout, "%s: generated %d, run %d: killed %d, survived %d, timed out %d, not covered %d, not viable %d; score %.1f%% (%s mode: baseline %v, limit %s, %v in all; on the mutants, building %v, %d tests running %v)\n",
		pkg, generated, len(mutants), row.Killed, row.Survived, row.TimedOut, row.NotCovered, row.NotViable, row.Score(), mode,
		run.Baseline.Round(100*time.Millisecond), limit, elapsed.Round(time.Second), build.Round(time.Second), testsRun, tests.Round(time.Second))
	if f.survivors != "" {
		if err := row.WriteSurvivors(f.survivors); err != nil {
			return row, err
		}
	}
	return row, nil
}

func printMutationTable(w io.Writer, rows []course.MutationSummary) {
	const row = "%-14s %9s %5s %7s %9s %9s %11s %10s %7s %8s\n"
	fmt.Fprintf(w, row, "package", "generated", "run", "killed", "survived", "timed out", "not covered", "not viable", "score", "time")
	for _, r := range rows {
		fmt.Fprintf(w, row, r.Pkg, fmt.Sprint(r.Generated), fmt.Sprint(r.Run), fmt.Sprint(r.Killed), fmt.Sprint(r.Survived),
			fmt.Sprint(r.TimedOut), fmt.Sprint(r.NotCovered), fmt.Sprint(r.NotViable), fmt.Sprintf("%.1f%%", r.Score()), r.Elapsed.Round(time.Second).String())
	}
}
