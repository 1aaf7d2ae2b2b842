package gotool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// ErrNoTests is BuildTest's error for a package without tests.
var ErrNoTests = errors.New("no test files")

// A TestBinary is a package's tests, compiled once (go test -c) to be run many
// times, one test and seed at a time, as 'lab stress' does. Each run goes
// through test2json, as go test -json runs a test, so that what the run says
// is read from its events.
type TestBinary struct {
	Pkg       string // the package's import path, relative to the module: "raft"
	Dir       string // where the binary runs: the package's directory, as go test runs it
	bin       string
	test2json string
}

// BuildTest compiles the tests of pkg (a directory relative to the module root
// root) into dir, with test2json beside them. It fails with the go command's
// output when they do not compile, and with an error naming the package when
// it has no tests.
func BuildTest(ctx context.Context, root, pkg, dir string) (*TestBinary, error) {
	b := &TestBinary{Pkg: pkg, Dir: filepath.Join(root, filepath.FromSlash(pkg)),
		bin: filepath.Join(dir, strings.ReplaceAll(pkg, "/", "_")+".test"), test2json: filepath.Join(dir, "test2json")}
	for _, args := range [][]string{{"test", "-c", "-o", b.bin, "./" + pkg}, {"build", "-o", b.test2json, "cmd/test2json"}} {
		cmd := exec.CommandContext(ctx, "go", args...)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	if _, err := os.Stat(b.bin); err != nil {
		return nil, fmt.Errorf("%s has %w", pkg, ErrNoTests)
	}
	return b, nil
}

// List runs the binary with -test.list pattern and the extra flags, and
// returns the names of the tests it lists, or the binary's output with the
// error.
func (b *TestBinary) List(ctx context.Context, pattern string, extra ...string) ([]string, []byte, error) {
	cmd := exec.CommandContext(ctx, b.bin, append([]string{"-test.list", pattern}, extra...)...)
	cmd.Dir = b.Dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return nil, out, err
	}
	var tests []string
	for _, line := range strings.Split(string(out), "\n") {
		if name := strings.TrimSpace(line); strings.HasPrefix(name, "Test") {
			tests = append(tests, name)
		}
	}
	return tests, out, nil
}

// A TestRun is what one run of one test said.
type TestRun struct {
	Passed  bool          // the test ran and passed, and so did the binary
	Elapsed time.Duration // wall time
	Output  string        // the test's output, as go test -v prints it
	Err     error         // why the binary could not run or stopped (not a failure of the test)
}

// Run runs the one top-level test called test, with the extra flags for the
// binary (-seed=N, -test.timeout=D, ...), through test2json, and reads its
// verdict from the events: it passed only if it ran and its events say pass.
func (b *TestBinary) Run(ctx context.Context, test string, extra ...string) TestRun {
	args := append([]string{"-p", b.Pkg, b.bin, "-test.v=test2json", "-test.run", "^" + test + "$", "-test.count=1"}, extra...)
	cmd := exec.CommandContext(ctx, b.test2json, args...)
	cmd.Dir = b.Dir
	cmd.WaitDelay = 5 * time.Second // a test binary left behind must not hold the pipe open
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	rep := ParseTestJSON(out.Bytes())
	r := TestRun{Elapsed: time.Since(start), Output: rep.Output}
	r.Passed = err == nil && slices.Contains(rep.Ran, test) && !slices.Contains(rep.Failed, test) && rep.ParseError == nil
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		r.Err = err
	}
	return r
}
