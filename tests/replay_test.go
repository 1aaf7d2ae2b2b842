package tests_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/internal/course"
)

// TestBrokenServerFailsAndReplays is the harness's promise, end to end: a
// kvsrv whose server has lost its at-most-once check fails part 1B, the
// failure prints a replay command, and that command reproduces the same
// failure with the same digest.
func TestBrokenServerFailsAndReplays(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a mutated copy of the module")
	}
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	files, err := course.ListFiles(root, true)
	require.NoError(t, err)
	tmp := t.TempDir()
	require.NoError(t, course.CopyFiles(root, files, tmp))

	mutants, err := course.LoadMutants(root, "kvsrv")
	require.NoError(t, err)
	var broken *course.Mutant
	for i := range mutants {
		if mutants[i].Name == "put-ignores-version" {
			broken = &mutants[i]
		}
	}
	require.NotNil(t, broken, "kvsrv/mutants.txt must keep the put-ignores-version mutant")
	path := filepath.Join(tmp, "kvsrv", broken.File)
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	mutated, err := broken.Apply(broken.File, src)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(path, mutated, 0o644))

	out := goTest(t, tmp, "./kvsrv", "-run", "1B$", "-count=1")
	replay := regexp.MustCompile(`replay: go test ./kvsrv -run '\^(Test\w+)\$' -seed=(\d+)`).FindStringSubmatch(out)
	require.NotNil(t, replay, "a failing run must print its replay command; got:\n%s", out)
	name, seed := replay[1], replay[2]
	digest := digestOf(t, out, seed)

	again := goTest(t, tmp, "./kvsrv", "-run", "^"+name+"$", "-seed="+seed, "-count=1")
	require.Contains(t, again, "--- FAIL: "+name, "the replay must fail the same test")
	require.Equal(t, digest, digestOf(t, again, seed), "the replay must be the same run, step for step")
}

// goTest runs go test in dir, requires it to fail, and returns its output.
func goTest(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"test"}, args...)...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "go test %s should fail on the broken server:\n%s", strings.Join(args, " "), out)
	return string(out)
}

func digestOf(t *testing.T, out, seed string) string {
	t.Helper()
	m := regexp.MustCompile(`--- seed=` + seed + ` digest=([0-9a-f+]+)`).FindStringSubmatch(out)
	require.NotNil(t, m, "the failure report must give the run's digest:\n%s", out)
	return m[1]
}
