package course

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"protolab/internal/gotool"
)

// A StepStatus is how one column of a check row came out.
type StepStatus int

const (
	StepSkipped StepStatus = iota // not run: nothing to check, or an earlier step failed
	StepOK
	StepFailed
)

// A Step is one column of a check row.
type Step struct {
	Status  StepStatus
	Summary string // short, for the table: "ok", "ok (3 tests)", "FAIL", "-"
	Detail  string // for a failed step: the command and the end of its output
}

// A CheckRow is the verdict on the skeleton up to one part.
type CheckRow struct {
	Part      Part
	NotRun    string // when set, the part could not be checked, and this says why
	BuildVet  Step   // go build ./... and go vet ./... pass
	Earlier   Step   // the tests of the earlier parts of the same package pass, over every seed
	PartFails Step   // the tests of the part exist and fail
	// Reference is checked for the last part of a package only (skipped on
	// the other rows): the reference, with nothing stubbed, passes the tests
	// of every part of the package over every seed. The next part's row
	// checks the same of the earlier parts of the others.
	Reference Step
	Elapsed   time.Duration
}

// OK reports whether the skeleton up to the part has the property the course needs.
func (r CheckRow) OK() bool {
	return r.NotRun == "" && r.BuildVet.Status == StepOK && r.Earlier.Status != StepFailed && r.PartFails.Status == StepOK &&
		r.Reference.Status != StepFailed
}

// CheckOptions says what CheckSkeleton checks.
type CheckOptions struct {
	Root    string        // the module root of the reference solution
	Course  Course        // the course table
	Parts   []Part        // the parts to check; nil means every part that can be
	Timeout time.Duration // for each go command (for each seed of a sweep); zero means gotool.DefaultTimeout
	// Seeds is how many seeds the passing tests run over (go test -seeds=K,
	// from seed 1): a part must hold on every seed, not only the first. Zero
	// or one means one seed. The tests that must fail run over one seed.
	// SeedsFor overrides Seeds for the packages it names (by directory):
	// some packages' tests cost seconds a seed.
	Seeds    int
	SeedsFor map[string]int
	// Workers is how many parts are checked at once, each in a copy of its
	// own (zero or one: one at a time). The rows come out in course order
	// whatever the order they finish in.
	Workers int
	// NoReference leaves out the reference's sweep on the last part of each
	// package (the Reference column), for a run whose reference has just been
	// swept over at least as many seeds by lab stress at the same commit: the
	// same code, tests and seeds give the same runs, so the deep check need
	// not pay for them twice.
	NoReference bool
	Report      func(CheckRow) // if set, called with each row, in course order
}

// CheckResult is the outcome of CheckSkeleton.
type CheckResult struct {
	Rows    []CheckRow
	Skipped []Part // parts left out because their package or their regions do not exist yet
}

// OK reports whether every row is right.
func (r CheckResult) OK() bool {
	for _, row := range r.Rows {
		if !row.OK() {
			return false
		}
	}
	return true
}

