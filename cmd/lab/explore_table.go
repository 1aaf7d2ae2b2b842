package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"protolab/explore"
	"protolab/internal/course"
)

// lab explore LAB --table: for each catalogued mutant of a lab, the number of
// schedules each strategy runs on the mutant's search test until the first
// broken invariant (docs/explore.md, "Search against random testing").

// tableDefaults: a cell is capped by its number of schedules, so that the
// table means the same on a loaded machine; the time cap is a safety net.
const (
	tableRuns   = 10_000
	tableBudget = 30 * time.Minute
)

var tableStrategies = []string{"random", "pct", "bfs"}

type tableOptions struct {
	pkg        string
	mutants    []string // "" = every catalogued one
	strategies []string
	runs       int
	budget     time.Duration
	out        string // a file for the markdown, besides stdout
	baseline   bool   // first run the reference on every search test the rows use
}

// runExploreTable runs the table: the module copied once into a temporary
// directory, each mutant applied there in turn (never in the source tree),
// its test binary built once, and its search test run under each strategy.
func (c *cli) runExploreTable(root string, o tableOptions) int {
	all, err := course.LoadMutants(root, o.pkg)
	if err != nil {
		return c.usageError("explore", "%v", err)
	}
	mutants := all
	if len(o.mutants) > 0 {
		byName := map[string]course.Mutant{}
		var names []string
		for _, m := range all {
			byName[m.Name] = m
			names = append(names, m.Name)
		}
		mutants = nil
		for _, n := range o.mutants {
			m, ok := byName[n]
			if !ok {
				return c.usageError("explore", "--mutants: %s has no mutant %q%s", o.pkg, n, didYouMean(n, names))
			}
			mutants = append(mutants, m)
		}
	}
	catalogue := searchCatalogue[o.pkg]
	if catalogue == nil {
		return c.usageError("explore", "--table: no search catalogue for %s; the catalogued labs are %s (cmd/lab/explore_catalogue.go)", o.pkg, catalogueLabs())
	}

	var out *os.File
	if o.out != "" {
		p, err := c.outputFile(o.out)
		if err != nil {
			return c.usageError("explore", "--out: %v", err)
		}
		if out, err = os.Create(p); err != nil {
			return c.failf("explore", "%v", err)
		}
		defer out.Close()
	}
	w := io.Writer(c.stdout)
	if out != nil {
		w = io.MultiWriter(c.stdout, out)
	}

	tmp, err := os.MkdirTemp("", "protolab-explore-table-*")
	if err != nil {
		return c.failf("explore", "%v", err)
	}
	defer os.RemoveAll(tmp)
	files, err := course.ListFiles(root, true)
	if err != nil {
		return c.failf("explore", "listing the module: %v", err)
	}
	mod := filepath.Join(tmp, "module")
	if err := course.CopyFiles(root, files, mod); err != nil {
		return c.failf("explore", "copying the module: %v", err)
	}

	fmt.Fprintf(w, "Schedules until the first broken invariant, per strategy, on each mutant's search test (%s, seed 1).\n", o.pkg)
	fmt.Fprintf(w, "Each cell is capped at %s schedules; %v of real time per cell is a safety net only, and a cell it stopped says so.\n", thousands(o.runs), o.budget)
	fmt.Fprintf(w, "After a count: events/faults of the run as found → as shrunk.\n\n")
	fmt.Fprintf(w, "| mutant | search test | %s |\n", strings.Join(o.strategies, " | "))
	fmt.Fprintf(w, "| --- | --- |%s\n", strings.Repeat(" --- |", len(o.strategies)))
	if o.baseline {
		// The reference first, on every search test the rows use: a schedule
		// it fails is the test's or the checker's fault, not a mutant's, and
		// the rows below it would count that failure too.
		var tests []string
		for _, m := range mutants {
			if row, ok := catalogue[m.Name]; ok && row.test != "" && !slices.Contains(tests, row.test) {
				tests = append(tests, row.test)
			}
		}
		bin := filepath.Join(tmp, "search.test")
		if len(tests) > 0 {
			if out, err := c.buildTestBinary(mod, bin, o.pkg); err != nil {
				return c.failf("explore", "the reference's tests of %s do not build: %s", o.pkg, firstLineOf(out))
			}
		}
		for _, test := range tests {
			cells := c.tableCells(mod, bin, tmp, o, "reference", test)
			fmt.Fprintf(w, "| (reference) | %s | %s |\n", strings.TrimPrefix(test, "TestSearch"), strings.Join(cells, " | "))
		}
	}
	var others []string
	for _, m := range mutants {
		row, ok := catalogue[m.Name]
		switch {
		case !ok:
			others = append(others, fmt.Sprintf("- %s: no row in the search catalogue (cmd/lab/explore_catalogue.go)", m.Name))
			continue
		case row.test == "":
			others = append(others, fmt.Sprintf("- %s: %s", m.Name, row.why))
			continue
		}
		cells, err := c.tableRow(mod, tmp, o, m, row.test)
		if err != nil {
			return c.failf("explore", "%v", err)
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", m.Name, strings.TrimPrefix(row.test, "TestSearch"), strings.Join(cells, " | "))
	}
	if len(others) > 0 {
		fmt.Fprintf(w, "\nNo search row (a safety search cannot find these; the suite test named catches each):\n\n%s\n", strings.Join(others, "\n"))
	}
	return exitOK
}

// tableRow applies m in the copy, builds the test binary, restores the file,
// and runs the search test once per strategy.
func (c *cli) tableRow(mod, tmp string, o tableOptions, m course.Mutant, test string) ([]string, error) {
	rel := path.Join(o.pkg, m.File)
	target := filepath.Join(mod, filepath.FromSlash(rel))
	orig, err := os.ReadFile(target)
	if err != nil {
		return nil, fmt.Errorf("mutant %s: %v", m.Name, err)
	}
	mutated, err := m.Apply(rel, orig)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(target, mutated, 0o644); err != nil {
		return nil, err
	}
	bin := filepath.Join(tmp, "search.test")
	buildOut, buildErr := c.buildTestBinary(mod, bin, o.pkg)
	if err := os.WriteFile(target, orig, 0o644); err != nil {
		return nil, fmt.Errorf("restoring %s after mutant %s: %v", rel, m.Name, err)
	}
	cells := make([]string, len(o.strategies))
	if buildErr != nil {
		for i := range cells {
			cells[i] = "does not compile"
		}
		fmt.Fprintf(c.stderr, "%s: does not compile: %s\n", m.Name, firstLineOf(buildOut))
		return cells, nil
	}
	return c.tableCells(mod, bin, tmp, o, m.Name, test), nil
}

func (c *cli) buildTestBinary(mod, bin, pkg string) (string, error) {
	build := exec.CommandContext(c.ctx, "go", "test", "-c", "-o", bin, "./"+pkg)
	build.Dir = mod
	out, err := build.CombinedOutput()
	return string(out), err
}

// tableCells runs the search test once per strategy.
func (c *cli) tableCells(mod, bin, tmp string, o tableOptions, name, test string) []string {
	cells := make([]string, len(o.strategies))
	for i, s := range o.strategies {
		var broke string
		cells[i], broke = c.tableCell(filepath.Join(mod, filepath.FromSlash(o.pkg)), bin, tmp, o, test, s)
		fmt.Fprintf(c.stderr, "%s %s %s: %s%s\n", name, test, s, cells[i], broke)
	}
	return cells
}

var (
	tableEnd    = regexp.MustCompile(`explore (\w+): (\d+) schedules(?:, \d+ states)? in \S+: (.*)$`)
	tableFound  = regexp.MustCompile(`explore (\w+) found a broken invariant after (\d+) schedules`)
	tableBefore = regexp.MustCompile(`^\s*as found: (\d+) events, (\d+) faults`)
	tableAfter  = regexp.MustCompile(`^\s*shrunk:\s+(\d+) events, (\d+) faults`)
)

// tableCell runs one search and words its cell: "19 (10/0 → 12/0)", or
// "none in 2,000 (the cap)" and the like. broke is the invariant a failure
// found broke (": " and its first line), for the progress lines: a reader
// can tell a mutant's failure from a checker's false alarm.
func (c *cli) tableCell(dir, bin, tmp string, o tableOptions, test, strategy string) (cell, broke string) {
	ctx, cancel := context.WithTimeout(c.ctx, o.budget+10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-test.run", "^"+test+"$", "-test.count=1", "-test.v",
		"-test.timeout="+(o.budget+5*time.Minute).String(),
		"-explore="+strategy, "-explore.runs="+strconv.Itoa(o.runs), "-explore.budget="+o.budget.String(),
		"-explore.out="+tmp, "-seed=1")
	cmd.Dir = dir
	output, _ := cmd.CombinedOutput()
	for _, line := range strings.Split(string(output), "\n") {
		if m := tableFound.FindStringIndex(line); m != nil {
			broke = line[m[1]:]
			break
		}
	}
	return tableCellText(string(output), o.runs), broke
}

// tableCellText reads a search test's -v output.
func tableCellText(output string, runs int) string {
	var found, before, after []string
	var end []string
	for _, line := range strings.Split(output, "\n") {
		if m := tableFound.FindStringSubmatch(line); m != nil && found == nil {
			found = m
		} else if m := tableEnd.FindStringSubmatch(line); m != nil && end == nil {
			end = m
		}
		if m := tableBefore.FindStringSubmatch(line); m != nil && before == nil {
			before = m
		}
		if m := tableAfter.FindStringSubmatch(line); m != nil && after == nil {
			after = m
		}
	}
	switch {
	case found != nil && before != nil && after != nil:
		n, _ := strconv.Atoi(found[2])
		return fmt.Sprintf("%s (%s/%s → %s/%s)", thousands(n), before[1], before[2], after[1], after[2])
	case end != nil:
		n, _ := strconv.Atoi(end[2])
		why := end[3]
		switch {
		case strings.HasPrefix(why, "ran its "):
			return fmt.Sprintf("none in %s (the cap)", thousands(n))
		case strings.HasPrefix(why, "spent its budget"):
			return fmt.Sprintf("none in %s (stopped by the time cap, not the cap of %s)", thousands(n), thousands(runs))
		case strings.HasPrefix(why, "searched every schedule"):
			return fmt.Sprintf("none in %s (every schedule within the bounds)", thousands(n))
		case strings.HasPrefix(why, "searched the "):
			// A stateless bounded search queues at most Runs prefixes.
			return fmt.Sprintf("none in %s (the cap: prefixes of a stateless search)", thousands(n))
		}
		return fmt.Sprintf("none in %s (%s)", thousands(n), why)
	}
	last := strings.TrimSpace(output)
	if i := strings.LastIndex(last, "\n"); i >= 0 && len(last)-i < 200 {
		last = last[i+1:]
	}
	if len(last) > 120 {
		last = last[:120] + "..."
	}
	return "error: " + strings.ReplaceAll(last, "|", "/")
}

// thousands writes n with commas: 10,000.
func thousands(n int) string {
	s := strconv.Itoa(n)
	var b bytes.Buffer
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

func firstLineOf(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return first
}

// checkTableStrategies checks the strategies a table asks for.
func checkTableStrategies(list []string) error {
	for _, s := range list {
		if _, err := explore.ParseStrategy(s); err != nil {
			return err
		}
	}
	return nil
}

// exploreTable checks the command line of lab explore LAB --table.
func (c *cli) exploreTable(fs *flag.FlagSet, f *exploreFlags, pkgs, rest []string) int {
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	o := tableOptions{mutants: f.mutants, strategies: tableStrategies, runs: tableRuns, budget: tableBudget, out: f.out, baseline: f.baseline}
	if set["strategy"] {
		o.strategies = nil
		for _, s := range strings.Split(f.strategy, ",") {
			if s = strings.TrimSpace(s); s != "" {
				o.strategies = append(o.strategies, s)
			}
		}
	}
	if set["runs"] {
		o.runs = f.runs
	}
	if set["budget"] {
		o.budget = f.budget
	}
	switch {
	case !f.table:
		return c.usageError("explore", "--mutants goes with --table")
	case len(pkgs) != 1 || len(rest) > 0:
		return c.usageError("explore", "give one lab, like 'lab explore raft --table'")
	case f.run != "":
		return c.usageError("explore", "--table runs each mutant's own search test; give no -run")
	case set["seeds"] || set["seed"]:
		return c.usageError("explore", "--table runs every cell from seed 1; give no --seed or --seeds")
	case o.runs < 1:
		return c.usageError("explore", "--runs must be at least 1")
	case o.budget <= 0:
		return c.usageError("explore", "--budget must be positive, like 30m")
	case len(o.strategies) == 0:
		return c.usageError("explore", "--strategy: give one or more of random, pct, bfs, dfs, comma-separated")
	}
	if err := checkTableStrategies(o.strategies); err != nil {
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
	o.pkg = pkg
	return c.runExploreTable(root, o)
}
