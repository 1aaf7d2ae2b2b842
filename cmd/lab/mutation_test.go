package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// sign is a package of one region whose tests kill some mutants and let one live:
// no test gives Sign a zero, so the boundary mutant of "x < 0" survives.
const signSource = `package sign

// Sign returns -1, 0 or 1.
func Sign(x int) int {
	//lab:solution 1A
	if x < 0 {
		return -1
	}
	if x > 0 {
		return 1
	}
	return 0
	//lab:stub
	//> return 0
	//lab:end
}
`

const signTest = `package sign

import "testing"

func TestSign1A(t *testing.T) {
	if Sign(-5) != -1 || Sign(7) != 1 {
		t.Error("wrong sign")
	}
}
`

func signModule(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "sign"), 0o755)
	for name, text := range map[string]string{
		"go.mod":            "module fixture\n\ngo 1.22\n",
		"sign/sign.go":      signSource,
		"sign/sign_test.go": signTest,
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestMutationUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"mutation"}, "give a package, like 'lab mutation raft', or --all"},
		{[]string{"mutation", "--all", "raft"}, "give packages or --all, not both"},
		{[]string{"mutation", "raft", "--ops", "boundry"}, `unknown operator "boundry" (did you mean "boundary"?); the operators are boundary, equality`},
		{[]string{"mutation", "raft", "--workers", "0"}, "--workers must be at least 1"},
		{[]string{"mutation", "--list", "raft", "--", "-v"}, "--list runs no test, so it takes no go test flags"},
	} {
		code, _, stderr := lab(t, signModule(t), c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("lab %s: exit status %d, stderr %q, want %q", strings.Join(c.args, " "), code, stderr, c.want)
		}
	}
}

func TestMutationList(t *testing.T) {
	code, stdout, _ := lab(t, signModule(t), "mutation", "--list", "sign")
	for _, want := range []string{"sign: 8 mutants in solution regions", "sign/sign.go:6", "boundary    if x < 0 {  =>  if x <= 0 {", "drop-return return -1  =>  (nothing)"} {
		if code != exitOK || !strings.Contains(stdout, want) {
			t.Errorf("--list: exit status %d, no %q in:\n%s", code, want, stdout)
		}
	}
	code, stdout, _ = lab(t, signModule(t), "mutation", "--list", "sign", "--sample", "2", "--ops", "boundary,off-by-one")
	if code != exitOK || strings.Count(stdout, "sign/sign.go:") != 2 || strings.Contains(stdout, "drop-return") {
		t.Errorf("--list --sample 2 --ops: exit status %d:\n%s", code, stdout)
	}
}

func TestMutationRun(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := signModule(t)
	// TestUnrelated never calls Sign: the selective mode never runs it on a mutant.
	os.WriteFile(filepath.Join(root, "sign", "other_test.go"), []byte(`package sign

import "testing"

func TestUnrelated(t *testing.T) {
	if len("abc") != 3 {
		t.Error("len")
	}
}
`), 0o644)
	out := t.TempDir()
	code, stdout, stderr := lab(t, root, "mutation", "sign", "--ops", "boundary,drop-return", "--survivors", out, "--verbose")
	if code != exitOK {
		t.Fatalf("exit status %d, stderr %s", code, stderr)
	}
	// The whole-suite mode gives the same verdicts, running both tests.
	code, wholeOut, stderr := lab(t, root, "mutation", "sign", "--ops", "boundary,drop-return", "--verbose", "--whole")
	if code != exitOK {
		t.Fatalf("--whole: exit status %d, stderr %s", code, stderr)
	}
	if v, w := mutationVerdicts(stdout), mutationVerdicts(wholeOut); len(v) != 4 || fmt.Sprint(v) != fmt.Sprint(w) {
		t.Errorf("the modes disagree:\nselective %v\nwhole     %v\n%s\n%s", v, w, stdout, wholeOut)
	}
	if !strings.Contains(stdout, "selective mode") || strings.Contains(stdout, "2 tests") || !strings.Contains(wholeOut, "2 tests") {
		t.Errorf("the selective mode ran a test that does not call Sign, or the whole mode did not run both:\n%s\n%s", stdout, wholeOut)
	}
	for _, want := range []string{
		"SURVIVED    sign/sign.go:6:7/boundary", // --verbose's line
		"  sign/sign.go:6  boundary    if x < 0 {  =>  if x <= 0 {",
		"sign: generated 4, run 4: killed 2, survived 2, timed out 0, not covered 0, not viable 0; score 50.0%",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	data, err := os.ReadFile(filepath.Join(out, "survivors-sign.txt"))
	if err != nil || !strings.Contains(string(data), "sign/sign.go:9  boundary    if x > 0 {  =>  if x >= 0 {") {
		t.Errorf("survivors file: %v\n%s", err, data)
	}
	// The source tree is never written: every mutant ran in a copy.
	if src, _ := os.ReadFile(filepath.Join(root, "sign", "sign.go")); string(src) != signSource {
		t.Errorf("sign.go changed in the source tree:\n%s", src)
	}
}

func TestMutantsSeveralOnlyAndSkipBaseline(t *testing.T) {
	root := fixture(t)
	code, _, stderr := lab(t, root, "mutants", "adder", "--only", "add-subtracts,dubble")
	if code != exitUsage || !strings.Contains(stderr, `no mutant called "dubble"`) {
		t.Errorf("--only with one wrong name of two: exit status %d, stderr %q", code, stderr)
	}
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	code, stdout, _ := lab(t, root, "mutants", "adder", "--only", "add-subtracts", "--only", "double-by-multiplying", "--skip-baseline", "--workers", "2", "--", "-run", "1A$")
	for _, want := range []string{"adder: 2 mutants (the tests without them are not checked: --skip-baseline)",
		"2 mutants: 1 caught by tests, 0 caught only by the build, 1 MISSED (tests without mutants not checked)"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("no %q in:\n%s", want, stdout)
		}
	}
	if code != exitFail {
		t.Errorf("a missed mutant: exit status %d, want %d", code, exitFail)
	}
}

