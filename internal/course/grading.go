package course

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/gotool"
)

// GradingFile is the grading configuration at the root of the reference: the points
// of each part and the seeds that 'lab grade' runs.
const GradingFile = "grading.json"

// A GradingConfig is the content of GradingFile:
//
//	{
//	  "seeds": 10, "from": 1, "timeout": "10m", "visibility": "after_due_date",
//	  "points": {"1A": 4, "1B": 4, ...}
//	}
//
// A part without points is not graded.
type GradingConfig struct {
	Seeds      int                `json:"seeds"`      // each simulated test runs over seeds From..From+Seeds-1
	From       int64              `json:"from"`       // the first seed
	Timeout    string             `json:"timeout"`    // for the go test of one part
	Visibility string             `json:"visibility"` // Gradescope's, for every test entry
	Points     map[string]float64 `json:"points"`
}

// gradescopeVisibility are the values Gradescope's results.json takes for visibility.
var gradescopeVisibility = []string{"visible", "hidden", "after_due_date", "after_published"}

// LoadGrading reads and checks a grading configuration.
func LoadGrading(file string, c Course) (GradingConfig, error) {
	var g GradingConfig
	data, err := os.ReadFile(file)
	if err != nil {
		return g, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return g, fmt.Errorf("%s: %v; see docs/instructors.md for its fields", file, err)
	}
	if g.Seeds == 0 {
		g.Seeds = 1
	}
	if g.From == 0 {
		g.From = 1
	}
	if g.Timeout == "" {
		g.Timeout = "10m"
	}
	if g.Visibility == "" {
		g.Visibility = "visible"
	}
	switch {
	case g.Seeds < 1:
		return g, fmt.Errorf("%s: seeds is %d; give 1 or more", file, g.Seeds)
	case !hasString(gradescopeVisibility, g.Visibility):
		return g, fmt.Errorf("%s: visibility %q is not one of Gradescope's: %s", file, g.Visibility, strings.Join(gradescopeVisibility, ", "))
	}
	if d, err := time.ParseDuration(g.Timeout); err != nil || d <= 0 {
		return g, fmt.Errorf("%s: timeout %q is not a positive duration like \"10m\"", file, g.Timeout)
	}
	for name, pts := range g.Points {
		if _, ok := c.Index(name); !ok {
			return g, fmt.Errorf("%s: points for %v", file, c.unknownPart(name))
		}
		if pts < 0 {
			return g, fmt.Errorf("%s: part %s has %v points; give 0 or more", file, name, pts)
		}
	}
	return g, nil
}

// TimeoutDuration is the configuration's timeout, parsed (LoadGrading checked it).
func (g GradingConfig) TimeoutDuration() time.Duration {
	d, _ := time.ParseDuration(g.Timeout)
	return d
}

// GradedParts returns the parts with points, in course order.
func (g GradingConfig) GradedParts(c Course) []Part {
	var parts []Part
	for _, p := range c.Parts {
		if g.Points[p.Name] > 0 {
			parts = append(parts, p)
		}
	}
	return parts
}

// WriteGradingWorkspace writes into dst the module a student's copy is graded in: the
// reference's files (without the instructors'), with every lab package's non-test Go
// files taken from the student's copy, and nothing else of theirs. The tests, the
// harness and the simulator are the reference's, so that a copy cannot pass by
// changing them.
func WriteGradingWorkspace(root string, files []string, student, dst string, c Course) error {
	labDirs := map[string]bool{}
	for _, p := range c.Parts {
		labDirs[p.Dir] = true
	}
	studentOwns := func(f string) bool {
		return labDirs[path.Dir(f)] && strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go")
	}
	var keep []string
	for _, f := range files {
		if !IsInstructorFile(f) && !studentOwns(f) {
			keep = append(keep, f)
		}
	}
	outs, _, err := buildTree(root, keep, 0, c)
	if err != nil {
		return err
	}
	done := map[string]bool{}
	for _, p := range c.Parts {
		if done[p.Dir] {
			continue
		}
		done[p.Dir] = true // each directory once, in course order
		entries, err := os.ReadDir(filepath.Join(student, filepath.FromSlash(p.Dir)))
		if err != nil {
			continue // the copy has no such package: its parts get no points
		}
		for _, e := range entries {
			f := p.Dir + "/" + e.Name()
			if !e.Type().IsRegular() || !studentOwns(f) {
				continue
			}
			data, err := os.ReadFile(filepath.Join(student, filepath.FromSlash(f)))
			if err != nil {
				return err
			}
			outs = append(outs, outFile{path: f, data: data, perm: 0o644})
		}
	}
	return writeTree(dst, outs)
}

