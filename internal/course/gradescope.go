package course

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"time"
)

// GradeOptions say which copy 'lab grade' grades, and how.
type GradeOptions struct {
	Root    string // the module root of the reference, whose tests and harness are trusted
	Student string // the root of the student's copy
	Config  GradingConfig
	Parts   []Part // the parts to grade, each with points
	Course  Course
	Report  func(PartGrade) // called as each part is graded, or nil
}

// Grade grades a student's copy part by part in a workspace of the reference's files
// in which only the lab packages' non-test Go files come from the copy
// (WriteGradingWorkspace). Its error means it could not grade.
func Grade(ctx context.Context, o GradeOptions) ([]PartGrade, error) {
	files, err := ListFiles(o.Root, false)
	if err != nil {
		return nil, fmt.Errorf("listing the module's files: %v", err)
	}
	work, err := os.MkdirTemp("", "lab-grade-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(work)
	if err := WriteGradingWorkspace(o.Root, files, o.Student, work, o.Course); err != nil {
		return nil, fmt.Errorf("building the grading workspace: %v", err)
	}
	var grades []PartGrade
	for _, p := range o.Parts {
		if ctx.Err() != nil {
			return grades, fmt.Errorf("interrupted")
		}
		pg := GradePart(ctx, work, p, o.Config)
		grades = append(grades, pg)
		if o.Report != nil {
			o.Report(pg)
		}
	}
	return grades, nil
}

// PartsToGrade returns the parts 'lab grade' grades: those of only (comma-separated,
// like 1A,1B), each of which must have points, or when only is "" every part with
// points. config names the configuration file, for the errors.
func (g GradingConfig) PartsToGrade(c Course, only, config string) ([]Part, error) {
	parts := g.GradedParts(c)
	if only != "" {
		chosen, err := c.ParseParts(only)
		if err != nil {
			return nil, fmt.Errorf("--parts: %v", err)
		}
		for _, p := range chosen {
			if g.Points[p.Name] <= 0 {
				return nil, fmt.Errorf("--parts: part %s has no points in %s", p.Name, config)
			}
		}
		parts = chosen
	}
	if len(parts) == 0 {
		return nil, fmt.Errorf("%s gives no part any points", config)
	}
	return parts, nil
}

// GradescopeResults is the results.json that Gradescope's autograder reads (its
// documented "Autograder Specifications": a top-level score and a tests array).
type GradescopeResults struct {
	Score            float64          `json:"score"`
	ExecutionTime    int              `json:"execution_time"` // seconds
	Output           string           `json:"output"`
	OutputFormat     string           `json:"output_format"`
	TestOutputFormat string           `json:"test_output_format"`
	Visibility       string           `json:"visibility"`
	StdoutVisibility string           `json:"stdout_visibility"`
	Tests            []GradescopeTest `json:"tests"`
}

// A GradescopeTest is one entry of results.json: here, one part.
type GradescopeTest struct {
	Name         string   `json:"name"`
	Number       string   `json:"number"`
	Score        float64  `json:"score"`
	MaxScore     float64  `json:"max_score"`
	Status       string   `json:"status"` // "passed" or "failed"
	Output       string   `json:"output"`
	OutputFormat string   `json:"output_format"`
	Visibility   string   `json:"visibility"`
	Tags         []string `json:"tags"`
}

// Results turns the grades into Gradescope's results: one test entry per part.
func Results(grades []PartGrade, g GradingConfig, elapsed time.Duration) GradescopeResults {
	res := GradescopeResults{ExecutionTime: int(math.Ceil(elapsed.Seconds())), OutputFormat: "text", TestOutputFormat: "text",
		Visibility: g.Visibility, StdoutVisibility: "hidden", Tests: []GradescopeTest{}}
	var summary strings.Builder
	fmt.Fprintf(&summary, "Each part's tests ran over seeds %d..%d; a test counts if it passes on every seed.\n", g.From, g.From+int64(g.Seeds)-1)
	for i, pg := range grades {
		score := math.Round(pg.Score*100) / 100
		res.Score += score
		t := GradescopeTest{Name: fmt.Sprintf("Part %s (%s/)", pg.Part.Name, pg.Part.Dir), Number: fmt.Sprint(i + 1),
			Score: score, MaxScore: pg.Max, Status: "passed", OutputFormat: "text", Visibility: g.Visibility,
			Tags: []string{pg.Part.Dir}}
		if score < pg.Max {
			t.Status = "failed"
		}
		var out strings.Builder
		if pg.Problem != "" {
			fmt.Fprintf(&out, "%s\n", pg.Problem)
		} else {
			fmt.Fprintf(&out, "%d of %d tests pass on every seed.\n", pg.Passed(), len(pg.Tests))
		}
		for _, test := range pg.Tests {
			if test.Passed {
				fmt.Fprintf(&out, "ok   %s\n", test.Name)
			}
		}
		for _, test := range pg.Tests {
			if !test.Passed {
				fmt.Fprintf(&out, "\nFAIL %s\n%s\n", test.Name, test.Output)
			}
		}
		t.Output = out.String()
		res.Tests = append(res.Tests, t)
	}
	res.Score = math.Round(res.Score*100) / 100
	fmt.Fprintf(&summary, "Total: %s points.\n", Points(res.Score, TotalPoints(grades)))
	res.Output = summary.String()
	return res
}

// Points writes a score out of max, as the points table does: "7.5 / 10".
func Points(score, max float64) string {
	trim := func(x float64) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", x), "0"), ".") }
	return trim(score) + " / " + trim(max)
}

// TotalPoints is the most the graded parts give.
func TotalPoints(grades []PartGrade) float64 {
	total := 0.0
	for _, g := range grades {
		total += g.Max
	}
	return total
}
