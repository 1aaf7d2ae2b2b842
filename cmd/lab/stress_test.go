package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"protolab/internal/stress"
	"protolab/labrpc"
)

func TestStressUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"stress"}, "lab stress: give one package, like 'lab stress kvsrv'; run 'lab help stress'"},
		{[]string{"stress", "kvsrv", "--seeds", "0"}, "lab stress: --seeds must be at least 1; run 'lab help stress'"},
		{[]string{"stress", "kvsrv", "--parallel", "0"}, "lab stress: --parallel must be at least 1; run 'lab help stress'"},
		{[]string{"stress", "kvsrv", "-run", "("}, "lab stress: -run: error parsing regexp: missing closing ): `(`; run 'lab help stress'"},
		{[]string{"stress", "nosuchpkg"}, "lab stress: no package directory nosuchpkg; run 'lab help stress'"},
	} {
		code, stdout, stderr := lab(t, "", tt.args...)
		if code != exitUsage || stderr != tt.want+"\n" || stdout != "" {
			t.Errorf("lab %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}

// TestStressFindsSavesAndReplaysFailures sweeps the fixture, whose TestFlaky
// fails on the seeds divisible by 3.
func TestStressFindsSavesAndReplaysFailures(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary; skipped in -short mode")
	}
	out := t.TempDir()
	code, stdout, stderr := lab(t, "", "stress", "./testdata/flaky", "--seeds", "7", "--out", out, "--json")
	if code != exitFail {
		t.Fatalf("exit status %d, want %d; stderr:\n%s", code, exitFail, stderr)
	}
	var res stress.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, stdout)
	}
	if res.Package != "cmd/lab/testdata/flaky" || res.Runs != 7+7+1 || res.Failed != 2 || len(res.Tests) != 3 {
		t.Errorf("package %q, %d runs, %d failed, %d tests; want cmd/lab/testdata/flaky, 15, 2, 3", res.Package, res.Runs, res.Failed, len(res.Tests))
	}
	if p := res.Tests[2]; p.Test != "TestPlain" || p.Seeded || p.Runs != 1 {
		t.Errorf("a test that logs no seed runs once: %+v", p)
	}
	if len(res.Failures) != 2 {
		t.Fatalf("failures: %+v", res.Failures)
	}
	for i, f := range res.Failures {
		seed := int64(3 * (i + 1))
		if f.Test != "TestFlaky" || f.Seed != seed || f.Digest == "" || !strings.Contains(f.Message, "the invariant broke") {
			t.Errorf("failure %d: %+v", i, f)
		}
		if want := "go test ./cmd/lab/testdata/flaky -run '^TestFlaky$' -seed=" + itoa(seed); f.Replay != want {
			t.Errorf("replay command %q, want %q", f.Replay, want)
		}
		if f.Replayed == nil || !*f.Replayed || f.Note != "" {
			t.Errorf("failure with seed %d did not replay: %+v", seed, f)
		}
		file, err := os.Open(f.Trace)
		if err != nil || filepath.Dir(f.Trace) != out {
			t.Fatalf("trace %q: %v", f.Trace, err)
		}
		tf, err := labrpc.ReadTrace(file)
		file.Close()
		if err != nil || tf.Header.Test != "TestFlaky" || tf.Header.Seed != seed || tf.End == nil || tf.End.Digest != f.Digest || !tf.End.Failed {
			t.Errorf("trace %s: %v, header %+v, end %+v", f.Trace, err, tf.Header, tf.End)
		}
	}

	// The same sweep for people: a table, and each failure with its replay.
	code, stdout, _ = lab(t, "", "stress", "./testdata/flaky", "-run", "Flaky", "--from", "5", "--seeds", "2", "--out", t.TempDir())
	for _, want := range []string{"TestFlaky                                     2         1", "--- FAIL TestFlaky seed=6 digest=",
		"replay: go test ./cmd/lab/testdata/flaky -run '^TestFlaky$' -seed=6", "lab replay ", "FAIL: 1 of 2 runs failed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stress output does not say %q:\n%s", want, stdout)
		}
	}
	if code != exitFail {
		t.Errorf("exit status %d, want %d", code, exitFail)
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Errorf("colour in output that is not a terminal:\n%q", stdout)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