// A GradedTest is one test of a graded part.
type GradedTest struct {
	Name   string
	Passed bool
	Output string // for a failed test, the end of its output (seed, replay command, timeline)
}

// A PartGrade is how one part of a copy did.
type PartGrade struct {
	Part     Part
	Max      float64
	Score    float64
	Tests    []GradedTest
	Problem  string // why no test ran (the package does not build, a time-out), or ""
	Command  string
	Elapsed  time.Duration
	TimedOut bool
}

// Passed counts the tests that passed on every seed.
func (g PartGrade) Passed() int {
	n := 0
	for _, t := range g.Tests {
		if t.Passed {
			n++
		}
	}
	return n
}

// GradePart runs the tests of one part in a grading workspace over the configured
// seeds. A test counts only if it passes on every seed; the part's points are shared
// equally among its tests.
func GradePart(ctx context.Context, dir string, p Part, g GradingConfig) PartGrade {
	timeout := g.TimeoutDuration()
	// -trimpath: the workspace is a new directory each time, and without it the build
	// cache would miss on every package of the module.
	args := []string{"test", "-trimpath", "./" + p.Dir, "-count=1", "-json", "-timeout=" + timeout.String(),
		"-run", p.Name + "$", fmt.Sprintf("-seed=%d", g.From), fmt.Sprintf("-seeds=%d", g.Seeds)}
	pg := PartGrade{Part: p, Max: g.Points[p.Name]}
	// The tests of the part, listed first: a test that never reports (a panic ends the
	// test binary before it runs) counts as failed, not as absent.
	list := gotool.Run(ctx, dir, timeout, "test", "-trimpath", "./"+p.Dir, "-count=1", "-list", p.Name+"$")
	var want []string
	for _, l := range strings.Split(string(list.Stdout), "\n") {
		if strings.HasPrefix(l, "Test") {
			want = append(want, strings.TrimSpace(l))
		}
	}
	r := gotool.Run(ctx, dir, timeout+time.Minute, args...)
	pg.Command, pg.Elapsed, pg.TimedOut = r.Command(), list.Elapsed+r.Elapsed, r.TimedOut
	pg.Tests = gradedTests(r.Stdout)
	seen := map[string]bool{}
	for _, t := range pg.Tests {
		seen[t.Name] = true
	}
	for _, name := range want {
		if !seen[name] && len(pg.Tests) > 0 {
			pg.Tests = append(pg.Tests, GradedTest{Name: name, Output: "did not run: the test binary ended before it (a panic, or the time-out, in an earlier test)"})
		}
	}
	if len(pg.Tests) == 0 {
		switch {
		case r.TimedOut:
			pg.Problem = fmt.Sprintf("stopped after %v (timeout)", r.Elapsed.Round(time.Second))
		case r.OK():
			pg.Problem = "no test of " + p.Name + " ran"
		default:
			pg.Problem = "the package does not build, or its tests do not start:\n" + r.Describe()
		}
		return pg
	}
	pg.Score = pg.Max * float64(pg.Passed()) / float64(len(pg.Tests))
	return pg
}

// gradedTests reads a go test -json stream into its top-level tests, in the order they
// ran, with the output of those that failed.
func gradedTests(stream []byte) []GradedTest {
	var tests []GradedTest
	index := map[string]int{}
	outputs := map[string]*strings.Builder{}
	sc := bufio.NewScanner(bytes.NewReader(stream))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var ev gotool.Event
		if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.Test == "" {
			continue
		}
		top, _, _ := strings.Cut(ev.Test, "/")
		if _, ok := index[top]; !ok {
			index[top] = len(tests)
			tests = append(tests, GradedTest{Name: top})
			outputs[top] = &strings.Builder{}
		}
		switch {
		case ev.Action == "output":
			outputs[top].WriteString(ev.Output)
		case ev.Action == "pass" && ev.Test == top:
			tests[index[top]].Passed = true
		}
	}
	for i, t := range tests {
		if !t.Passed {
			tests[i].Output = gotool.Tail(strings.TrimRight(outputs[t.Name].String(), "\n"), 40)
		}
	}
	return tests
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
