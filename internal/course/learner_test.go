package course

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"protolab/internal/gotool"
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
		for _, gone := range []string{"raft/mutants.txt", "docs/instructors.md", "docs/markers.md", "docs/mutation.md", GradingFile, ".ci/run", "internal/docscheck/docscheck.go"} {
			if hasString(paths, gone) {
				t.Errorf("next %s: the copy has %s", next, gone)
			}
		}
		if i, _ := Default.Index("4B"); cut == i { // 4B: prove that the search finds what it is for
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

// TestLearnerCopyMakeTest writes the learner's copy of every part to disk (each one
// through the solution-text search), and runs `make test` in a
// few representative ones: the parts before NEXT pass, and NEXT fails with its own
// tests. A copy of every part would take minutes; the skeleton check (make
// check-course) builds every part's copy and runs its tests.
func TestLearnerCopyMakeTest(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a copy of the module per part and runs make test in some; skipped in -short mode")
	}
	for _, tool := range []string{"go", "make", "git"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("no %s on PATH", tool)
		}
	}
	files, err := ListFiles(moduleRoot, false)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	base := t.TempDir()
	dirs := map[string]string{}
	for _, next := range append(Default.Names(), SolutionNext) {
		dir := filepath.Join(base, next)
		if _, err := WriteLearnerCopy(LearnerOptions{Root: moduleRoot, Files: files, Next: next, Course: Default}, dir); err != nil {
			t.Fatalf("the copy with %s next: %v", next, err)
		}
		if next == "1A" { // one is enough: the others would only time git
			if created, err := InitRepo(dir, "copy "+next); !created || err != nil {
				t.Fatalf("git init in the copy: %v", err)
			}
		}
		if info, ok, err := ReadLearnerInfo(dir); !ok || err != nil || info.Next != next {
			t.Errorf("the copy with %s next has %s = %+v (%v)", next, LearnerFile, info, err)
		}
		dirs[next] = dir
	}

	t.Logf("wrote %d copies in %v", len(dirs), time.Since(start).Round(time.Millisecond))

	// -trimpath lets the copies, each in its own directory, share the build cache.
	env := append(os.Environ(), "GOFLAGS=-trimpath", "GOWORK=off")
	runMake := func(dir string, args ...string) (string, bool) {
		cmd := exec.Command("make", append([]string{"--no-print-directory"}, args...)...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err == nil
	}
	for _, tt := range []struct {
		next   string
		before string // the packages of the parts before next, as go test reports them
	}{
		{"1A", ""},
		{"1B", "ok  \tprotolab/kvsrv"},
		{"2A", "ok  \tprotolab/kvsrv"},
	} {
		begin := time.Now()
		out, ok := runMake(dirs[tt.next], "test")
		t.Logf("make test with %s next: %v", tt.next, time.Since(begin).Round(time.Millisecond))
		if ok {
			t.Errorf("make test with %s next passes; its part's tests must fail:\n%s", tt.next, out)
		}
		want := []string{"== part " + tt.next + ", the one you are working on", "--- FAIL: Test"}
		if tt.before != "" {
			want = append(want, tt.before, "== the parts before "+tt.next)
		}
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("make test with %s next does not say %q:\n%s", tt.next, w, gotool.Tail(out, 40))
			}
		}
		if strings.Contains(out, "a part before "+tt.next+" fails") {
			t.Errorf("make test with %s next: a done part fails:\n%s", tt.next, gotool.Tail(out, 40))
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.HasPrefix(line, "--- FAIL: Test") && !strings.Contains(line, tt.next+" (") {
				t.Errorf("make test with %s next: a test of another part fails: %s", tt.next, line)
			}
		}
	}
	// A later lab: the part done passes alone, the next one fails alone, and a wrong
	// PART is a clear error.
	if out, ok := runMake(dirs["4B"], "test", "PART=4A"); !ok {
		t.Errorf("make test PART=4A with 4B next fails:\n%s", gotool.Tail(out, 40))
	}
	if out, ok := runMake(dirs["4B"], "test", "PART=4B"); ok || !strings.Contains(out, "--- FAIL: Test") {
		t.Errorf("make test PART=4B with 4B next: ok=%v\n%s", ok, gotool.Tail(out, 20))
	}
	if out, ok := runMake(dirs["4B"], "test", "PART=9Z"); ok || !strings.Contains(out, "PART=9Z is not a part of the course") {
		t.Errorf("make test PART=9Z: ok=%v\n%s", ok, out)
	}
	// The demo of lab 1 before 1A is done runs on stubs, and says so.
	begin := time.Now()
	out, _ := runMake(dirs["1A"], "demo")
	t.Logf("make demo with 1A next: %v", time.Since(begin).Round(time.Millisecond))
	if !strings.Contains(out, "The kvsrv demo runs your code of parts 1A to 1C") {
		t.Errorf("make demo with 1A next does not say which parts it needs:\n%s", gotool.Tail(out, 20))
	}
}

// The tool's tests run the demos and runners on the reference solution (and
// stress on cmd/lab/testdata), so a learner's copy leaves them out; the code
// they test goes in, or make demo would not build.
func TestToolTestsStayWithTheInstructors(t *testing.T) {
	for p, want := range map[string]bool{
		"internal/stories/raft_test.go":                       true,
		"internal/stories/stories_test.go":                    true,
		"internal/gotool/testbin_test.go":                     true,
		"internal/stress/stress_test.go":                      true,
		"internal/replay/replay_test.go":                      true,
		"internal/stories/testdata/fuzz/FuzzRunFlags/default": true,
		"cmd/lab/main_test.go":                                true,
		"internal/stories/raft.go":                            false,
		"internal/stress/stress.go":                           false,
		"internal/replay/replay.go":                           false,
		"cmd/lab/main.go":                                     false,
		"raft/election_test.go":                               false,
		"chash/bounded_reference_test.go":                     true,
	} {
		if IsInstructorFile(p) != want {
			t.Errorf("IsInstructorFile(%q) = %v, want %v", p, !want, want)
		}
	}
}

// The learner's README lists every lab once, with all its package directories
// and its handout: lab 6 and lab 7 live in several packages, none named like
// the handout.
func TestLearnerReadmeListsEveryLab(t *testing.T) {
	files, err := ListFiles(moduleRoot, true)
	if err != nil {
		t.Fatal(err)
	}
	labs := learnerLabs(LearnerOptions{Root: moduleRoot, Files: files, Next: "1A", Course: Default})
	byNumber := map[string]learnerLab{}
	for _, lab := range labs {
		if _, dup := byNumber[lab.number]; dup {
			t.Errorf("lab %s is listed twice", lab.number)
		}
		byNumber[lab.number] = lab
		if lab.Handout == "" {
			t.Errorf("lab %s (%s) has no handout", lab.number, lab.Dirs)
		}
	}
	for number, want := range map[string][]string{
		"2": {"`chash/`", "`chash/balance/`", "docs/lab2-chash.md", "2A 2B 2C 2D 2E"},
		"6": {"`services/rsm/`", "`services/election/`", "docs/lab6-services.md", "6A 6B 6C 6D"},
		"7": {"`shardkv/ctrler/`", "`shardkv/group/`", "docs/lab7-shardkv.md", "7A 7B 7C"},
	} {
		lab := byNumber[number]
		row := lab.Dirs + " " + lab.Handout + " " + lab.Parts
		for _, w := range want {
			if !strings.Contains(row, w) {
				t.Errorf("lab %s's row %q lacks %s", number, row, w)
			}
		}
	}
}