// CheckSkeleton checks the property that makes the course step by step: for each part
// P, the skeleton up to P builds and vets, the tests of the earlier parts of P's
// package pass in it over opts.Seeds seeds, and the tests of P exist and fail in it.
// For the last part of a package, the reference must also pass the tests of every
// part of the package over opts.Seeds seeds: what a learner holds once that part is
// done.
//
// Without explicit parts, every part whose package directory exists and that has at
// least one region is checked; the others are listed in Skipped. An explicit part that
// cannot be checked gets a failed row. A marker error anywhere is returned as an error
// before anything is run.
func CheckSkeleton(ctx context.Context, opts CheckOptions) (CheckResult, error) {
	var res CheckResult
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = gotool.DefaultTimeout
	}
	files, err := ListFiles(opts.Root, true)
	if err != nil {
		return res, err
	}
	// The skeletons are checked as a learner gets them: without the reference's
	// tests of its own private structures, which do not compile there.
	files = slices.DeleteFunc(files, func(f string) bool { return strings.HasSuffix(f, ReferenceTestSuffix) })
	marked, err := ScanMarkers(opts.Root, files, opts.Course)
	if err != nil {
		return res, err
	}
	withRegions := PartsWithRegions(marked)

	parts, explicit := opts.Parts, opts.Parts != nil
	if !explicit {
		parts = opts.Course.Parts
	}
	var todo []CheckRow
	for _, p := range parts {
		why := ""
		if info, err := os.Stat(filepath.Join(opts.Root, filepath.FromSlash(p.Dir))); err != nil || !info.IsDir() {
			why = fmt.Sprintf("no package directory %s/", p.Dir)
		} else if !withRegions[p.Name] {
			why = fmt.Sprintf("no //lab:solution %s region", p.Name)
		}
		switch {
		case why == "":
			todo = append(todo, CheckRow{Part: p})
		case explicit:
			todo = append(todo, CheckRow{Part: p, NotRun: why})
		default:
			res.Skipped = append(res.Skipped, p)
		}
	}
	if len(todo) == 0 {
		return res, nil
	}

	tmp, err := os.MkdirTemp("", "protolab-skeleton-check-*")
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(tmp)

	// Parts are independent: each worker writes its copies into a directory
	// of its own and checks them there. done[i] is closed when row i is in;
	// rows are reported in course order as soon as every earlier one is.
	workers := min(max(opts.Workers, 1), len(todo))
	rows := make([]CheckRow, len(todo))
	done := make([]chan struct{}, len(todo))
	for i := range done {
		done[i] = make(chan struct{})
	}
	next := make(chan int)
	go func() {
		defer close(next)
		for i := range todo {
			if ctx.Err() != nil {
				return
			}
			next <- i
		}
	}()
	for w := 0; w < workers; w++ {
		dir := filepath.Join(tmp, fmt.Sprint(w))
		go func() {
			for i := range next {
				row := todo[i]
				if row.NotRun == "" && ctx.Err() == nil {
					last := opts.Course.lastOf(row.Part.Dir, withRegions) == row.Part.Name
					row = checkPart(ctx, opts, files, dir, row.Part, last, timeout)
				}
				rows[i] = row
				close(done[i])
			}
		}()
	}
	for i := range todo {
		select {
		case <-done[i]:
		case <-ctx.Done():
			// The workers stop at their next part; the copies they
			// write are removed with tmp once they do.
			return res, ctx.Err()
		}
		res.Rows = append(res.Rows, rows[i])
		if opts.Report != nil {
			opts.Report(rows[i])
		}
	}
	return res, ctx.Err()
}

// checkPart writes the skeleton up to p into dir (the same directory for every part,
// so that the build cache serves the packages a part does not touch) and checks it.
// last says that p is the last part of its package (with regions): the reference
// then passes the tests of the whole package.
func checkPart(ctx context.Context, opts CheckOptions, files []string, dir string, p Part, last bool, timeout time.Duration) (row CheckRow) {
	start := time.Now()
	row.Part = p
	defer func() { row.Elapsed = time.Since(start) }()
	skip := Step{Status: StepSkipped, Summary: "-"}
	row.Earlier, row.PartFails, row.Reference = skip, skip, skip

	if _, err := WriteSkeleton(opts.Root, files, dir, p.Name, opts.Course); err != nil {
		row.BuildVet = Step{Status: StepFailed, Summary: "FAIL (skeleton)", Detail: err.Error() + "\n"}
		return row
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		r := gotool.Run(ctx, dir, timeout, args...)
		if !r.OK() {
			row.BuildVet = Step{Status: StepFailed, Summary: "FAIL (" + args[0] + ")", Detail: r.Describe()}
			return row
		}
	}
	row.BuildVet = Step{Status: StepOK, Summary: "ok"}

	pkg := "./" + p.Dir
	testArgs := func(pattern string) []string {
		return []string{"test", pkg, "-count=1", "-json", "-timeout=" + timeout.String(), "-run", pattern}
	}
	seeds := opts.Seeds
	if k, ok := opts.SeedsFor[p.Dir]; ok {
		seeds = k
	}
	seeds = max(seeds, 1)
	mustPass := func(dir string, parts []Part) Step {
		names := make([]string, len(parts))
		for i, e := range parts {
			names[i] = e.Name
		}
		// The time limit is per seed: a sweep takes K times as long as one run.
		limit := timeout * time.Duration(seeds)
		args := []string{"test", pkg, "-count=1", "-json", "-timeout=" + limit.String(), "-run", "(" + strings.Join(names, "|") + ")$"}
		if seeds > 1 {
			args = append(args, fmt.Sprintf("-seeds=%d", seeds))
		}
		r := gotool.Run(ctx, dir, limit+30*time.Second, args...)
		rep := gotool.ParseTestJSON(r.Stdout)
		if r.OK() {
			return Step{Status: StepOK, Summary: fmt.Sprintf("ok (%s%s)", plural(len(rep.Ran), "test"), seedNote(seeds))}
		}
		return Step{Status: StepFailed, Summary: "FAIL " + failedOrWhy(rep, r), Detail: r.Describe() + failedSeeds(p.Dir, rep)}
	}
	if earlier := opts.Course.Before(p.Name); len(earlier) > 0 {
		row.Earlier = mustPass(dir, earlier)
	}
	switch {
	case last && opts.NoReference:
		row.Reference = Step{Status: StepSkipped, Summary: "- (--no-reference)"}
	case last:
		row.Reference = mustPass(opts.Root, append(opts.Course.Before(p.Name), p))
	}

	r := gotool.Run(ctx, dir, timeout+30*time.Second, testArgs(p.Name+"$")...)
	rep := gotool.ParseTestJSON(r.Stdout)
	switch {
	case rep.BuildFail:
		row.PartFails = Step{Status: StepFailed, Summary: "FAIL (tests do not build)", Detail: r.Describe()}
	case len(rep.Ran) == 0 && !r.OK():
		row.PartFails = Step{Status: StepFailed, Summary: "FAIL " + failedOrWhy(rep, r), Detail: r.Describe()}
	case len(rep.Ran) == 0:
		row.PartFails = Step{Status: StepFailed, Summary: "FAIL (no tests of " + p.Name + ")",
			Detail: fmt.Sprintf("no test in %s/ has a name ending in %s; name the tests of part %s like TestSomething%s\n", p.Dir, p.Name, p.Name, p.Name)}
	case r.OK():
		row.PartFails = Step{Status: StepFailed, Summary: fmt.Sprintf("FAIL (all %d pass)", len(rep.Ran)),
			Detail: fmt.Sprintf("%s passes in the skeleton up to %s: the stubs of %s leave nothing for its tests to catch\n", r.Command(), p.Name, p.Name)}
	case r.TimedOut:
		row.PartFails = Step{Status: StepOK, Summary: "ok (timeout)"}
	default:
		row.PartFails = Step{Status: StepOK, Summary: fmt.Sprintf("ok (%d of %d fail)", len(rep.Failed), len(rep.Ran))}
	}
	return row
}

