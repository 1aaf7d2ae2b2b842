package course

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"protolab/internal/gotool"
)

// The selective mode of RunMutation (the default; MutationOptions.Whole turns it off).
//
// Where a mutant's time goes: the compile and link of the test binary (one to two
// CPU-seconds), then the tests up to the first failure, or all of them for a survivor,
// or up to the time limit for a mutant that makes the protocol spin. The whole-suite mode
// runs every test in file order under one limit for the suite. The selective mode cuts
// the tests' share without changing a verdict:
//
//   - The baseline runs each top-level test alone, with its own coverage profile. A
//     mutant then runs only the tests that execute its line. This is sound: the tests are
//     deterministic simulations (DESIGN.md), so a test that does not execute the mutated
//     line on the default seed behaves exactly as on the unmutated code, and passes; the
//     tests it skips could not have killed the mutant.
//   - The tests run one at a time, each in its own process from the mutant's test binary,
//     the most likely killer first: the tests that killed the latest mutants of the same
//     file, then the others fastest first. The first failure ends the mutant's run.
//   - Each test has its own limit, derived from its own baseline time
//     (SelectiveLimit), so a spinning mutant costs seconds, not twice the whole suite.

// SelectiveLimit is the time limit of one test on a mutant in the selective mode, from
// the test's time in the baseline (which ran with coverage, so it is slower than the
// mutant's run): three times that, plus ten seconds for a loaded machine.
func SelectiveLimit(base time.Duration) time.Duration { return 3*base + 10*time.Second }

// A mutationTest is one top-level test of a target package, with what its baseline run
// covered and how long it took.
type mutationTest struct {
	pkg  string // the package directory, relative to the module root
	name string
	base time.Duration
	cov  coverage
}

func (t *mutationTest) key() string { return t.pkg + "." + t.name }

// selection is the baseline of the selective mode.
type selection struct {
	tests []*mutationTest // by package (opts.targets order), then name
	union coverage        // what any test covered

	mu      sync.Mutex
	killers map[string][]string // file -> the keys of its latest killers, newest first
}

// selectiveBaseline compiles each target package's tests with coverage of opts.Pkg into
// bindir, lists their top-level tests and runs each alone with its own profile.
func selectiveBaseline(ctx context.Context, opts MutationOptions, copyDir, bindir string) (*selection, time.Duration, error) {
	start := time.Now()
	sel := &selection{union: coverage{}, killers: map[string][]string{}}
	run, skip, rest := opts.binaryArgs()
	for _, pkg := range opts.targetDirs() {
		bin := filepath.Join(bindir, strings.ReplaceAll(pkg, "/", "_")+".cover.test")
		b := gotool.Run(ctx, copyDir, gotool.DefaultTimeout, "test", "-c", "-o", bin, "-cover", "-covermode=count", "-coverpkg=./"+opts.Pkg, "./"+pkg)
		if !b.OK() {
			return nil, 0, fmt.Errorf("the tests of %s do not build without any mutant, so no mutant can be judged; fix them first.\n%s", pkg, b.Describe())
		}
		if _, err := os.Stat(bin); err != nil {
			continue // a package without tests
		}
		pkgDir := filepath.Join(copyDir, filepath.FromSlash(pkg))
		names, err := listTests(ctx, bin, pkgDir, run, skip, rest)
		if err != nil {
			return nil, 0, fmt.Errorf("listing the tests of %s: %v", pkg, err)
		}
		for i, name := range names {
			profile := filepath.Join(bindir, fmt.Sprintf("cover-%d.out", i))
			// A test may run part of its work in a child process (tests/replog's
			// self-tests run each scenario in this binary again). The child writes
			// its counters to the directory -test.gocoverdir names, and the parent
			// merges every counter file found there into its profile; without a
			// directory of our own the children's counters go to a temporary one
			// that nobody reads, and the lines only they run look "not covered".
			covdir := filepath.Join(bindir, fmt.Sprintf("covdata-%d", i))
			if err := os.MkdirAll(covdir, 0o755); err != nil {
				return nil, 0, err
			}
			args := append([]string{"-test.run", "^" + regexp.QuoteMeta(name) + "$", "-test.count=1",
				"-test.coverprofile=" + profile, "-test.gocoverdir=" + covdir}, rest...)
			r := runBinary(ctx, bin, pkgDir, gotool.DefaultTimeout, args)
			os.RemoveAll(covdir)
			if r.status != Survived {
				return nil, 0, fmt.Errorf("%s of %s fails when it runs alone without any mutant, so the selective mode cannot judge mutants by it; run with --whole, or fix the test.\n%s", name, pkg, gotool.Tail(r.output, 30))
			}
			cov, err := readCoverProfile(profile, copyDir)
			if err != nil {
				return nil, 0, err
			}
			os.Remove(profile)
			sel.tests = append(sel.tests, &mutationTest{pkg: pkg, name: name, base: r.elapsed, cov: cov})
			for f, blocks := range cov {
				sel.union[f] = append(sel.union[f], blocks...)
			}
		}
		os.Remove(bin)
	}
	if len(sel.tests) == 0 {
		return nil, 0, fmt.Errorf("%s has no tests to run on its mutants", strings.Join(opts.targetDirs(), ", "))
	}
	return sel, time.Since(start), nil
}

