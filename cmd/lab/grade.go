package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/course"
)

type gradeFlags struct {
	config  string
	results string
	seeds   int
	from    int64
	parts   string
	json    bool
}

func newGradeFlags() (*flag.FlagSet, *gradeFlags) {
	f := &gradeFlags{}
	fs := flag.NewFlagSet("grade", flag.ContinueOnError)
	fs.StringVar(&f.config, "config", "", "the grading configuration `FILE` (default: grading.json at the module root)")
	fs.StringVar(&f.results, "results", "results.json", "write Gradescope's results to `FILE` (\"\" for none)")
	fs.IntVar(&f.seeds, "seeds", 0, "run each simulated test over `K` seeds (default: the configuration's)")
	fs.Int64Var(&f.from, "from", 0, "the first `SEED` (default: the configuration's)")
	fs.StringVar(&f.parts, "parts", "", "grade only these `PARTS` (comma-separated, like 1A,1B)")
	fs.BoolVar(&f.json, "json", false, "print the points table as JSON (the results.json content)")
	return fs, f
}

func helpGrade(w io.Writer) {
	fmt.Fprintf(w, `usage: lab grade DIR [--config FILE] [--results FILE] [--seeds K] [--from SEED]
                 [--parts 1A,1B,...] [--json]

Grade grades a student's copy of the course (DIR: the root of their copy) part by
part, and prints a points table. It runs in the reference solution, whose tests and
harness it trusts: it builds a workspace from the reference's files in which only the
lab packages' non-test Go files come from DIR, then, for each part with points, runs

	go test ./PKG -count=1 -json -run 'PART$' -seed=FROM -seeds=K

A test counts if it passes on every one of the K seeds; a part's points are shared
equally among its tests. A package that does not build gets no points for its parts.

The points and the seeds come from %s at the module root (docs/instructors.md
describes it); --seeds, --from and --parts override it. Grade writes Gradescope's
results.json (one test entry per part, with the failing tests' replay commands) to
--results, and exits with status 0 whatever the score: 1 means it could not grade.

Flags:
`, course.GradingFile)
	fs, _ := newGradeFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runGrade(c *cli, args []string) int {
	fs, f := newGradeFlags()
	dirs, rest, code, ok := c.parseFlags("grade", fs, args)
	if !ok {
		return code
	}
	switch {
	case len(dirs) != 1 || len(rest) > 0:
		return c.usageError("grade", "give one directory: the root of the student's copy")
	case f.seeds < 0:
		return c.usageError("grade", "--seeds must be at least 1")
	}
	root, code, ok := c.moduleRoot("grade")
	if !ok {
		return code
	}
	wd, err := c.workDir()
	if err != nil {
		return c.failf("grade", "%v", err)
	}
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(wd, p)
	}
	student := abs(dirs[0])
	if _, err := os.Stat(filepath.Join(student, "go.mod")); err != nil {
		return c.usageError("grade", "%s has no go.mod; give the root of the student's copy of the course", dirs[0])
	}
	config := abs(f.config)
	if config == "" {
		config = filepath.Join(root, course.GradingFile)
	}
	g, err := course.LoadGrading(config, course.Default)
	if err != nil {
		return c.usageError("grade", "%v", err)
	}
	if f.seeds > 0 {
		g.Seeds = f.seeds
	}
	if f.from != 0 {
		g.From = f.from
	}
	parts, err := g.PartsToGrade(course.Default, f.parts, config)
	if err != nil {
		return c.usageError("grade", "%v", err)
	}
	start := time.Now()
	if !f.json {
		fmt.Fprintf(c.stdout, "grading %s: %d parts, each test over seeds %d..%d\n", dirs[0], len(parts), g.From, g.From+int64(g.Seeds)-1)
	}
	grades, err := course.Grade(c.ctx, course.GradeOptions{Root: root, Student: student, Config: g, Parts: parts, Course: course.Default,
		Report: func(pg course.PartGrade) {
			if !f.json {
				printGradeRow(c.stdout, pg, pg.Part == parts[0])
			}
		}})
	if err != nil {
		return c.failf("grade", "%v", err)
	}
	res := course.Results(grades, g, time.Since(start))
	if !f.json {
		fmt.Fprintf(c.stdout, "%-5s %-8s %-13s %s\n", "total", "", "", course.Points(res.Score, course.TotalPoints(grades)))
	}
	if f.results != "" {
		data, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(abs(f.results), append(data, '\n'), 0o644); err != nil {
			return c.failf("grade", "--results: %v", err)
		}
		if !f.json {
			fmt.Fprintf(c.stdout, "wrote Gradescope's results to %s\n", f.results)
		}
	}
	if f.json {
		writeJSON(c.stdout, res)
	}
	return exitOK
}

func printGradeRow(w io.Writer, pg course.PartGrade, header bool) {
	const row = "%-5s %-8s %-13s %s\n"
	if header {
		fmt.Fprintf(w, row, "part", "package", "tests passed", "points")
	}
	passed := fmt.Sprintf("%d of %d", pg.Passed(), len(pg.Tests))
	if pg.Problem != "" {
		passed = "-"
	}
	fmt.Fprintf(w, row, pg.Part.Name, pg.Part.Dir, passed, course.Points(pg.Score, pg.Max))
	if pg.Problem != "" {
		fmt.Fprintf(w, "      %s\n", strings.SplitN(pg.Problem, "\n", 2)[0])
	}
	for _, t := range pg.Tests {
		if !t.Passed {
			fmt.Fprintf(w, "      FAIL %s\n", t.Name)
		}
	}
}
