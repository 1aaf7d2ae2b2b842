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
				writeJSON(c.stdout, mutantsJSON{OK: true, Packages: []*mutantsPackageJSON{}})
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
	report := mutantsJSON{OK: true, Packages: []*mutantsPackageJSON{}}
	for i, pkg := range pkgs {
		if i > 0 && !f.json {
			fmt.Fprintln(c.stdout)
		}
		mutants, err := course.LoadMutants(root, pkg)
		if err != nil {
			c.failf("mutants", "%v", err)
			status = exitFail
			report.OK = false
			report.Packages = append(report.Packages, &mutantsPackageJSON{Package: pkg, Error: err.Error(), Mutants: []mutantJSON{}})
			continue
		}
		if len(f.only) > 0 {
			mutants, err = onlyMutants(mutants, f.only)
			if err != nil {
				return c.usageError("mutants", "%v", err)
			}
		}
		pj := &mutantsPackageJSON{Package: pkg, Mutants: []mutantJSON{}}
		report.Packages = append(report.Packages, pj)
		if f.list {
			if f.json {
				for _, m := range mutants {
					pj.Mutants = append(pj.Mutants, mutantJSON{Name: m.Name, File: m.File, Description: m.Description})
				}
				continue
			}
			listMutants(c.stdout, pkg, mutants)
			continue
		}
		run := runPackageMutants
		if f.json {
			run = runPackageMutantsJSON
		}
		if run(c, root, pkg, mutants, extra, f, pj) != exitOK {
			status = exitFail
			report.OK = false
		}
	}
	if f.json {
		writeJSON(c.stdout, report)
	}
	return status
}

// mutantsJSON is what 'lab mutants --json' prints.
type mutantsJSON struct {
	OK       bool                  `json:"ok"` // no mutant missed, no error
	Packages []*mutantsPackageJSON `json:"packages"`
}

type mutantsPackageJSON struct {
	Package     string       `json:"package"`
	Error       string       `json:"error,omitempty"`
	BaselineMS  float64      `json:"baseline_ms,omitempty"` // the tests without mutants
	Caught      int          `json:"caught"`
	CaughtBuild int          `json:"caught_build"`
	Missed      int          `json:"missed"`
	Mutants     []mutantJSON `json:"mutants"`
}

type mutantJSON struct {
	Name        string   `json:"name"`
	File        string   `json:"file"`
	Description string   `json:"description"`
	Verdict     string   `json:"verdict,omitempty"` // "caught", "caught (build)", "MISSED"
	FailedTests []string `json:"failed_tests,omitempty"`
	ElapsedMS   float64  `json:"elapsed_ms,omitempty"`
	Detail      string   `json:"detail,omitempty"`
}

// packageDir turns a package argument (a directory, relative to the working directory)
// into a slash-separated directory relative to the module root.
func (c *cli) packageDir(root, arg string) (string, error) {
	wd, err := c.workDir()
	if err != nil {
		return "", err
	}
	abs := arg
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(wd, arg)
	}
	rel, err := filepath.Rel(root, filepath.Clean(abs))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("package %s is outside the module at %s", arg, root)
	}
	if info, err := os.Stat(abs); err != nil || !info.IsDir() {
		return "", fmt.Errorf("no package directory %s", arg)
	}
	return filepath.ToSlash(rel), nil
}

// onlyMutants returns the named mutants, in the order of the mutants file.
func onlyMutants(mutants []course.Mutant, only []string) ([]course.Mutant, error) {
	var names []string
	for _, m := range mutants {
		names = append(names, m.Name)
	}
	for _, name := range only {
		if !contains(names, name) {
			return nil, fmt.Errorf("no mutant called %q%s; %s", name, didYouMean(name, names), listOr(names, "the mutants are ", "the package has no mutants"))
		}
	}
	var out []course.Mutant
	for _, m := range mutants {
		if contains(only, m.Name) {
			out = append(out, m)
		}
	}
	return out, nil
}

// listOr is prefix followed by the names, or none when there are no names.
func listOr(names []string, prefix, none string) string {
	if len(names) == 0 {
		return none
	}
	return prefix + strings.Join(names, ", ")
}

