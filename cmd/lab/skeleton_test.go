package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"protolab/internal/course"
)

func TestSkeletonWritesALearnerCopy(t *testing.T) {
	root := fixture(t)
	out := filepath.Join(t.TempDir(), "learner")
	// The fixture's parts 1A and 1B are in the default course too.
	code, stdout, stderr := lab(t, filepath.Join(root, "adder"), "skeleton", "--next", "1B", "-o", out)
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", code, stderr)
	}
	if !strings.Contains(stdout, "wrote the copy with part 1B next into "+out+": 6 files, 1 with markers (2 regions stubbed, 1 kept), 1 instructors' files left out") {
		t.Errorf("stdout:\n%s", stdout)
	}
	got, err := os.ReadFile(filepath.Join(out, "adder", "adder.go"))
	if err != nil || !strings.Contains(string(got), "// TODO(1B)") || strings.Contains(string(got), "//lab:") {
		t.Errorf("adder.go in the copy (%v):\n%s", err, got)
	}
	for _, f := range []string{"README.md", "Makefile", course.LearnerFile} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("the copy has no %s: %v", f, err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "adder", "mutants.txt")); err == nil {
		t.Error("the copy holds the mutants file")
	}
	if mk, _ := os.ReadFile(filepath.Join(out, "Makefile")); !strings.Contains(string(mk), "NEXT ?= 1B") {
		t.Errorf("the copy's Makefile does not start at 1B:\n%s", mk)
	}
	if _, err := exec.LookPath("git"); err == nil {
		log, err := exec.Command("git", "-C", out, "log", "--format=%s").Output()
		if err != nil || strings.TrimSpace(string(log)) != "protolab: your copy, with part 1B next" {
			t.Errorf("git log of the copy (%v):\n%s", err, log)
		}
	}

	code, _, stderr = lab(t, root, "skeleton", "--next", "1A", "-o", out)
	if code != exitUsage || !strings.Contains(stderr, "is not empty; pick an empty directory, or pass --force") {
		t.Errorf("writing into a non-empty directory: exit status %d, stderr %q", code, stderr)
	}
	code, stdout, stderr = lab(t, root, "skeleton", "--next", "1A", "-o", out, "--force")
	if code != exitOK || !strings.Contains(stdout, "already was a git repository") {
		t.Errorf("--force: exit status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, _, stderr = lab(t, root, "skeleton", "--next", "1A", "-o", "adder/out")
	if code != exitUsage || !strings.Contains(stderr, "-o adder/out is inside the module") {
		t.Errorf("writing inside the module: exit status %d, stderr %q", code, stderr)
	}
}

func TestSkeletonSolution(t *testing.T) {
	root := fixture(t)
	out := filepath.Join(t.TempDir(), "solution")
	code, stdout, stderr := lab(t, root, "skeleton", "--solution", "-o", out)
	if code != exitOK || !strings.Contains(stdout, "with every part done") {
		t.Fatalf("exit status %d, stdout %s, stderr:\n%s", code, stdout, stderr)
	}
	got, _ := os.ReadFile(filepath.Join(out, "adder", "adder.go"))
	if !strings.Contains(string(got), "strings.ToUpper") || strings.Contains(string(got), "//lab:") || strings.Contains(string(got), "TODO") {
		t.Errorf("adder.go in the solution copy:\n%s", got)
	}
	info, ok, err := course.ReadLearnerInfo(out)
	if !ok || err != nil || info.Next != course.SolutionNext {
		t.Errorf("the solution copy's %s: %+v, %v, %v", course.LearnerFile, info, ok, err)
	}
}

func TestSkeletonJSON(t *testing.T) {
	root := fixture(t)
	out := filepath.Join(t.TempDir(), "learner")
	code, stdout, stderr := lab(t, root, "skeleton", "--next", "1B", "-o", out, "--json")
	if code != exitOK {
		t.Fatalf("exit status %d, stderr %s", code, stderr)
	}
	var wrote struct {
		Next, Out                       string
		Files, Rewritten, Stubbed, Kept int
		Left                            int `json:"left_out"`
	}
	decode(t, stdout, &wrote)
	if wrote.Next != "1B" || wrote.Out != out || wrote.Files != 6 || wrote.Stubbed != 2 || wrote.Kept != 1 || wrote.Left != 1 {
		t.Errorf("skeleton --json: %+v", wrote)
	}

	code, stdout, _ = lab(t, root, "skeleton", "--check", "--parts", "1A", "--json")
	var check struct {
		OK    bool
		Parts []course.CheckEntry
	}
	decode(t, stdout, &check)
	if code != exitFail || check.OK || len(check.Parts) != 1 || check.Parts[0].Part != "1A" || check.Parts[0].NotRun == "" {
		t.Errorf("skeleton --check --json on a part that cannot be checked: exit status %d, %+v", code, check)
	}
}

func TestSkeletonCheckWithNothingToCheck(t *testing.T) {
	// The fixture's package is adder/, which the default course does not know.
	code, stdout, stderr := lab(t, fixture(t), "skeleton", "--check")
	if code != exitOK || !strings.Contains(stdout, "nothing to check") {
		t.Errorf("exit status %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	code, stdout, _ = lab(t, fixture(t), "skeleton", "--check", "--parts", "1A")
	if code != exitFail || !strings.Contains(stdout, "not checked: no package directory kvsrv/") {
		t.Errorf("an explicit part that cannot be checked: exit status %d, stdout:\n%s", code, stdout)
	}
}

func TestLearnerCopyRefusesInstructorSubcommands(t *testing.T) {
	copyRoot := t.TempDir()
	os.WriteFile(filepath.Join(copyRoot, "go.mod"), []byte("module protolab\n\ngo 1.26\n"), 0o644)
	os.WriteFile(filepath.Join(copyRoot, course.LearnerFile), []byte(`{"next": "4B"}`), 0o644)
	os.MkdirAll(filepath.Join(copyRoot, "raft"), 0o755)
	for _, args := range [][]string{
		{"skeleton", "--next", "4B", "-o", filepath.Join(t.TempDir(), "x")},
		{"skeleton", "--check"},
		{"mutants", "--list", "raft"},
		{"grade", copyRoot},
		{"mutation", "raft"},
	} {
		if lookup(args[0]) == nil {
			continue // not built into this binary yet
		}
		code, stdout, stderr := lab(t, filepath.Join(copyRoot, "raft"), args...)
		if code != exitUsage || stdout != "" ||
			!strings.Contains(stderr, "lab "+args[0]+": this is a learner's copy of protolab") ||
			!strings.Contains(stderr, "it was written with part 4B next") ||
			!strings.Contains(stderr, "runs in the instructor's reference repository. Here you have: demo, run, stress, replay") {
			t.Errorf("lab %s in a learner's copy: exit status %d, stdout %q, stderr %q", strings.Join(args, " "), code, stdout, stderr)
		}
	}
	code, stdout, _ := lab(t, copyRoot, "help")
	if code != exitOK || !strings.Contains(stdout, "In your copy (it was written with part 4B next)") ||
		!strings.Contains(stdout, "\tstress ") || strings.Contains(stdout, "\tskeleton ") {
		t.Errorf("lab help in a copy: exit status %d, stdout:\n%s", code, stdout)
	}
	if code, stdout, _ := lab(t, copyRoot, "help", "skeleton"); code != exitOK || !strings.Contains(stdout, "usage: lab skeleton") {
		t.Errorf("help still works in a copy: exit status %d", code)
	}
	// Without the marker file, and without regions, skeleton says why it has nothing to do.
	os.Remove(filepath.Join(copyRoot, course.LearnerFile))
	code, _, stderr := lab(t, copyRoot, "skeleton", "--next", "4B", "-o", filepath.Join(t.TempDir(), "x"))
	if code != exitUsage || !strings.Contains(stderr, "has no solution regions, so there is nothing to make a copy from") {
		t.Errorf("skeleton in a module without regions: exit status %d, stderr %q", code, stderr)
	}
}
