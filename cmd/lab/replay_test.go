package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"protolab/internal/replay"
)

// flakyTrace writes a trace file that names the fixture's TestFlaky with seed
// 3, which fails, and returns its path. end is the file's last line, if any.
func flakyTrace(t *testing.T, end string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "TestFlaky-seed3.txt")
	text := "# protolab trace package=cmd/lab/testdata/flaky test=TestFlaky seed=3 nodes=3\n#0 0.000000s n0 start incarnation 1\n" + end
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// flakyBody is the hash of flakyTrace's one line, for an end line's body=.
var flakyBody = bodySum("#0 0.000000s n0 start incarnation 1\n")

func TestReplayUsageErrors(t *testing.T) {
	bare := filepath.Join(t.TempDir(), "bare.txt")
	os.WriteFile(bare, []byte("#0 0.000000s n0 start incarnation 1\n"), 0o644)
	trace := flakyTrace(t, "")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"replay"}, "lab replay: give one trace file, like 'lab replay /tmp/TestX-seed7.txt'"},
		{[]string{"replay", bare}, "lab replay: " + bare + " does not say which run it records (no '# protolab trace' header); replay reads the traces that -simtrace and lab stress write (a live run's node traces have no seed to replay: lab cluster timeline DIR shows them)"},
		{[]string{"replay", trace, "--until", "soon"}, `lab replay: --until: "soon" is neither a step (812, #812) nor a virtual time (1.5s, 300ms)`},
		{[]string{"replay", trace, "--node", "n3"}, "lab replay: --node: the run has nodes n0..n2; n3 is not one of them"},
		{[]string{"replay", trace, "--node", "x1"}, `lab replay: --node: "x1" is not a node (n0..n2) or a client (c0, c1, ...)`},
		{[]string{"replay", trace, "--window", "0"}, "lab replay: --window must be at least 1"},
	} {
		code, stdout, stderr := lab(t, "", tt.args...)
		if code != exitUsage || stderr != tt.want+"; run 'lab help replay'\n" || stdout != "" {
			t.Errorf("lab %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}

func TestReplayShowsTheFailingStep(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	trace := flakyTrace(t, "")
	code, stdout, stderr := lab(t, "", "replay", trace, "--window", "5")
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{
		"replaying TestFlaky seed=3: go test ./cmd/lab/testdata/flaky -run '^TestFlaky$' -seed=3 -count=1",
		"(the trace file recorded none to compare with)",
		"the run FAILED at step 98",
		"the last 5 of ",
		"── FAIL: the invariant broke at 130ms (seed 3)",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("replay output does not say %q:\n%s", want, stdout)
		}
	}

	// Time travel: stop at 50ms, at node 1.
	code, stdout, _ = lab(t, "", "replay", trace, "--until", "50ms", "--node", "n1", "--json")
	var res replay.Result
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != exitOK {
		t.Fatalf("exit status %d, --json: %v\n%s", code, err, stdout)
	}
	if res.Stop.Reason != "until" || res.Stop.AtNS > 50e6 || res.Failure == nil || !res.TestFailed || len(res.Lines) == 0 {
		t.Errorf("--until 50ms: %+v", res)
	}
	for _, l := range res.Lines {
		if l.Node != 1 && l.Node != -1 || l.At > 50e6 {
			t.Errorf("--until 50ms --node n1 shows %+v", l)
		}
	}

	// A trace whose recorded digest differs is not the same run.
	code, stdout, _ = lab(t, "", "replay", flakyTrace(t, "# end digest=0123456789abcdef steps=98 at=130ms failed=true body="+flakyBody+"\n"))
	if code != exitFail || !strings.Contains(stdout, "NOT THE SAME RUN: digest ") || !strings.Contains(stdout, "the saved trace recorded 0123456789abcdef") {
		t.Errorf("a different digest: exit status %d, output:\n%s", code, stdout)
	}
}
