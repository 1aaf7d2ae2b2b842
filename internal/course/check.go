package course

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
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
	Earlier   Step   // the tests of the earlier parts of the same package pass
	PartFails Step   // the tests of the part exist and fail
	Elapsed   time.Duration
}

// OK reports whether the skeleton up to the part has the property the course needs.
func (r CheckRow) OK() bool {
	return r.NotRun == "" && r.BuildVet.Status == StepOK && r.Earlier.Status != StepFailed && r.PartFails.Status == StepOK
}

// CheckOptions says what CheckSkeleton checks.
type CheckOptions struct {
	Root    string         // the module root of the reference solution
	Course  Course         // the course table
	Parts   []Part         // the parts to check; nil means every part that can be
	Timeout time.Duration  // for each go command; zero means DefaultTimeout
	Report  func(CheckRow) // if set, called as each row is done
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
// package pass in it, and the tests of P exist and fail in it.
//
// Without explicit parts, every part whose package directory exists and that has at
// least one region is checked; the others are listed in Skipped. An explicit part that
// cannot be checked gets a failed row. A marker error anywhere is returned as an error
// before anything is run.
func CheckSkeleton(ctx context.Context, opts CheckOptions) (CheckResult, error) {
	var res CheckResult
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	files, err := ListFiles(opts.Root, true)
	if err != nil {
		return res, err
	}
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
	for _, row := range todo {
		if row.NotRun == "" {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			row = checkPart(ctx, opts, files, tmp, row.Part, timeout)
		}
		res.Rows = append(res.Rows, row)
		if opts.Report != nil {
			opts.Report(row)
		}
	}
	return res, ctx.Err()
}

// checkPart writes the skeleton up to p into dir (the same directory for every part,
// so that the build cache serves the packages a part does not touch) and checks it.
func checkPart(ctx context.Context, opts CheckOptions, files []string, dir string, p Part, timeout time.Duration) (row CheckRow) {
	start := time.Now()
	row.Part = p
	defer func() { row.Elapsed = time.Since(start) }()
	skip := Step{Status: StepSkipped, Summary: "-"}
	row.Earlier, row.PartFails = skip, skip

	if _, err := WriteSkeleton(opts.Root, files, dir, p.Name, opts.Course); err != nil {
		row.BuildVet = Step{Status: StepFailed, Summary: "FAIL (skeleton)", Detail: err.Error() + "\n"}
		return row
	}
	for _, args := range [][]string{{"build", "./..."}, {"vet", "./..."}} {
		r := runGo(ctx, dir, timeout, args...)
		if !r.ok() {
			row.BuildVet = Step{Status: StepFailed, Summary: "FAIL (" + args[0] + ")", Detail: r.describe()}
			return row
		}
	}
	row.BuildVet = Step{Status: StepOK, Summary: "ok"}

	pkg := "./" + p.Dir
	testArgs := func(pattern string) []string {
		return []string{"test", pkg, "-count=1", "-json", "-timeout=" + timeout.String(), "-run", pattern}
	}
	if earlier := opts.Course.Before(p.Name); len(earlier) > 0 {
		names := make([]string, len(earlier))
		for i, e := range earlier {
			names[i] = e.Name
		}
		r := runGo(ctx, dir, timeout+30*time.Second, testArgs("("+strings.Join(names, "|")+")$")...)
		rep := parseTestJSON(r.stdout)
		if r.ok() {
			row.Earlier = Step{Status: StepOK, Summary: fmt.Sprintf("ok (%s)", plural(len(rep.ran), "test"))}
		} else {
			row.Earlier = Step{Status: StepFailed, Summary: "FAIL " + failedOrWhy(rep, r), Detail: r.describe()}
		}
	}

	r := runGo(ctx, dir, timeout+30*time.Second, testArgs(p.Name+"$")...)
	rep := parseTestJSON(r.stdout)
	switch {
	case rep.buildFail:
		row.PartFails = Step{Status: StepFailed, Summary: "FAIL (tests do not build)", Detail: r.describe()}
	case len(rep.ran) == 0 && !r.ok():
		row.PartFails = Step{Status: StepFailed, Summary: "FAIL " + failedOrWhy(rep, r), Detail: r.describe()}
	case len(rep.ran) == 0:
		row.PartFails = Step{Status: StepFailed, Summary: "FAIL (no tests of " + p.Name + ")",
			Detail: fmt.Sprintf("no test in %s/ has a name ending in %s; name the tests of part %s like TestSomething%s\n", p.Dir, p.Name, p.Name, p.Name)}
	case r.ok():
		row.PartFails = Step{Status: StepFailed, Summary: fmt.Sprintf("FAIL (all %d pass)", len(rep.ran)),
			Detail: fmt.Sprintf("%s passes in the skeleton up to %s: the stubs of %s leave nothing for its tests to catch\n", r.command(), p.Name, p.Name)}
	case r.timedOut:
		row.PartFails = Step{Status: StepOK, Summary: "ok (timeout)"}
	default:
		row.PartFails = Step{Status: StepOK, Summary: fmt.Sprintf("ok (%d of %d fail)", len(rep.failed), len(rep.ran))}
	}
	return row
}

// failedOrWhy names the failed tests of a go test run, or says why it failed without
// a failing test.
func failedOrWhy(rep testReport, r goResult) string {
	switch {
	case len(rep.failed) > 0:
		return firstFew(rep.failed, 2)
	case r.timedOut:
		return "(timeout)"
	}
	return fmt.Sprintf("(exit status %d)", r.exitCode)
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
