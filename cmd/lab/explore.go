package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"protolab/explore"
)

type exploreFlags struct {
	run      string
	strategy string
	budget   time.Duration
	runs     int
	seed     int64
	seeds    int
	out      string
	table    bool
	mutants  nameList
	baseline bool
}

func newExploreFlags() (*flag.FlagSet, *exploreFlags) {
	f := &exploreFlags{}
	fs := flag.NewFlagSet("explore", flag.ContinueOnError)
	fs.StringVar(&f.run, "run", "", "the search test to run, like `TestSearchLogMatching4B`")
	fs.StringVar(&f.strategy, "strategy", "pct", "how to search: `pct`, bfs, dfs, or random (plain seeds, for comparison)")
	fs.DurationVar(&f.budget, "budget", 60*time.Second, "real time the search may take")
	fs.IntVar(&f.runs, "runs", 1_000_000, "schedules the search may run")
	fs.Int64Var(&f.seed, "seed", 1, "the first schedule's seed")
	fs.IntVar(&f.seeds, "seeds", 0, "bfs and dfs: grow a tree from each of `N` seeds (default: the test's; the nodes' own draws are the seed's, not choices)")
	fs.StringVar(&f.out, "out", "", "directory for the choices file of a failure found (default: the system's temporary directory); with --table, a file for the table")
	fs.BoolVar(&f.table, "table", false, "for each catalogued mutant, the schedules each strategy needs on its search test (--strategy: a comma-separated list, default random,pct,bfs; --runs: default 10000 per cell; --budget: a per-cell time cap, default 30m, a safety net)")
	fs.Var(&f.mutants, "mutants", "with --table: only the mutants called `NAME`s (comma-separated)")
	fs.BoolVar(&f.baseline, "baseline", true, "with --table: first run each search test on the reference, whose cells must all be \"none\"")
	return fs, f
}

func helpExplore(w io.Writer) {
	fmt.Fprint(w, `usage: lab explore LAB -run TEST [--strategy pct|bfs|dfs|random] [--budget 60s] [--runs N] [--seed N] [--seeds N] [--out DIR]
       lab explore LAB --table [--mutants NAME,...] [--strategy random,pct,bfs] [--runs 10000] [--budget 30m] [--baseline=false] [--out FILE]

Explore searches the schedules of one of a lab's search tests (a test that
calls tests.Explore, named TestSearch...) for longer than make test does:
which message is lost, how long each travels, which of two events due at
once runs first. It runs

	go test ./LAB -run '^TEST$' -count=1 -v -explore=STRATEGY -explore.budget=BUDGET ...

and shows a progress line as it goes (schedules, states, depth, states per
second). A broken invariant is shrunk to a run with as few faults and events
as the search could make it, and printed with its timeline and the command
that replays it (go test ... -choices=FILE). docs/explore.md explains the
strategies and how to read what they find.

Explore exits with status 1 when it finds a broken invariant, 0 when the
search ends without one.

With --table, explore measures the lab's catalogued mutants (LAB/mutants.txt)
instead: it copies the module to a temporary directory (the source tree is
never written), and for each mutant applies it there, builds the test binary
once, and runs the mutant's search test (the catalogue in
cmd/lab/explore_catalogue.go names it) under each strategy until the first
broken invariant or --runs schedules. It prints a markdown row per mutant:
the schedules each strategy ran, and the events and faults of the run as
found and as shrunk; "none in N (the cap)" when the cap stopped it, and says
so when the time cap, a safety net, did. The first rows, "(reference)", run
each search test the rows use on the unchanged code: a failure there is the
test's or the checker's, and makes the rows of that test suspect (--baseline=false
leaves them out). Mutants that are not safety bugs
are listed after the table with the reason and the suite test that catches
them. Run it niced: nice -n 10 lab explore raft --table --runs 2000.

Flags:
`)
	fs, _ := newExploreFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

var searchTestName = regexp.MustCompile(`^Test[A-Za-z0-9_]*$`)

func runExplore(c *cli, args []string) int {
	fs, f := newExploreFlags()
	pkgs, rest, code, ok := c.parseFlags("explore", fs, args)
	if !ok {
		return code
	}
	if f.table || len(f.mutants) > 0 {
		return c.exploreTable(fs, f, pkgs, rest)
	}
	switch {
	case len(pkgs) != 1 || len(rest) > 0:
		return c.usageError("explore", "give one lab, like 'lab explore raft -run TestSearchLogMatching4B'")
	case f.run == "":
		return c.usageError("explore", "-run names the search test, like -run TestSearchLogMatching4B (the lab's search tests are its TestSearch... tests)")
	case !searchTestName.MatchString(f.run):
		return c.usageError("explore", "-run %q: give one test's name, like TestSearchLogMatching4B, not a pattern", f.run)
	case f.budget <= 0:
		return c.usageError("explore", "--budget must be positive, like 60s")
	case f.runs < 1:
		return c.usageError("explore", "--runs must be at least 1")
	case f.seeds < 0:
		return c.usageError("explore", "--seeds must be at least 1")
	}
	if _, err := explore.ParseStrategy(f.strategy); err != nil {
		return c.usageError("explore", "--strategy: %v", err)
	}
	root, code, ok := c.moduleRoot("explore")
	if !ok {
		return code
	}
	pkg, err := c.packageDir(root, pkgs[0])
	if err != nil {
		return c.usageError("explore", "%v", err)
	}
	goArgs := []string{"test", "./" + pkg, "-run", "^" + f.run + "$", "-count=1", "-v",
		"-explore=" + f.strategy, "-explore.budget=" + f.budget.String(), "-explore.runs=" + strconv.Itoa(f.runs),
		"-seed=" + strconv.FormatInt(f.seed, 10), "-timeout=" + (f.budget + 10*time.Minute).String()}
	if f.seeds > 0 {
		goArgs = append(goArgs, "-explore.seeds="+strconv.Itoa(f.seeds))
	}
	if f.out != "" {
		out, err := c.outputDir(f.out)
		if err != nil {
			return c.usageError("explore", "--out: %v", err)
		}
		goArgs = append(goArgs, "-explore.out="+out)
	}
	fmt.Fprintf(c.stdout, "go %s\n", strings.Join(goArgs, " "))
	cmd := exec.CommandContext(c.ctx, "go", goArgs...)
	cmd.Dir = root
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return c.failf("explore", "%v", err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return c.failf("explore", "running go test: %v", err)
	}
	searched, ran := false, false
	sc := bufio.NewScanner(pipe)
	sc.Buffer(make([]byte, 0, 64*1024), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "=== RUN") {
			ran = true
			continue
		}
		if strings.HasPrefix(line, "explore ") || strings.Contains(line, ": explore ") {
			searched = true
		}
		fmt.Fprintln(c.stdout, line)
	}
	err = cmd.Wait()
	switch {
	case !ran:
		return c.usageError("explore", "%s has no test %s; its search tests are the TestSearch... ones (go test ./%s -list Search)", pkg, f.run, pkg)
	case !searched:
		return c.failf("explore", "%s ran but did not search: it does not call tests.Explore (docs/explore.md)", f.run)
	case err != nil:
		return exitFail
	}
	return exitOK
}
