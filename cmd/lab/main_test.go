package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"protolab/internal/course"
	"protolab/internal/stories"
)

// lab runs the tool in dir ("" for the test's own directory) as the command line would,
// and returns the exit status and what it wrote.
func lab(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	c := &cli{ctx: context.Background(), stdout: &out, stderr: &errOut, dir: dir}
	code = c.run(args)
	return code, out.String(), errOut.String()
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string // the whole of stderr
	}{
		{[]string{"skelton"}, `lab: unknown subcommand "skelton" (did you mean "skeleton"?); run 'lab help'`},
		{[]string{"mutant"}, `lab: unknown subcommand "mutant" (did you mean "mutants"?); run 'lab help'`},
		{[]string{"xyzzy"}, `lab: unknown subcommand "xyzzy"; run 'lab help'`},
		{[]string{"help", "demos"}, `lab: unknown subcommand "demos" (did you mean "demo"?); run 'lab help'`},
		{[]string{"help", "demo", "skeleton"}, `lab help: too many arguments; give one subcommand; run 'lab help help'`},
		{[]string{"skeleton"}, `lab skeleton: give --next PART and -o DIR, --solution and -o DIR, or --check; run 'lab help skeleton'`},
		{[]string{"skeleton", "--next", "4B"}, `lab skeleton: give --next PART and -o DIR, --solution and -o DIR, or --check; run 'lab help skeleton'`},
		{[]string{"skeleton", "--upto", "4B", "-o", "x"}, `lab skeleton: --upto is gone, since it read as "solved up to"; say which part the student does next: --next 4B (4B and every later part are stubs); run 'lab help skeleton'`},
		{[]string{"skeleton", "--next", "4B", "--solution", "-o", "x"}, `lab skeleton: give --next PART or --solution, not both; run 'lab help skeleton'`},
		{[]string{"skeleton", "--bogus"}, `lab skeleton: flag provided but not defined: -bogus; run 'lab help skeleton'`},
		{[]string{"skeleton", "--next", "9Z", "-o", "x"}, `lab skeleton: --next: unknown part "9Z"; the known parts are ` + strings.Join(course.Default.Names(), " ") + `; run 'lab help skeleton'`},
		{[]string{"skeleton", "--check", "--next", "4B"}, `lab skeleton: --check writes no copy, so it takes no --next, --solution, -o or --force; run 'lab help skeleton'`},
		{[]string{"skeleton", "--check", "--seeds", "20,raft"}, `lab skeleton: --seeds "20,raft": "raft" is not a positive number of seeds; write a number of seeds, optionally followed by exceptions per package, as in 20,gossip=2; run 'lab help skeleton'`},
		{[]string{"skeleton", "--check", "--parts", "1A,9Z"}, `lab skeleton: --parts: unknown part "9Z"; the known parts are 1A 1B 1C 2A 2B 2C 2D 2E 3A 3B 3C 4A 4B 4C 4D 4E 4F 5A 5B 6A 6B 6C 6D 7A 7B 7C; run 'lab help skeleton'`},
		{[]string{"skeleton", "--parts", "1A"}, `lab skeleton: --parts goes with --check; run 'lab help skeleton'`},
		{[]string{"skeleton", "4B"}, `lab skeleton: unexpected argument "4B"; the part and the directory go in --next and -o; run 'lab help skeleton'`},
		{[]string{"mutants"}, `lab mutants: give one package, like 'lab mutants chash', or --all; run 'lab help mutants'`},
		{[]string{"mutants", "chash", "raft"}, `lab mutants: give one package, like 'lab mutants chash', or --all; run 'lab help mutants'`},
		{[]string{"mutants", "--all", "chash"}, `lab mutants: give a package or --all, not both; run 'lab help mutants'`},
		{[]string{"mutants", "--all", "--only", "x"}, `lab mutants: --only picks a mutant of one package; it does not go with --all; run 'lab help mutants'`},
		{[]string{"mutants", "--list", "chash", "--", "-v"}, `lab mutants: --list runs no test, so it takes no go test flags; run 'lab help mutants'`},
		{[]string{"demo", "a", "b"}, `lab demo: give at most one demo name; run 'lab help demo'`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, stdout, stderr := lab(t, "", tt.args...)
			if code != exitUsage {
				t.Errorf("exit status %d, want %d", code, exitUsage)
			}
			if stderr != tt.want+"\n" {
				t.Errorf("stderr:\n %s\nwant:\n %s", strings.TrimSuffix(stderr, "\n"), tt.want)
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	code, stdout, _ := lab(t, "", "help")
	if code != exitOK {
		t.Errorf("lab help: exit status %d", code)
	}
	for _, s := range subcommands {
		if !strings.Contains(stdout, "\t"+s.name) || !strings.Contains(stdout, s.summary) {
			t.Errorf("lab help does not list %s with its summary:\n%s", s.name, stdout)
		}
	}
	for _, args := range [][]string{{"-h"}, {"--help"}} {
		if code, out, _ := lab(t, "", args...); code != exitOK || out != stdout {
			t.Errorf("lab %s: exit status %d, output differs from lab help", args[0], code)
		}
	}
	// Without arguments the overview goes to stderr, and it is a usage error.
	if code, out, errOut := lab(t, ""); code != exitUsage || out != "" || errOut != stdout {
		t.Errorf("lab: exit status %d, stdout %q; want %d and the overview on stderr", code, out, exitUsage)
	}
	for _, s := range subcommands {
		code, byHelp, _ := lab(t, "", "help", s.name)
		if code != exitOK || !strings.HasPrefix(byHelp, "usage: lab "+s.name) {
			t.Errorf("lab help %s: exit status %d, output:\n%s", s.name, code, byHelp)
		}
		if s.name == "help" {
			continue
		}
		code, byFlag, _ := lab(t, "", s.name, "-h")
		if code != exitOK || byFlag != byHelp {
			t.Errorf("lab %s -h: exit status %d; want 0 and the same text as lab help %s", s.name, code, s.name)
		}
	}
}

// fakeDemos empties the demo table for one test, so that the labs' demos do not
// matter; addDemo puts one in.
func fakeDemos(t *testing.T) {
	t.Helper()
	saved := demos
	demos = nil
	t.Cleanup(func() { demos = saved })
}

func addDemo(name, summary string, run func(io.Writer) error) {
	demos = append(demos, stories.Demo{Name: name, Summary: summary, Run: run})
}

func TestDemoRegistry(t *testing.T) {
	fakeDemos(t)
	if code, _, stderr := lab(t, "", "demo"); code != exitUsage ||
		stderr != `lab demo: unknown demo "raft"; no demo is built into this lab binary; run 'lab help demo'`+"\n" {
		t.Errorf("lab demo with no demos: exit status %d, stderr %q", code, stderr)
	}

	addDemo("zeta", "the last one", func(w io.Writer) error { _, err := io.WriteString(w, "zeta ran\n"); return err })
	addDemo("raft", "the default one", func(w io.Writer) error { _, err := io.WriteString(w, "default ran\n"); return err })
	addDemo("broken", "fails", func(w io.Writer) error { return errors.New("the simulator lost its clock") })

	if code, stdout, _ := lab(t, "", "demo"); code != exitOK || stdout != "default ran\n" {
		t.Errorf("lab demo: exit status %d, stdout %q; want the default demo", code, stdout)
	}
	if code, stdout, _ := lab(t, "", "demo", "zeta"); code != exitOK || stdout != "zeta ran\n" {
		t.Errorf("lab demo zeta: exit status %d, stdout %q", code, stdout)
	}
	if code, _, stderr := lab(t, "", "demo", "rfat"); code != exitUsage ||
		stderr != `lab demo: unknown demo "rfat" (did you mean "raft"?); the demos are broken, raft, zeta; run 'lab help demo'`+"\n" {
		t.Errorf("lab demo rfat: exit status %d, stderr %q", code, stderr)
	}
	if code, _, stderr := lab(t, "", "demo", "broken"); code != exitFail ||
		stderr != "lab demo broken: the simulator lost its clock\n" {
		t.Errorf("lab demo broken: exit status %d, stderr %q", code, stderr)
	}

	_, help, _ := lab(t, "", "help", "demo")
	for _, want := range []string{"broken", "raft (default)", "the default one", "zeta", "the last one"} {
		if !strings.Contains(help, want) {
			t.Errorf("lab help demo does not mention %q:\n%s", want, help)
		}
	}
	if strings.Index(help, "broken") > strings.Index(help, "zeta") {
		t.Errorf("lab help demo does not list the demos in order:\n%s", help)
	}
}

// fixture copies the course package's fixture module into a fresh directory.
func fixture(t *testing.T) string {
	t.Helper()
	src := filepath.Join("..", "..", "internal", "course", "testdata", "fixture")
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		os.MkdirAll(filepath.Join(dst, filepath.Dir(rel)), 0o755)
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestMutants(t *testing.T) {
	root := fixture(t)
	code, stdout, _ := lab(t, root, "mutants", "--list", "adder")
	if code != exitOK || !strings.Contains(stdout, "adder: 3 mutants") || !strings.Contains(stdout, "add-subtracts") {
		t.Errorf("--list: exit status %d, stdout:\n%s", code, stdout)
	}
	code, _, stderr := lab(t, root, "mutants", "adder", "--only", "add-subtract")
	if code != exitUsage || !strings.Contains(stderr, `no mutant called "add-subtract" (did you mean "add-subtracts"?); the mutants are add-subtracts, double-by-multiplying, add-string`) {
		t.Errorf("--only with a wrong name: exit status %d, stderr %q", code, stderr)
	}
	code, _, stderr = lab(t, root, "mutants", ".")
	if code != exitUsage || !strings.Contains(stderr, "has no mutants.txt; the packages with mutants are adder") {
		t.Errorf("a package without mutants: exit status %d, stderr %q", code, stderr)
	}

	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	code, stdout, stderr = lab(t, root, "mutants", "adder", "--only", "add-subtracts", "--", "-run", "1A$")
	if code != exitOK || !strings.Contains(stdout, "add-subtracts") || !strings.Contains(stdout, "TestAdd1A, TestAddNegative1A") {
		t.Errorf("one caught mutant: exit status %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = lab(t, filepath.Join(root, "adder"), "mutants", "--all")
	for _, want := range []string{"double-by-multiplying        MISSED", "add-string                   caught (build)", "1 MISSED"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--all does not say %q:\n%s", want, stdout)
		}
	}
	if code != exitFail {
		t.Errorf("--all with a missed mutant: exit status %d, want %d", code, exitFail)
	}
}

// The tool links no testing package: testing would register its flags on the
// tool's command line, and the tool would carry the test harness. What the
// tool needs of the harness lives in testing-free packages (tests/nemesis,
// tests/history, replog, replog/harness).
func TestToolDoesNotLinkTesting(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "testing" || pkg == "protolab/tests" || strings.HasPrefix(pkg, "testing/") {
			t.Errorf("cmd/lab depends on %s", pkg)
		}
	}
}