// failedOrWhy names the failed tests of a go test run, or says why it failed without
// a failing test.
func failedOrWhy(rep gotool.Report, r gotool.Result) string {
	switch {
	case len(rep.Failed) > 0:
		return firstFew(rep.Failed, 2)
	case r.TimedOut || strings.Contains(rep.Output, "panic: test timed out after"):
		return "(timeout)"
	}
	return fmt.Sprintf("(exit status %d)", r.ExitCode)
}

// ParseSeeds reads a --seeds value: a number of seeds for every package,
// optionally followed by exceptions for some packages by directory, as in
// "20,gossip=2,chash=3".
func ParseSeeds(value string) (seeds int, seedsFor map[string]int, err error) {
	bad := func(why string) (int, map[string]int, error) {
		return 0, nil, fmt.Errorf("%q: %s; write a number of seeds, optionally followed by exceptions per package, as in 20,gossip=2", value, why)
	}
	for i, item := range strings.Split(value, ",") {
		item = strings.TrimSpace(item)
		dir, num, isPair := strings.Cut(item, "=")
		if !isPair {
			num = item
		}
		var k int
		if _, err := fmt.Sscanf(num, "%d", &k); err != nil || fmt.Sprint(k) != num || k < 1 {
			return bad(fmt.Sprintf("%q is not a positive number of seeds", num))
		}
		switch {
		case !isPair && i == 0:
			seeds = k
		case !isPair:
			return bad("only the first item is a plain number")
		case dir == "":
			return bad("an exception needs a package directory before the =")
		default:
			if seedsFor == nil {
				seedsFor = map[string]int{}
			}
			seedsFor[dir] = k
		}
	}
	if seeds == 0 {
		seeds = 1
	}
	return seeds, seedsFor, nil
}

// seedNote is how a summary says over how many seeds its tests ran.
func seedNote(seeds int) string {
	if seeds <= 1 {
		return ""
	}
	return fmt.Sprintf(" × %d seeds", seeds)
}

// failedSeeds lists the failed runs of a seed sweep (TestX/seed=N), which the
// end of the output may not show, each with the command that replays it.
func failedSeeds(dir string, rep gotool.Report) string {
	if len(rep.FailedRuns) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "failed runs (%d):\n", len(rep.FailedRuns))
	for i, run := range rep.FailedRuns {
		if i == 20 {
			fmt.Fprintf(&b, "  ... and %d more\n", len(rep.FailedRuns)-i)
			break
		}
		test, seed, _ := strings.Cut(run, "/seed=")
		fmt.Fprintf(&b, "  %s seed %s: go test ./%s -run '^%s$' -seed=%s\n", test, seed, dir, test, seed)
	}
	return b.String()
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// firstFew lists up to n names, and how many more there are.
func firstFew(names []string, n int) string {
	if len(names) == 0 {
		return ""
	}
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s, +%d more", strings.Join(names[:n], ", "), len(names)-n)
}
