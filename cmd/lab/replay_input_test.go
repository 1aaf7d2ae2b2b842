package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"protolab/labrpc"
)

// A trace file is input: lab replay runs the test its header names. What a
// run did not write is refused before anything runs, with the reason.

// writeTrace writes text as a trace file and returns its path.
func writeTrace(t *testing.T, name, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// bodySum is the body= of an end line after body.
func bodySum(body string) string {
	b := labrpc.NewTraceBody(io.Discard)
	b.Write([]byte(body))
	return b.Sum()
}

// --html is checked before the run: a page that cannot be written is refused.
func TestReplayRefusesAnHTMLFileItCannotWrite(t *testing.T) {
	const body = "#0 0.000000s n0 start incarnation 1\n"
	dir := t.TempDir()
	page := filepath.Join(dir, "none", "x.html")
	path := writeTrace(t, "trace.txt", "# protolab trace package=cmd/lab/testdata/flaky test=TestFlaky seed=3 nodes=3\n"+body+
		"# end digest=0123456789abcdef steps=98 at=130ms failed=true body="+bodySum(body)+"\n")
	code, stdout, stderr := lab(t, "", "replay", path, "--html", page)
	if want := "lab replay: --html: cannot write " + page + " (no such file or directory)"; code != exitUsage || stdout != "" || !strings.HasPrefix(stderr, want) {
		t.Errorf("exit status %d, stdout %q, stderr %q; want %d and %q", code, stdout, stderr, exitUsage, want)
	}
}

// Without an end line the run's end is known only once it ran again: a
// stop past it, or a client it never made, is refused then.
func TestReplayChecksFlagsAgainstTheRunItRan(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	trace := flakyTrace(t, "")
	code, stdout, stderr := lab(t, "", "replay", trace, "--node", "c9")
	if code != exitUsage || !strings.Contains(stderr, "lab replay: --node: the run has no client c9") {
		t.Errorf("--node c9: exit status %d, stderr %q\n%s", code, stderr, stdout)
	}
	code, stdout, stderr = lab(t, "", "replay", trace, "--until", "1h")
	if code != exitUsage || !strings.Contains(stderr, "lab replay: --until: 1h is past the end of the run, which ended at ") {
		t.Errorf("--until 1h: exit status %d, stderr %q\n%s", code, stderr, stdout)
	}
}
