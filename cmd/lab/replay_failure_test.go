package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A test that fails with testify: lab replay prints the test's own failure
// message, which the harness put into the trace, and a timeline that says
// what each reply answered.
func TestReplayPrintsTheTestsFailure(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on the harness's fixture")
	}
	path := filepath.Join(t.TempDir(), "TestRequireFails-seed1.txt")
	header := "# protolab trace package=tests/testdata/failing test=TestRequireFails seed=1 nodes=3\n"
	require.NoError(t, os.WriteFile(path, []byte(header), 0o644))
	code, stdout, stderr := lab(t, "", "replay", path)
	require.Equal(t, exitOK, code, "stderr: %s\nstdout: %s", stderr, stdout)
	require.Contains(t, stdout, "FAILED at step", stdout)
	require.Contains(t, stdout, "(100ms): Not equal: expected: 1 actual : 2 the answer the test wanted", "the test's message, at the moment it failed")
	require.Contains(t, stdout, "✓n1 Ping → OK", "replies say what they answered")
}