func TestMutationWithOtherPackagesTests(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	// user's test gives Sign a zero, which sign's own test never does: with --with
	// user, the boundary mutant of "x < 0" is killed, and coverage counts user's
	// calls.
	root := signModule(t)
	os.MkdirAll(filepath.Join(root, "user"), 0o755)
	os.WriteFile(filepath.Join(root, "user", "user.go"), []byte("package user\n"), 0o644)
	os.WriteFile(filepath.Join(root, "user", "user_test.go"), []byte(`package user

import (
	"testing"

	"fixture/sign"
)

func TestZero(t *testing.T) {
	if sign.Sign(0) != 0 {
		t.Error("Sign(0) is not 0")
	}
}
`), 0o644)
	code, stdout, stderr := lab(t, root, "mutation", "sign", "--ops", "boundary", "--with", "user")
	want := "sign: generated 2, run 2: killed 2, survived 0"
	if code != exitOK || !strings.Contains(stdout, want) || !strings.Contains(stdout, "running the tests of sign and of user") {
		t.Errorf("--with user: exit status %d, no %q in:\n%s\n%s", code, want, stdout, stderr)
	}
}

// mutationVerdicts reads --verbose's lines: each mutant's id and verdict.
func mutationVerdicts(stdout string) map[string]string {
	v := map[string]string{}
	for _, line := range strings.Split(stdout, "\n") {
		if f := strings.Fields(line); len(f) >= 2 && strings.HasPrefix(f[1], "sign/sign.go:") {
			v[f[1]] = f[0]
		}
	}
	return v
}

// A test that runs the code it tests in a child process (as tests/replog's
// self-tests run each scenario in the test binary again) covers that code: the
// child's counters, written where -test.gocoverdir says, count for the parent
// test. Before the baseline gave each test a coverage directory of its own, such
// lines were "not covered" and their mutants never ran.
func TestMutationCountsChildProcessCoverage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "sign"), 0o755)
	for name, text := range map[string]string{
		"go.mod":       "module fixture\n\ngo 1.22\n",
		"sign/sign.go": signSource,
		"sign/sign_test.go": `package sign

import (
	"flag"
	"os"
	"os/exec"
	"testing"
)

// TestSignInAChild checks Sign(0) in a child process only, passing on the
// parent's coverage directory as tests/replog does.
func TestSignInAChild(t *testing.T) {
	if os.Getenv("SIGN_CHILD") == "1" {
		if Sign(-1) != -1 || Sign(0) != 0 || Sign(1) != 1 {
			t.Fatal("wrong sign")
		}
		return
	}
	args := []string{"-test.run=^TestSignInAChild$"}
	if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" {
		args = append(args, "-test.gocoverdir="+f.Value.String())
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "SIGN_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the child failed: %v\n%s", err, out)
	}
}
`,
	} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, stdout, stderr := lab(t, root, "mutation", "sign", "--ops", "boundary")
	want := "sign: generated 2, run 2: killed 2, survived 0, timed out 0, not covered 0"
	if code != exitOK || !strings.Contains(stdout, want) {
		t.Errorf("a test whose child runs Sign: exit status %d, no %q in:\n%s\n%s", code, want, stdout, stderr)
	}
}
