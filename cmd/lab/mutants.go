package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/course"
	"protolab/internal/gotool"
)

type mutantsFlags struct {
	only    nameList
	skip    bool
	workers int
	all     bool
	list    bool
	timeout time.Duration
	json    bool
}

func newMutantsFlags() (*flag.FlagSet, *mutantsFlags) {
	f := &mutantsFlags{}
	fs := flag.NewFlagSet("mutants", flag.ContinueOnError)
	fs.Var(&f.only, "only", "run only the mutants called `NAME`s (comma-separated; the flag may be repeated)")
	fs.IntVar(&f.workers, "workers", 1, "module copies running mutants at once (each mutant's row is printed as it ends)")
	fs.BoolVar(&f.skip, "skip-baseline", false, "do not first check that the tests pass without mutants (for CI, right after make test)")
	fs.BoolVar(&f.all, "all", false, "run the mutants of every package that has a mutants.txt")
	fs.BoolVar(&f.list, "list", false, "list the mutants instead of running them")
	fs.DurationVar(&f.timeout, "timeout", gotool.DefaultTimeout, "the time limit of each go test run")
	fs.BoolVar(&f.json, "json", false, "print the results as JSON")
	return fs, f
}

// nameList is a flag that collects names, comma-separated or given by repeating it.
type nameList []string

func (l *nameList) String() string { return strings.Join(*l, ",") }

func (l *nameList) Set(v string) error {
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); n != "" {
			*l = append(*l, n)
		}
	}
	return nil
}

func helpMutants(w io.Writer) {
	fmt.Fprint(w, `usage: lab mutants PKG [--only NAME,...] [--skip-baseline] [--timeout D] [--json] [-- go test flags]
       lab mutants --all [--skip-baseline] [--timeout D] [--json] [-- go test flags]
       lab mutants --list [--json] PKG | --all

A mutant is a small edit that puts a classic bug into the reference solution. Each
lab package lists its mutants in PKG/mutants.txt:

	== add-subtracts: Add subtracts instead of adding
	file: adder.go
	-	return a + b
	+	return a - b

The "-" lines (the text after "-", tabs included) must be whole lines that occur
exactly once in the file; the "+" lines replace them, and no "+" line deletes them. A
blank line ends a mutant; lines starting with "#" between mutants are comments.

Mutants copies the module to a temporary directory, checks that the package's tests
pass there (unless --skip-baseline), then applies each mutant in turn and runs
	go test ./PKG -count=1 -json [go test flags]
A mutant is caught when a test fails, "caught (build)" when the package no longer
compiles (a weak mutant: it says nothing about the tests), and MISSED when every test
passes. Mutants exits with status 1 if any mutant is missed.

Flags:
`)
	fs, _ := newMutantsFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runMutants(c *cli, args []string) int {
	flags, f := newMutantsFlags()
	pkgs, extra, code, ok := c.parseFlags("mutants", flags, args)
	if !ok {
		return code
	}
	switch {
	case f.all && len(pkgs) > 0:
		return c.usageError("mutants", "give a package or --all, not both")
	case f.all && len(f.only) > 0:
		return c.usageError("mutants", "--only picks a mutant of one package; it does not go with --all")
	case !f.all && len(pkgs) != 1:
		return c.usageError("mutants", "give one package, like 'lab mutants chash', or --all")
	case f.list && len(extra) > 0:
		return c.usageError("mutants", "--list runs no test, so it takes no go test flags")
	case f.timeout <= 0:
		return c.usageError("mutants", "--timeout must be positive")
	case f.workers < 1:
		return c.usageError("mutants", "--workers must be at least 1")
	}
	root, code, ok := c.moduleRoot("mutants")
	if !ok {
		return code
	}
	withMutants, err := course.MutantPackages(root)
	if err != nil {
		return c.failf("mutants", "%v", err)
	}
	if f.all {
		pkgs = withMutants
		if len(pkgs) == 0 {
			if f.json {
				writeJSON(c.stdout, course.MutantsReport{OK: true, Packages: []*course.MutantsPackage{}})
				return exitOK
			}
			fmt.Fprintf(c.stdout, "no package has a %s yet; nothing to run\n", course.MutantsFile)
			return exitOK
		}
	} else {
		pkg, err := c.packageDir(root, pkgs[0])
		if err != nil {
			return c.usageError("mutants", "%v", err)
		}
		if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(pkg), course.MutantsFile)); errors.Is(err, fs.ErrNotExist) {
			return c.usageError("mutants", "%s has no %s; %s", pkgs[0], course.MutantsFile, listOr(withMutants, "the packages with mutants are ", "no package has mutants yet"))
		}
		pkgs = []string{pkg}
	}

	status := exitOK
	report := course.MutantsReport{OK: true, Packages: []*course.MutantsPackage{}}
	for i, pkg := range pkgs {
		if i > 0 && !f.json {
			fmt.Fprintln(c.stdout)
		}
		mutants, err := course.LoadMutants(root, pkg)
		if err != nil {
			c.failf("mutants", "%v", err)
			status = exitFail
			report.OK = false
			report.Packages = append(report.Packages, &course.MutantsPackage{Package: pkg, Error: err.Error(), Mutants: []course.MutantSummary{}})
			continue
		}
		if len(f.only) > 0 {
			mutants, err = course.OnlyMutants(mutants, f.only)
			if err != nil {
				return c.usageError("mutants", "%v", err)
			}
		}
		pj := &course.MutantsPackage{Package: pkg, Mutants: []course.MutantSummary{}}
		report.Packages = append(report.Packages, pj)
		if f.list {
			if f.json {
				for _, m := range mutants {
					pj.Mutants = append(pj.Mutants, course.MutantSummary{Name: m.Name, File: m.File, Description: m.Description})
				}
				continue
			}
			listMutants(c.stdout, pkg, mutants)
			continue
		}
		if runPackageMutants(c, root, pkg, mutants, extra, f, pj) != exitOK {
			status = exitFail
			report.OK = false
		}
	}
	if f.json {
		writeJSON(c.stdout, report)
	}
	return status
}

