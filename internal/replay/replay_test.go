package replay

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"protolab/labrpc"
)

// A trace file is input: lab replay runs the test its header names. What a run
// did not write is refused before anything runs, with the reason.

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

func TestPrepareRefusesTracesARunDidNotWrite(t *testing.T) {
	const body = "#0 0.000000s n0 start incarnation 1\n#1 0.010000s n1 start incarnation 1\n"
	header := func(pkg, test string) string {
		return "# protolab trace package=" + pkg + " test=" + test + " seed=3 nodes=3\n"
	}
	end := "# end digest=0123456789abcdef steps=98 at=130ms failed=true body=" + bodySum(body) + "\n"
	whole := header("cmd/lab/testdata/flaky", "TestFlaky") + body + end
	jsonTrace := header("cmd/lab/testdata/flaky", "TestFlaky") +
		`{"step":0,"at":0,"node":0,"kind":"start","peer":-1,"text":"incarnation 1"}` + "\n" +
		`{"step":1,"at":1000,"node":3,"kind":"send","peer":0,"method":"S.M","bytes":5,"call":1}` + "\n"
	for _, tt := range []struct {
		name        string
		file        string
		until, node string
		want        string
	}{
		{"a package outside the module", header("../../etc", "TestFlaky") + body, "", "",
			`line 1: package="../../etc" leaves the module: a trace names a package directory inside the module, like raft or tests/replog`},
		{"an absolute package", header("/etc", "TestFlaky") + body, "", "", `line 1: package="/etc" is not a clean relative path`},
		{"a pattern for a test", header("cmd/lab/testdata/flaky", ".*") + body, "", "",
			`line 1: test=".*" is not a test's name: a replay runs the top-level test it names, like TestInitialElection4A`},
		{"an edited line", strings.Replace(whole, "n1 start", "n2 start", 1), "", "",
			"line 4: the trace's lines were changed after the run wrote them: they hash to "},
		{"a removed line", header("cmd/lab/testdata/flaky", "TestFlaky") + body[:strings.Index(body, "\n")+1] + end, "", "",
			"line 3: the trace's lines were changed after the run wrote them"},
		{"a text trace cut short", whole[:len(whole)-20], "", "",
			"line 4: the file ends in the middle of a line: it was cut short (a copy that did not finish, or a run that was killed); save the trace again"},
		{"a JSON trace cut short", jsonTrace[:len(jsonTrace)-10], "", "", "line 3: the file ends in the middle of a line: it was cut short"},
		{"--until past the end, in time", whole, "5s", "",
			"--until: 5s is past the end of the run, which ended at 130ms (step 98): give a time from 0 to 130ms, or a step from 0 to 98"},
		{"--until past the end, in steps", whole, "#99", "",
			"--until: #99 is past the end of the run, which ended at step 98 (130ms): give a step from 0 to 98, or a time from 0 to 130ms"},
		{"--node a client the run did not make", jsonTrace, "", "c7",
			"--node: the run has no client c7: give a node (n0 to n2) or one of its clients (c0)"},
	} {
		path := writeTrace(t, "trace.txt", tt.file)
		_, err := Prepare(Options{Trace: path, Name: path, Until: tt.until, Node: tt.node, Window: 60})
		var usage *UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v; want a usage error saying %q", tt.name, err, tt.want)
		}
	}
}
