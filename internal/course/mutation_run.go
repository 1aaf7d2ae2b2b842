package course

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"protolab/internal/gotool"
)

// A MutationStatus is what became of one operator mutant.
type MutationStatus int

const (
	Survived   MutationStatus = iota // every test passed
	Killed                           // a test failed
	TimedOut                         // the tests ran past the time limit (counted as killed by some tools; reported apart here)
	NotCovered                       // no test runs the line, so the mutant was not run
	NotViable                        // the mutant does not compile
)

func (s MutationStatus) String() string {
	switch s {
	case Killed:
		return "killed"
	case TimedOut:
		return "timed out"
	case NotCovered:
		return "not covered"
	case NotViable:
		return "not viable"
	}
	return "SURVIVED"
}

// A MutationResult is the outcome of one operator mutant.
type MutationResult struct {
	Mutant  OpMutant
	Status  MutationStatus
	Failed  []string // the top-level tests that failed (the first, with -failfast)
	Elapsed time.Duration
	// Where the time went: compiling and linking the test binaries, and the tests
	// (in the whole-suite mode, the tests' own times as go test reports them), and how
	// many top-level tests ran.
	Build, Tests time.Duration
	TestsRun     int
}

// MutationOptions says how RunMutation runs a package's operator mutants.
type MutationOptions struct {
	Root      string // the module root
	Pkg       string // the package directory, relative to Root
	Mutants   []OpMutant
	With      []string      // more package directories whose tests run on each mutant (and count for coverage)
	Workers   int           // module copies run in parallel; 2 when 0
	Timeout   time.Duration // per mutant (per test in the selective mode); when 0, twice the baseline plus 30s (SelectiveLimit of the test's baseline)
	Whole     bool          // run the whole suite on each mutant, in one go test (the mode before the selective one; for comparison)
	ExtraArgs []string      // appended to go test
	Report    func(MutationResult)
}

// A MutationRun is the outcome of RunMutation.
type MutationRun struct {
	Baseline time.Duration    // the tests of the package without mutants, with coverage
	Timeout  time.Duration    // the time limit each mutant had (0 in the selective mode without opts.Timeout: each test's own)
	Tests    int              // top-level tests in the selective mode's baseline
	Results  []MutationResult // in the order of opts.Mutants
}

// Count returns how many results have the status.
func (r MutationRun) Count(s MutationStatus) int {
	n := 0
	for _, x := range r.Results {
		if x.Status == s {
			n++
		}
	}
	return n
}

// RunMutation runs the package's tests against each mutant. It copies the module once
// per worker into a temporary directory (the source tree is never written, so an
// interrupted run leaves it as it was), runs the tests there once without mutants and
// with coverage, marks the mutants on lines no test runs as not covered, and then gives
// the others to the workers, which write one mutant into their copy, test it and put
// the file back. By default a mutant runs only the tests that execute its line, one at
// a time (mutation_select.go); with opts.Whole it runs
//
//	go test ./PKG -count=1 -failfast -json -timeout=T [ExtraArgs]
//
// the whole suite at once.
func RunMutation(ctx context.Context, opts MutationOptions) (MutationRun, error) {
	var run MutationRun
	workers := opts.Workers
	if workers <= 0 {
		workers = 2
	}
	copies, cleanup, err := workerCopies(opts.Root, workers, "protolab-mutation-*")
	defer cleanup()
	if err != nil {
		return run, err
	}

	var cov coverage
	var sel *selection
	bindirs := make([]string, workers)
	if opts.Whole {
		// The baseline, with coverage of the package itself: the tests reach most of its
		// code through the simulator, which -coverpkg counts.
		profile := filepath.Join(copies[0], ".mutation-cover.out")
		base := gotool.Run(ctx, copies[0], gotool.DefaultTimeout, append(append(append([]string{"test"}, opts.targets()...), "-count=1", "-json",
			"-coverpkg=./"+opts.Pkg, "-coverprofile="+profile), opts.ExtraArgs...)...)
		run.Baseline = base.Elapsed
		if !base.OK() {
			return run, fmt.Errorf("the tests of %s fail without any mutant, so no mutant can be judged; fix them first.\n%s", opts.Pkg, base.Describe())
		}
		if cov, err = readCoverProfile(profile, copies[0]); err != nil {
			return run, err
		}
		os.Remove(profile)
		run.Timeout = opts.Timeout
		if run.Timeout <= 0 {
			run.Timeout = 2*base.Elapsed + 30*time.Second
		}
	} else {
		// The test binaries live beside the copies, not in them.
		for w := range workers {
			d, err := os.MkdirTemp("", "protolab-mutation-bin-*")
			if err != nil {
				return run, err
			}
			defer os.RemoveAll(d)
			bindirs[w] = d
		}
		if sel, run.Baseline, err = selectiveBaseline(ctx, opts, copies[0], bindirs[0]); err != nil {
			return run, err
		}
		cov = sel.union
		run.Timeout = opts.Timeout
		run.Tests = len(sel.tests)
	}

	run.Results = make([]MutationResult, len(opts.Mutants))
	var mu sync.Mutex
	report := func(i int, r MutationResult) {
		mu.Lock()
		defer mu.Unlock()
		run.Results[i] = r
		if opts.Report != nil {
			opts.Report(r)
		}
	}
	todo := make(chan int)
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				if errs[w] != nil || ctx.Err() != nil {
					continue
				}
				var r MutationResult
				var err error
				if opts.Whole {
					r, err = runOpMutant(ctx, opts, copies[w], run.Timeout, opts.Mutants[i])
				} else {
					r, err = runSelected(ctx, opts, sel, copies[w], bindirs[w], opts.Mutants[i])
				}
				if err != nil {
					errs[w] = err
					continue
				}
				report(i, r)
			}
		}()
	}
	for i, m := range opts.Mutants {
		if !cov.covers(m) {
			report(i, MutationResult{Mutant: m, Status: NotCovered})
			continue
		}
		select {
		case todo <- i:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(todo)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return run, err
		}
	}
	return run, ctx.Err()
}