func listMutants(w io.Writer, pkg string, mutants []course.Mutant) {
	fmt.Fprintf(w, "%s: %d mutants\n", pkg, len(mutants))
	for _, m := range mutants {
		fmt.Fprintf(w, "  %-28s %-14s %s\n", m.Name, m.File, m.Description)
	}
}

// runPackageMutants runs the mutants of one package and fills in pj, printing as it
// goes unless the report is JSON.
func runPackageMutants(c *cli, root, pkg string, mutants []course.Mutant, extra []string, f *mutantsFlags, pj *course.MutantsPackage) int {
	const row = "%-28s %-15s %-44s %s\n"
	out := c.stdout
	if f.json {
		out = io.Discard
	}
	if f.skip {
		fmt.Fprintf(out, "%s: %d mutants (the tests without them are not checked: --skip-baseline)\n", pkg, len(mutants))
	} else {
		fmt.Fprintf(out, "%s: %d mutants; checking that the tests pass without them...\n", pkg, len(mutants))
	}
	header := false
	baseline, results, err := course.RunMutants(c.ctx, course.MutantOptions{
		Root: root, Pkg: pkg, Mutants: mutants, ExtraArgs: extra, Timeout: f.timeout, SkipBaseline: f.skip, Workers: f.workers,
		Report: func(r course.MutantResult) {
			if !header {
				fmt.Fprintf(out, row, "mutant", "result", "failed tests", "time")
				header = true
			}
			fmt.Fprintf(out, row, r.Mutant.Name, r.Verdict, r.FailedSummary(), r.Elapsed.Round(100*time.Millisecond))
		},
	})
	if err != nil {
		pj.Error = err.Error()
		if !f.json {
			c.failf("mutants", "%s: %v", pkg, err)
		}
		return exitFail
	}
	pj.BaselineMS = ms(baseline)
	for _, r := range results {
		pj.Add(r)
		if r.Detail != "" {
			fmt.Fprintf(out, "\n--- %s (%s): %s\n%s", r.Mutant.Name, r.Verdict, r.Mutant.Description, r.Detail)
		}
	}
	for _, r := range results {
		if r.Verdict == course.Missed {
			fmt.Fprintf(out, "\n--- %s MISSED: %s\n    no test of %s fails with this bug in %s; add one that does\n",
				r.Mutant.Name, r.Mutant.Description, pkg, r.Mutant.File)
		}
	}
	base := fmt.Sprintf("tests without mutants: ok in %v", baseline.Round(100*time.Millisecond))
	if f.skip {
		base = "tests without mutants not checked"
	}
	fmt.Fprintf(out, "\n%s: %d mutants: %d caught by tests, %d caught only by the build, %d MISSED (%s)\n",
		pkg, len(results), pj.Caught, pj.CaughtBuild, pj.Missed, base)
	if pj.CaughtBuild > 0 {
		fmt.Fprintln(out, "(a mutant that does not compile tests nothing; rewrite it as a bug that builds)")
	}
	if pj.Missed > 0 {
		return exitFail
	}
	return exitOK
}
