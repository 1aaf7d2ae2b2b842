package course

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"
)

// TestGradeReferenceAndMutant grades the reference (its --solution copy) and the
// same copy with one of kvsrv's mutants applied: full points, then fewer, and a
// results.json of Gradescope's documented shape each time.
func TestGradeReferenceAndMutant(t *testing.T) {
	if testing.Short() {
		t.Skip("builds two copies and runs their tests; skipped in -short mode")
	}
	tmp := t.TempDir()
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	files, err := ListFiles(root, false)
	if err != nil {
		t.Fatal(err)
	}
	sol := filepath.Join(tmp, "solution")
	if _, err := WriteLearnerCopy(LearnerOptions{Root: root, Files: files, Next: SolutionNext, Course: Default}, sol); err != nil {
		t.Fatalf("the --solution copy: %v", err)
	}
	config := filepath.Join(tmp, "grading.json")
	os.WriteFile(config, []byte(`{"seeds": 2, "from": 7, "points": {"1A": 4, "1B": 6}}`), 0o644)
	g, err := LoadGrading(config, Default)
	if err != nil {
		t.Fatal(err)
	}
	results := filepath.Join(tmp, "results.json")
	grade := func() []PartGrade {
		t.Helper()
		grades, err := Grade(context.Background(), GradeOptions{Root: root, Student: sol, Config: g, Parts: g.GradedParts(Default), Course: Default})
		if err != nil {
			t.Fatal(err)
		}
		data, _ := json.MarshalIndent(Results(grades, g, time.Second), "", "  ")
		os.WriteFile(results, data, 0o644)
		return grades
	}
	grades := grade()
	total := 0.0
	for _, pg := range grades {
		total += pg.Score
	}
	if got := Points(total, TotalPoints(grades)); got != "10 / 10" {
		t.Fatalf("grading the reference: %s points, want 10 / 10: %+v", got, grades)
	}
	checkGradescopeResults(t, results, 10, 10)

	// The first kvsrv mutant that the 1A and 1B tests catch, applied to the copy.
	mutants, err := LoadMutants(root, "kvsrv")
	if err != nil {
		t.Fatal(err)
	}
	m := mutants[0]
	file := filepath.Join(sol, "kvsrv", filepath.FromSlash(m.File))
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	mutated, err := m.Apply(path.Join("kvsrv", m.File), src)
	if err != nil {
		t.Fatalf("the mutant %s does not apply to the solution copy: %v", m.Name, err)
	}
	os.WriteFile(file, mutated, 0o644)
	failed := 0
	for _, pg := range grade() {
		failed += len(pg.Tests) - pg.Passed()
	}
	if failed == 0 {
		t.Fatalf("grading the mutant %s: no test failed", m.Name)
	}
	score := checkGradescopeResults(t, results, -1, 10)
	if score >= 10 {
		t.Errorf("the mutant %s (%s) got %v of 10 points", m.Name, m.Description, score)
	}
	t.Logf("mutant %s: %v of 10 points", m.Name, score)
}

// checkGradescopeResults checks a results.json against the shape of Gradescope's
// "Autograder Specifications": a top-level numeric score (here the sum of the tests'),
// an integer execution_time, output strings, visibility values Gradescope knows, and a
// tests array whose entries have a name, a numeric score and max_score, a status of
// "passed" or "failed", and an output. It returns the score.
func checkGradescopeResults(t *testing.T, file string, wantScore, wantMax float64) float64 {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatalf("results.json is not JSON: %v", err)
	}
	visibilities := map[string]bool{"visible": true, "hidden": true, "after_due_date": true, "after_published": true}
	formats := map[string]bool{"text": true, "html": true, "simple_format": true, "md": true, "ansi": true}
	field := func(obj map[string]any, name, kind string, where string) any {
		v, ok := obj[name]
		if !ok {
			t.Errorf("%s has no %q", where, name)
			return nil
		}
		if got := fmt.Sprintf("%T", v); got != kind {
			t.Errorf("%s: %q is a %s, want a %s", where, name, got, kind)
			return nil
		}
		return v
	}
	score, _ := field(doc, "score", "float64", "results.json").(float64)
	if et, ok := field(doc, "execution_time", "float64", "results.json").(float64); ok && et != float64(int(et)) {
		t.Errorf("execution_time %v is not a whole number of seconds", et)
	}
	field(doc, "output", "string", "results.json")
	for _, name := range []string{"visibility", "stdout_visibility"} {
		if v, ok := field(doc, name, "string", "results.json").(string); ok && !visibilities[v] {
			t.Errorf("%s %q is not one of Gradescope's", name, v)
		}
	}
	for _, name := range []string{"output_format", "test_output_format"} {
		if v, ok := field(doc, name, "string", "results.json").(string); ok && !formats[v] {
			t.Errorf("%s %q is not one of Gradescope's", name, v)
		}
	}
	tests, _ := field(doc, "tests", "[]interface {}", "results.json").([]any)
	sum, max := 0.0, 0.0
	for i, raw := range tests {
		where := fmt.Sprintf("tests[%d]", i)
		test, ok := raw.(map[string]any)
		if !ok {
			t.Errorf("%s is not an object", where)
			continue
		}
		field(test, "name", "string", where)
		field(test, "output", "string", where)
		s, _ := field(test, "score", "float64", where).(float64)
		m, _ := field(test, "max_score", "float64", where).(float64)
		if s < 0 || s > m {
			t.Errorf("%s: score %v outside 0..max_score %v", where, s, m)
		}
		if st, ok := field(test, "status", "string", where).(string); ok && st != "passed" && st != "failed" {
			t.Errorf("%s: status %q is neither passed nor failed", where, st)
		}
		if v, ok := field(test, "visibility", "string", where).(string); ok && !visibilities[v] {
			t.Errorf("%s: visibility %q is not one of Gradescope's", where, v)
		}
		sum += s
		max += m
	}
	if len(tests) == 0 {
		t.Error("results.json has no tests")
	}
	if fmt.Sprintf("%.2f", sum) != fmt.Sprintf("%.2f", score) {
		t.Errorf("score %v is not the sum of the tests' scores, %v", score, sum)
	}
	if max != wantMax || (wantScore >= 0 && score != wantScore) {
		t.Errorf("results.json gives %v of %v points, want %v of %v", score, max, wantScore, wantMax)
	}
	return score
}

func TestGradingFileOfTheReference(t *testing.T) {
	g, err := LoadGrading(filepath.Join("..", "..", GradingFile), Default)
	if err != nil {
		t.Fatal(err)
	}
	total := 0.0
	for _, p := range g.GradedParts(Default) {
		total += g.Points[p.Name]
	}
	if total <= 0 || g.Seeds < 1 {
		t.Errorf("%s grades nothing: %+v", GradingFile, g)
	}
}