// listTests lists the top-level tests, examples and fuzz targets a test binary runs
// (go test runs fuzz targets on their seed corpus; benchmarks it does not run).
// run and skip, when not empty, are the -run and -skip patterns of go test, which
// choose top-level tests by their name's first element.
func listTests(ctx context.Context, bin, dir, run, skip string, extra []string) ([]string, error) {
	var skipRE *regexp.Regexp
	if skip != "" {
		re, err := regexp.Compile(strings.Split(skip, "/")[0])
		if err != nil {
			return nil, fmt.Errorf("-skip %q: %v", skip, err)
		}
		skipRE = re
	}
	if run == "" {
		run = ".*"
	}
	cmd := exec.CommandContext(ctx, bin, append([]string{"-test.list", strings.Split(run, "/")[0]}, extra...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		name := strings.TrimSpace(line)
		if skipRE != nil && skipRE.MatchString(name) {
			continue
		}
		if strings.HasPrefix(name, "Test") || strings.HasPrefix(name, "Example") || strings.HasPrefix(name, "Fuzz") {
			names = append(names, name)
		}
	}
	return names, nil
}

type binaryRun struct {
	status  MutationStatus // Survived (passed), Killed or TimedOut
	elapsed time.Duration
	output  string
}

// runBinary runs a test binary in dir under a time limit (the binary's own
// -test.timeout is set by the caller; limit+15s stops a binary that ignores it).
func runBinary(ctx context.Context, bin, dir string, limit time.Duration, args []string) binaryRun {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	r := binaryRun{elapsed: time.Since(start), output: out.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
		r.status = Survived
	case ctx.Err() == context.DeadlineExceeded || strings.Contains(r.output, "panic: test timed out"):
		r.status = TimedOut
	case errors.As(err, &exit):
		r.status = Killed
	default:
		r.status = Killed
		r.output += "\n" + err.Error()
	}
	return r
}

// covering returns the tests that execute the mutant's position, in the order they
// should run: the latest killers of the mutant's file first, then fastest first. A
// position that no block of the profile contains (a declaration, say) is run by every
// test, as in the whole-suite mode.
func (sel *selection) covering(m OpMutant) []*mutationTest {
	var out []*mutationTest
	in, _ := sel.union.at(m)
	for _, t := range sel.tests {
		if _, ran := t.cov.at(m); ran || !in {
			out = append(out, t)
		}
	}
	sel.mu.Lock()
	recent := slices.Clone(sel.killers[m.File])
	sel.mu.Unlock()
	rank := func(t *mutationTest) int {
		if i := slices.Index(recent, t.key()); i >= 0 {
			return i
		}
		return len(recent)
	}
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i].base < out[j].base
	})
	return out
}

// killedBy records that the test killed a mutant of file: it runs first on the next
// mutants of the file.
func (sel *selection) killedBy(file string, t *mutationTest) {
	sel.mu.Lock()
	defer sel.mu.Unlock()
	k := sel.killers[file]
	k = slices.DeleteFunc(k, func(s string) bool { return s == t.key() })
	k = append([]string{t.key()}, k...)
	if len(k) > 4 {
		k = k[:4]
	}
	sel.killers[file] = k
}