func listMutants(w io.Writer, pkg string, mutants []course.Mutant) {
	fmt.Fprintf(w, "%s: %d mutants\n", pkg, len(mutants))
	for _, m := range mutants {
		fmt.Fprintf(w, "  %-28s %-14s %s\n", m.Name, m.File, m.Description)
	}
}

// runPackageMutantsJSON runs the mutants of one package and fills in pj,
// printing nothing.
func runPackageMutantsJSON(c *cli, root, pkg string, mutants []course.Mutant, extra []string, f *mutantsFlags, pj *mutantsPackageJSON) int {
	baseline, results, err := course.RunMutants(c.ctx, course.MutantOptions{
		Root: root, Pkg: pkg, Mutants: mutants, ExtraArgs: extra, Timeout: f.timeout, SkipBaseline: f.skip, Workers: f.workers,
		Report: func(course.MutantResult) {},
	})
	if err != nil {
		pj.Error = err.Error()
		return exitFail
	}
	pj.BaselineMS = ms(baseline)
	for _, r := range results {
		verdict := r.Verdict.String()
		switch r.Verdict {
		case course.Caught:
			pj.Caught++
		case course.CaughtBuild:
			pj.CaughtBuild++
		case course.Missed:
			pj.Missed++
		}
		pj.Mutants = append(pj.Mutants, mutantJSON{Name: r.Mutant.Name, File: r.Mutant.File, Description: r.Mutant.Description,
			Verdict: verdict, FailedTests: r.Failed, ElapsedMS: ms(r.Elapsed), Detail: r.Detail})
	}
	if pj.Missed > 0 {
		return exitFail
	}
	return exitOK
}

// runPackageMutants runs the mutants of one package, printing as it goes.
func runPackageMutants(c *cli, root, pkg string, mutants []course.Mutant, extra []string, f *mutantsFlags, _ *mutantsPackageJSON) int {
	const row = "%-28s %-15s %-44s %s\n"
	if f.skip {
		fmt.Fprintf(c.stdout, "%s: %d mutants (the tests without them are not checked: --skip-baseline)\n", pkg, len(mutants))
	} else {
		fmt.Fprintf(c.stdout, "%s: %d mutants; checking that the tests pass without them...\n", pkg, len(mutants))
	}
	header := false
	baseline, results, err := course.RunMutants(c.ctx, course.MutantOptions{
		Root:         root,
		Pkg:          pkg,
		Mutants:      mutants,
		ExtraArgs:    extra,
		Timeout:      f.timeout,
		SkipBaseline: f.skip,
		Workers:      f.workers,
		Report: func(r course.MutantResult) {
			if !header {
				fmt.Fprintf(c.stdout, row, "mutant", "result", "failed tests", "time")
				header = true
			}
			fmt.Fprintf(c.stdout, row, r.Mutant.Name, r.Verdict, r.FailedSummary(), r.Elapsed.Round(100*time.Millisecond))
		},
	})
	if err != nil {
		return c.failf("mutants", "%s: %v", pkg, err)
	}
	var caught, build, missed int
	for _, r := range results {
		switch r.Verdict {
		case course.Caught:
			caught++
		case course.CaughtBuild:
			build++
		case course.Missed:
			missed++
		}
		if r.Detail != "" {
			fmt.Fprintf(c.stdout, "\n--- %s (%s): %s\n%s", r.Mutant.Name, r.Verdict, r.Mutant.Description, r.Detail)
		}
	}
	for _, r := range results {
		if r.Verdict == course.Missed {
			fmt.Fprintf(c.stdout, "\n--- %s MISSED: %s\n    no test of %s fails with this bug in %s; add one that does\n",
				r.Mutant.Name, r.Mutant.Description, pkg, r.Mutant.File)
		}
	}
	base := fmt.Sprintf("tests without mutants: ok in %v", baseline.Round(100*time.Millisecond))
	if f.skip {
		base = "tests without mutants not checked"
	}
	fmt.Fprintf(c.stdout, "\n%s: %d mutants: %d caught by tests, %d caught only by the build, %d MISSED (%s)\n",
		pkg, len(results), caught, build, missed, base)
	if build > 0 {
		fmt.Fprintln(c.stdout, "(a mutant that does not compile tests nothing; rewrite it as a bug that builds)")
	}
	if missed > 0 {
		return exitFail
	}
	return exitOK
}