// targets are the packages go test runs: the mutated one, and opts.With.
func (opts MutationOptions) targets() []string {
	t := []string{"./" + opts.Pkg}
	for _, w := range opts.With {
		t = append(t, "./"+w)
	}
	return t
}

func runOpMutant(ctx context.Context, opts MutationOptions, dir string, timeout time.Duration, m OpMutant) (MutationResult, error) {
	target := filepath.Join(dir, filepath.FromSlash(m.File))
	orig, err := os.ReadFile(target)
	if err != nil {
		return MutationResult{}, err
	}
	mutated, err := m.Apply(orig)
	if err != nil {
		return MutationResult{}, err
	}
	if err := os.WriteFile(target, mutated, 0o644); err != nil {
		return MutationResult{}, err
	}
	r := gotool.Run(ctx, dir, timeout+15*time.Second, append(append(append([]string{"test"}, opts.targets()...), "-count=1", "-failfast", "-json",
		"-timeout="+timeout.String()), opts.ExtraArgs...)...)
	if err := os.WriteFile(target, orig, 0o644); err != nil {
		return MutationResult{}, fmt.Errorf("restoring %s in the copy after mutant %s: %v", m.File, m.ID(), err)
	}
	rep := gotool.ParseTestJSON(r.Stdout)
	res := MutationResult{Mutant: m, Failed: rep.Failed, Elapsed: r.Elapsed, TestsRun: len(rep.Ran)}
	res.Tests = testsTime(r.Stdout)
	res.Build = max(r.Elapsed-res.Tests, 0)
	switch {
	case r.OK():
		res.Status = Survived
	case rep.BuildFail:
		res.Status = NotViable
	case r.TimedOut || strings.Contains(rep.Output, "panic: test timed out"):
		res.Status = TimedOut
	default:
		res.Status = Killed
	}
	return res, nil
}

// testsTime adds up the Elapsed of the top-level tests' pass and fail events of a go
// test -json stream: the time the tests ran, without the build.
func testsTime(stream []byte) time.Duration {
	var total float64
	for _, line := range bytes.Split(stream, []byte("\n")) {
		if !bytes.HasPrefix(line, []byte("{")) {
			continue
		}
		var ev struct {
			Action, Test string
			Elapsed      float64
		}
		if json.Unmarshal(line, &ev) != nil || ev.Test == "" || strings.Contains(ev.Test, "/") {
			continue
		}
		if ev.Action == "pass" || ev.Action == "fail" {
			total += ev.Elapsed
		}
	}
	return time.Duration(total * float64(time.Second))
}

// coverage is a coverage profile: for each file (relative to the module root), the
// blocks of code and whether any test ran them.
type coverage map[string][]coverBlock

type coverBlock struct {
	startLine, startCol, endLine, endCol int
	ran                                  bool
}

// covers reports whether a test ran the code at the mutant's position. A position no
// block contains (a declaration, say) counts as covered, so that it is run.
func (c coverage) covers(m OpMutant) bool {
	in, ran := false, false
	for _, b := range c[m.File] {
		after := m.Line > b.startLine || (m.Line == b.startLine && m.Col >= b.startCol)
		before := m.Line < b.endLine || (m.Line == b.endLine && m.Col < b.endCol)
		if after && before {
			in = true
			ran = ran || b.ran
		}
	}
	return !in || ran
}

// readCoverProfile reads a profile written by go test -coverprofile. Its file names
// are import paths; they are turned into paths relative to the module root through the
// module path in the copy's go.mod.
func readCoverProfile(profile, copyDir string) (coverage, error) {
	modPath, err := modulePath(filepath.Join(copyDir, "go.mod"))
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(profile)
	if err != nil {
		return nil, fmt.Errorf("reading the coverage profile: %v", err)
	}
	cov := coverage{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "mode:") || line == "" {
			continue
		}
		// file.go:12.3,14.2 1 0
		name, rest, ok := strings.Cut(line, ":")
		fields := strings.Fields(rest)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("coverage profile: cannot read line %q", line)
		}
		var b coverBlock
		if _, err := fmt.Sscanf(fields[0], "%d.%d,%d.%d", &b.startLine, &b.startCol, &b.endLine, &b.endCol); err != nil {
			return nil, fmt.Errorf("coverage profile: cannot read line %q: %v", line, err)
		}
		count, err := strconv.Atoi(fields[2])
		if err != nil {
			return nil, fmt.Errorf("coverage profile: cannot read line %q: %v", line, err)
		}
		b.ran = count > 0
		rel := strings.TrimPrefix(strings.TrimPrefix(name, modPath), "/")
		cov[rel] = append(cov[rel], b)
	}
	return cov, sc.Err()
}

func modulePath(gomod string) (string, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if f := strings.Fields(l); len(f) == 2 && f[0] == "module" {
			return strings.Trim(f[1], `"`), nil
		}
	}
	return "", fmt.Errorf("%s has no module line", gomod)
}

// Sample picks n of the mutants, spread evenly over the list (so over the files and
// the operators alike), always the same ones for the same list. With n <= 0 or n at
// least the number of mutants, it returns them all.
func Sample(mutants []OpMutant, n int) []OpMutant {
	if n <= 0 || n >= len(mutants) {
		return mutants
	}
	out := make([]OpMutant, 0, n)
	for i := range n {
		out = append(out, mutants[i*len(mutants)/n])
	}
	return out
}