// runSelected runs one mutant in the selective mode in the worker's copy dir.
func runSelected(ctx context.Context, opts MutationOptions, sel *selection, dir, bindir string, m OpMutant) (res MutationResult, err error) {
	res.Mutant = m
	tests := sel.covering(m)
	target := filepath.Join(dir, filepath.FromSlash(m.File))
	orig, err := os.ReadFile(target)
	if err != nil {
		return res, err
	}
	mutated, err := m.Apply(orig)
	if err != nil {
		return res, err
	}
	if err := os.WriteFile(target, mutated, 0o644); err != nil {
		return res, err
	}
	defer func() {
		if werr := os.WriteFile(target, orig, 0o644); werr != nil && err == nil {
			err = fmt.Errorf("restoring %s in the copy after mutant %s: %v", m.File, m.ID(), werr)
		}
	}()
	start := time.Now()
	defer func() { res.Elapsed = time.Since(start) }()
	buildArgs := []string{"test", "-c", "-vet=off"}
	if vetMatters(m) {
		buildArgs = []string{"test", "-c"} // go test's own vet checks
	}

	built := map[string]string{}
	build := func(pkg string) (string, bool) {
		if bin, ok := built[pkg]; ok {
			return bin, true
		}
		bin := filepath.Join(bindir, strings.ReplaceAll(pkg, "/", "_")+".test")
		os.Remove(bin)
		b := gotool.Run(ctx, dir, gotool.DefaultTimeout, append(buildArgs, "-o", bin, "./"+pkg)...)
		res.Build += b.Elapsed
		if !b.OK() {
			return "", false
		}
		built[pkg] = bin
		return bin, true
	}
	// The mutated package is always built (and vetted, as go test does), even when only
	// other packages' tests run on it, so that a mutant that does not compile or that
	// vet refuses is not viable in both modes.
	if _, ok := build(opts.Pkg); !ok {
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		res.Status = NotViable
		return res, nil
	}
	res.Status = Survived
	_, _, rest := opts.binaryArgs()
	for _, t := range tests {
		bin, ok := build(t.pkg)
		if !ok {
			if ctx.Err() != nil {
				return res, ctx.Err()
			}
			res.Status = NotViable
			return res, nil
		}
		limit := opts.Timeout
		if limit <= 0 {
			limit = SelectiveLimit(t.base)
		}
		args := append([]string{"-test.run", "^" + regexp.QuoteMeta(t.name) + "$", "-test.count=1", "-test.failfast", "-test.timeout=" + limit.String()}, rest...)
		r := runBinary(ctx, bin, filepath.Join(dir, filepath.FromSlash(t.pkg)), limit+15*time.Second, args)
		res.Tests += r.elapsed
		res.TestsRun++
		if ctx.Err() != nil {
			return res, ctx.Err()
		}
		if r.status != Survived {
			res.Status = r.status
			res.Failed = []string{t.name}
			sel.killedBy(m.File, t)
			return res, nil
		}
	}
	return res, nil
}

// vetMatters reports whether go test's vet could refuse the mutant where it accepts the
// code without it. Of the checks go test runs (atomic, bool, buildtags, directive,
// errorsas, ifaceassert, nilfunc, printf, stringintconv, tests) only bool looks at what
// an operator changes: it refuses "x != a || x != b" (always true) and "x == a && x == b"
// (always false), and "x == a || x == a", which only a logical or an equality mutant can
// make. The others check types, call shapes, comments and test signatures, which no
// operator changes (they never touch a format call's arguments). Vet takes about a third
// of a mutant's build, so the other mutants build without it, with the same verdict.
func vetMatters(m OpMutant) bool { return m.Op == OpLogical || m.Op == OpEquality }

// targetDirs are the package directories whose tests run: opts.Pkg, then opts.With.
func (opts MutationOptions) targetDirs() []string {
	return append([]string{opts.Pkg}, opts.With...)
}

// binaryArgs turns the go test flags of opts.ExtraArgs into a test binary's: go test's
// own test flags get their -test. prefix (-run X becomes -test.run X), the tests' own
// flags (-seed=3) pass as they are. -run and -skip are returned apart (they choose the
// tests to list), and -count, -failfast and -timeout are dropped (each test's run sets
// its own).
func (opts MutationOptions) binaryArgs() (run, skip string, rest []string) {
	args := opts.ExtraArgs
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			rest = append(rest, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimLeft(a, "-"), "test."), "=")
		if !testFlags[name] {
			rest = append(rest, a)
			continue
		}
		if !hasValue && valueFlags[name] && i+1 < len(args) {
			i++
			value = args[i]
		}
		switch name {
		case "run":
			run = value
		case "skip":
			skip = value
		case "count", "failfast", "timeout":
		default:
			if hasValue || valueFlags[name] {
				rest = append(rest, "-test."+name+"="+value)
			} else {
				rest = append(rest, "-test."+name)
			}
		}
	}
	return run, skip, rest
}

var testFlags = map[string]bool{"run": true, "skip": true, "short": true, "v": true, "cpu": true, "parallel": true,
	"count": true, "shuffle": true, "failfast": true, "timeout": true}

// valueFlags are the test flags that take a value.
var valueFlags = map[string]bool{"run": true, "skip": true, "cpu": true, "parallel": true, "count": true, "shuffle": true, "timeout": true}

// at reports whether a block of the profile contains the mutant's position, and
// whether a test ran one that does.
func (c coverage) at(m OpMutant) (in, ran bool) {
	for _, b := range c[m.File] {
		after := m.Line > b.startLine || (m.Line == b.startLine && m.Col >= b.startCol)
		before := m.Line < b.endLine || (m.Line == b.endLine && m.Col < b.endCol)
		if after && before {
			in = true
			ran = ran || b.ran
		}
	}
	return in, ran
}
