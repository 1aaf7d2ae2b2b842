package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// moduleRoot is the reference solution this package is part of.
const moduleRoot = "../.."

// TestLearnerCopiesHoldNoSolution builds the learner's copy of the reference for every
// part, and the solution copy, and searches each for the lines of its stubbed regions.
func TestLearnerCopiesHoldNoSolution(t *testing.T) {
	files, err := ListFiles(moduleRoot, true)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut <= len(Default.Parts); cut++ {
		next := SolutionNext
		if cut < len(Default.Parts) {
			next = Default.Parts[cut].Name
		}
		opts := LearnerOptions{Root: moduleRoot, Files: files, Next: next, Course: Default}
		outs, stats, err := buildLearner(opts)
		if err != nil {
			t.Fatalf("next %s: %v", next, err)
		}
		leaks, needles, err := FindLeaks(moduleRoot, files, cut, Default, outs)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range leaks {
			t.Errorf("next %s: %s", next, l)
		}
		if cut < len(Default.Parts) && (needles == 0 || stats.Stubbed == 0) {
			t.Errorf("next %s: searched for %d lines of %d stubbed regions; the search found nothing to look for", next, needles, stats.Stubbed)
		}
		var paths []string
		for _, o := range outs {
			paths = append(paths, o.path)
			if IsInstructorFile(o.path) && o.path != "README.md" && o.path != "Makefile" {
				t.Errorf("next %s: the copy holds the instructors' file %s", next, o.path)
			}
			if IsMarkable(o.path) && HasMarkers(o.data) {
				t.Errorf("next %s: %s keeps a marker", next, o.path)
			}
		}
		for _, want := range []string{"README.md", "Makefile", LearnerFile, "docs/lab4-raft.md", "raft/raft.go", "raft/cluster_test.go"} {
			if !hasString(paths, want) {
				t.Errorf("next %s: the copy has no %s", next, want)
			}
		}
		for _, gone := range []string{"raft/mutants.txt", "docs/instructors.md", "docs/markers.md", GradingFile, ".ci/run"} {
			if hasString(paths, gone) {
				t.Errorf("next %s: the copy has %s", next, gone)
			}
		}
		if cut == 11 { // 4B: prove that the search finds what it is for
			proveLeakSearch(t, files, cut, outs)
		}
	}
}

// proveLeakSearch plants solution text where the issue found it (a mutants file, a
// handout quoting the solution, a stub's comment) and checks that the search finds each.
func proveLeakSearch(t *testing.T, files []string, cut int, outs []outFile) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(moduleRoot, "raft", "mutants.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var secret string // a 4B solution line that raft's mutants file names
	regionsOf := func(file string) ([]Region, []string) {
		data, err := os.ReadFile(filepath.Join(moduleRoot, filepath.FromSlash(file)))
		if err != nil {
			t.Fatal(err)
		}
		r, err := ParseRegions(file, data, Default)
		if err != nil {
			t.Fatal(err)
		}
		return r, splitLines(data)
	}
	regions, lines := regionsOf("raft/replication.go")
	for _, r := range regions {
		if i, _ := Default.Index(r.Part); i >= cut && secret == "" {
			for n := r.Start + 1; n < r.End && n < r.Stub; n++ {
				if t := normalise(lines[n-1]); len(t) > 30 {
					secret = strings.TrimSpace(lines[n-1])
					break
				}
			}
		}
	}
	if secret == "" {
		t.Fatal("found no long solution line of a stubbed region in raft/replication.go")
	}
	planted := append([]outFile(nil), outs...)
	planted = append(planted,
		outFile{path: "raft/mutants.txt", data: src},
		outFile{path: "docs/planted.md", data: []byte("As the reference does:\n\n```go\n\t\t" + secret + "\n```\n")},
		outFile{path: "raft/planted.go", data: []byte("package raft\n\n// TODO(4B): write `" + secret + "` here.\n")},
	)
	leaks, _, err := FindLeaks(moduleRoot, files, cut, Default, planted)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]bool{}
	for _, l := range leaks {
		found[l.File] = true
	}
	for _, f := range []string{"raft/mutants.txt", "docs/planted.md", "raft/planted.go"} {
		if !found[f] {
			t.Errorf("the search misses the solution text planted in %s (%q)", f, secret)
		}
	}
}
