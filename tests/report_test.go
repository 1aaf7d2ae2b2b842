package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// TestFailureReportsPointAtTheTest runs the fixture in testdata/failing, a
// test that fails with testify, and reads what a student would: the
// failure's location, testify's trace, the -v line, the timeline's filter,
// and the saved trace, which must hold the failure's message for lab replay.
func TestFailureReportsPointAtTheTest(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test on a fixture")
	}
	src, err := os.ReadFile("testdata/failing/failing_test.go")
	require.NoError(t, err)
	lineOf := func(marker string) string {
		for i, l := range strings.Split(string(src), "\n") {
			if strings.Contains(l, marker) {
				return "failing_test.go:" + strconv.Itoa(i+1) + ":"
			}
		}
		t.Fatalf("the fixture has no line marked %q", marker)
		return ""
	}
	trace := filepath.Join(t.TempDir(), "trace.jsonl")
	cmd := exec.Command("go", "test", "./testdata/failing", "-run", "^TestRequireFails$", "-count=1", "-v",
		"-simtrace="+trace, "-tailfilter=-Ping")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the fixture must fail:\n%s", out)
	text := string(out)

	require.Contains(t, text, "    "+lineOf("the failure points here")+" \n", "the failure names the test's line:\n%s", text)
	errTrace := regexp.MustCompile(`Error Trace:((?:\s+\S+\.(?:go|s):\d+)+)\s+Error:`).FindStringSubmatch(text)
	require.NotNil(t, errTrace, "testify's trace:\n%s", text)
	for _, frame := range strings.Fields(errTrace[1]) {
		require.Contains(t, frame, "/testdata/failing/failing_test.go:", "testify's trace lists the test's frames only")
	}
	require.NotContains(t, text, "harness.go:", "no line points into the harness")
	require.Regexp(t, regexp.QuoteMeta(lineOf("the -v line points here"))+` seed=1 digest=[0-9a-f]+ \.\.\. Failed -- 100ms virtual  3 peers  \d+ RPCs  \d+ bytes\n`, text,
		"with -v the run ends with its figures, at the test's line")

	report := text[strings.Index(text, "the last "):]
	require.Contains(t, report, "that -tailfilter=-Ping keeps", "the report says it is filtered")
	require.Contains(t, report, "tick: asking", "a log topic the filter does not hide")
	require.Contains(t, report, "FAIL: Not equal", "the failure is in the timeline")
	require.NotRegexp(t, `n\d Ping`, report, "-tailfilter=-Ping hides the Ping RPCs")

	f, err := os.Open(trace)
	require.NoError(t, err)
	defer f.Close()
	tf, err := labrpc.ReadTrace(f)
	require.NoError(t, err)
	var fail *labrpc.Line
	for i, l := range tf.Lines {
		if l.Kind == labrpc.KindNote && strings.HasPrefix(l.Text, "FAIL: ") {
			fail = &tf.Lines[i]
		}
	}
	require.NotNil(t, fail, "the trace holds the failure")
	require.Equal(t, "FAIL: Not equal: expected: 1 actual : 2 the answer the test wanted", fail.Text)
	require.Equal(t, "100ms", fail.At.String(), "at the moment the test failed")
	require.True(t, tf.End.Failed)
	var replyOK bool
	for _, l := range tf.Lines {
		replyOK = replyOK || l.Kind == labrpc.KindReply && l.Outcome == "OK"
	}
	require.True(t, replyOK, "the trace says what the replies answered")
}

func TestTailFilterKeepsOrHides(t *testing.T) {
	lines := []labrpc.Line{
		{Node: 0, Kind: labrpc.KindSend, Peer: 1, Method: "Raft.AppendEntries"},
		{Node: 0, Kind: labrpc.KindSend, Peer: 1, Method: "Raft.RequestVote"},
		{Node: 1, Kind: labrpc.KindLog, Peer: -1, Text: "vote: for n0 in term 2: granted"},
		{Node: 1, Kind: labrpc.KindTimer, Peer: -1},
		{Node: -1, Kind: labrpc.KindFault, Peer: -1, Text: "partition [0] [1]"},
		{Node: 1, Kind: labrpc.KindCrash, Peer: -1},
	}
	texts := func(filter string, n int) []string {
		t.Helper()
		got, err := tailLines(lines, filter, n)
		require.NoError(t, err)
		var s []string
		for _, l := range got {
			s = append(s, l.Kind.String()+" "+l.Method+l.Text)
		}
		return s
	}
	require.Equal(t, []string{"send Raft.AppendEntries", "send Raft.RequestVote", "log vote: for n0 in term 2: granted", "fault partition [0] [1]", "crash "}, texts("", -1), "no filter: all but timers")
	require.Equal(t, []string{"send Raft.RequestVote", "log vote: for n0 in term 2: granted", "fault partition [0] [1]", "crash "}, texts("-appendentries", -1))
	require.Equal(t, []string{"send Raft.RequestVote", "log vote: for n0 in term 2: granted", "fault partition [0] [1]", "crash "}, texts("RequestVote, vote", -1))
	require.Equal(t, []string{"send Raft.AppendEntries", "fault partition [0] [1]", "crash "}, texts("AppendEntries", -1))
	require.Equal(t, []string{"fault partition [0] [1]", "crash "}, texts("AppendEntries", 2), "the last n")
	_, err := tailLines(lines, "vote,-AppendEntries", 10)
	require.ErrorContains(t, err, "both keeps and hides")
}

func TestFailureSummaryIsOneLine(t *testing.T) {
	testify := "\n\tError Trace:\t/x/kvsrv_test.go:23\n\tError:      \tNot equal: \n\t            \texpected: \"OK\"\n\t            \tactual  : \"ErrVersion\"\n" +
		"\t            \t\n\t            \tDiff:\n\tTest:       \tTestPut1A\n\tMessages:   \tversion 0 creates a key\n"
	require.Equal(t, `Not equal: expected: "OK" actual : "ErrVersion" version 0 creates a key`, failureSummary(testify))
	require.Equal(t, "no leader after 5s: n0 and n1 disagree", failureSummary("no leader after 5s:\n  n0 and n1 disagree"))
}
