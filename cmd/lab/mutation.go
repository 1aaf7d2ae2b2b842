package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/course"
)

// harnessPackages are mutated by 'lab mutation --all' besides the labs: the checkers
// every lab's verdict rests on.
var harnessPackages = []string{"tests", "tests/replog"}

// defaultWith are the packages whose tests also run on a package's mutants when
// --with does not say: tests/replog's scenarios run only in the engines' tests.
var defaultWith = map[string][]string{"tests/replog": {"raft", "paxos"}}

type mutationFlags struct {
	all       bool
	list      bool
	ops       string
	sample    int
	workers   int
	timeout   time.Duration
	survivors string
	with      string
}

func newMutationFlags() (*flag.FlagSet, *mutationFlags) {
	f := &mutationFlags{}
	fs := flag.NewFlagSet("mutation", flag.ContinueOnError)
	fs.BoolVar(&f.all, "all", false, "mutate every lab package, then tests and tests/replog")
	fs.BoolVar(&f.list, "list", false, "list the mutants instead of running them")
	fs.StringVar(&f.ops, "ops", "", "only the operators in the comma-separated `LIST` (default: all of them)")
	fs.IntVar(&f.sample, "sample", 0, "run only `N` mutants per package, spread evenly over the list (0: all)")
	fs.IntVar(&f.workers, "workers", 2, "module copies running mutants in parallel")
	fs.DurationVar(&f.timeout, "timeout", 0, "the time limit of each mutant's tests (default: twice the baseline plus 30s)")
	fs.StringVar(&f.with, "with", "", "also run the tests of the comma-separated packages `PKGS` on each mutant (default: raft,paxos for tests/replog, none otherwise; \"-\" for none)")
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
tree is never written, so an interrupted run leaves it as it was. The tests run once
without mutants and with coverage of the package; mutants on lines no test runs are
"not covered" and not run. Each other mutant runs
	go test ./PKG -count=1 -failfast -json -timeout=T [go test flags]
and is killed (a test failed), timed out, not viable (it does not compile) or
SURVIVED. For each package mutation prints those counts, the score (killed and timed
out over killed, timed out, survived and not covered) and every survivor with
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
			if !contains(course.Operators, op) {
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
		pkgs = labPackages(course.Default)
		for _, p := range harnessPackages {
			if info, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil && info.IsDir() {
				pkgs = append(pkgs, p)
			}
		}
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
	var rows []mutationRow
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
				fmt.Fprintf(c.stdout, "  %-40s %s\n", fmt.Sprintf("%s:%d", m.File, m.Line), describeMutant(m))
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

// labPackages returns the package directories of the course, in course order.
func labPackages(c course.Course) []string {
	var pkgs []string
	for _, p := range c.Parts {
		if !contains(pkgs, p.Dir) {
			pkgs = append(pkgs, p.Dir)
		}
	}
	return pkgs
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// describeMutant is the operator and the change, for a report line.
func describeMutant(m course.OpMutant) string {
	return fmt.Sprintf("%-11s %s  =>  %s", m.Op, m.Original, m.Mutated)
}

// A mutationRow is one package's line of the summary table.
type mutationRow struct {
	pkg                                               string
	generated, run                                    int
	killed, survived, timedOut, notCovered, notViable int
	elapsed                                           time.Duration
}

// score is the share of the mutants that count (not the ones that do not compile)
// which the tests kill; a timed-out mutant counts as killed, a not-covered one as a
// survivor.
func (r mutationRow) score() float64 {
	den := r.killed + r.timedOut + r.survived + r.notCovered
	if den == 0 {
		return 100
	}
	return 100 * float64(r.killed+r.timedOut) / float64(den)
}

func runPackageMutation(c *cli, root, pkg string, scope course.MutationScope, generated int, mutants []course.OpMutant, f *mutationFlags, extra []string) (mutationRow, error) {
	row := mutationRow{pkg: pkg, generated: generated, run: len(mutants)}
	with := defaultWith[pkg]
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
		Root: root, Pkg: pkg, With: with, Mutants: mutants, Workers: f.workers, Timeout: f.timeout, ExtraArgs: extra,
		Report: func(r course.MutationResult) {
			done++
			if r.Status == course.Survived || r.Status == course.TimedOut {
				fmt.Fprintf(c.stdout, "  %-9s %s:%d  %s\n", r.Status, r.Mutant.File, r.Mutant.Line, describeMutant(r.Mutant))
			}
			if done%50 == 0 {
				fmt.Fprintf(c.stdout, "  ... %d of %d done (%v)\n", done, len(mutants), time.Since(start).Round(time.Second))
			}
		},
	})
	row.elapsed = time.Since(start)
	if err != nil {
		return row, err
	}
	row.killed, row.survived = run.Count(course.Killed), run.Count(course.Survived)
	row.timedOut, row.notCovered, row.notViable = run.Count(course.TimedOut), run.Count(course.NotCovered), run.Count(course.NotViable)

	var survivors []course.MutationResult
	for _, r := range run.Results {
		if r.Status == course.Survived || r.Status == course.NotCovered {
			survivors = append(survivors, r)
		}
	}
	if len(survivors) > 0 {
		fmt.Fprintf(c.stdout, "survivors of %s (file:line operator: before => after):\n", pkg)
		for _, r := range survivors {
			fmt.Fprintf(c.stdout, "  %s\n", survivorLine(r))
		}
	}
	fmt.Fprintf(c.stdout, "%s: generated %d, run %d: killed %d, survived %d, timed out %d, not covered %d, not viable %d; score %.1f%% (baseline %v, limit %v per mutant, %v in all)\n",
		pkg, generated, len(mutants), row.killed, row.survived, row.timedOut, row.notCovered, row.notViable, row.score(),
		run.Baseline.Round(100*time.Millisecond), run.Timeout.Round(time.Second), row.elapsed.Round(time.Second))
	if f.survivors != "" {
		if err := writeSurvivors(f.survivors, pkg, row, survivors); err != nil {
			return row, err
		}
	}
	return row, nil
}

func survivorLine(r course.MutationResult) string {
	tag := ""
	if r.Status == course.NotCovered {
		tag = " (not covered)"
	}
	return fmt.Sprintf("%s:%d  %s%s", r.Mutant.File, r.Mutant.Line, describeMutant(r.Mutant), tag)
}

// writeSurvivors writes DIR/survivors-PKG.txt: one survivor a line, for whoever writes
// the tests that kill them.
func writeSurvivors(dir, pkg string, row mutationRow, survivors []course.MutationResult) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lab mutation %s: generated %d, run %d, killed %d, survived %d, timed out %d, not covered %d, not viable %d\n",
		pkg, row.generated, row.run, row.killed, row.survived, row.timedOut, row.notCovered, row.notViable)
	b.WriteString("# file:line  operator  before  =>  after\n")
	for _, r := range survivors {
		b.WriteString(survivorLine(r) + "\n")
	}
	name := "survivors-" + strings.ReplaceAll(path.Clean(pkg), "/", "-") + ".txt"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644)
}

func printMutationTable(w io.Writer, rows []mutationRow) {
	const row = "%-14s %9s %5s %7s %9s %9s %11s %10s %7s %8s\n"
	fmt.Fprintf(w, row, "package", "generated", "run", "killed", "survived", "timed out", "not covered", "not viable", "score", "time")
	for _, r := range rows {
		fmt.Fprintf(w, row, r.pkg, fmt.Sprint(r.generated), fmt.Sprint(r.run), fmt.Sprint(r.killed), fmt.Sprint(r.survived),
			fmt.Sprint(r.timedOut), fmt.Sprint(r.notCovered), fmt.Sprint(r.notViable), fmt.Sprintf("%.1f%%", r.score()), r.elapsed.Round(time.Second).String())
	}
}
