package labrpc

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Trace files are input to tools (lab replay runs the test a header names),
// so ReadTrace refuses what a run did not write.

// savedTrace is a whole trace file of a short run, as the harness writes it:
// header, lines, end line with the body's hash.
func savedTrace(t *testing.T, json bool) string {
	t.Helper()
	var out bytes.Buffer
	out.WriteString(TraceHeader{Package: "labrpc", Test: "TestX", Seed: 3, Nodes: 2}.String() + "\n")
	body := NewTraceBody(&out)
	w := echoRun(Config{Seed: 3, TraceTo: body, TraceJSON: json})
	w.Close()
	out.WriteString(TraceEnd{Digest: w.Digest(), Steps: w.Steps(), At: w.Now(), Body: body.Sum()}.String() + "\n")
	return out.String()
}

func TestTraceHeaderNamesAPackageInsideTheModule(t *testing.T) {
	for _, pkg := range []string{"../../etc", "/etc", "raft/../../x", "./raft", "raft/", "raft//x", `..\x`, "-x", "a;b", "raft;rm", ".hidden", ""} {
		_, err := ReadTrace(strings.NewReader("# protolab trace package=" + pkg + " test=TestX seed=1 nodes=3\n"))
		require.Error(t, err, "package=%q", pkg)
	}
	for _, pkg := range []string{"raft", "tests/replog", "cmd/lab/testdata/flaky", ".", "x_y-z.v2"} {
		tf, err := ReadTrace(strings.NewReader("# protolab trace package=" + pkg + " test=TestX seed=1 nodes=3\n"))
		require.NoError(t, err, "package=%q", pkg)
		require.Equal(t, pkg, tf.Header.Package)
	}
	_, err := ReadTrace(strings.NewReader("# protolab trace package=../../etc test=TestX seed=1 nodes=3\n"))
	require.ErrorContains(t, err, `package="../../etc" leaves the module: a trace names a package directory inside the module`)
}

func TestTraceHeaderNamesATest(t *testing.T) {
	for _, test := range []string{".*", "TestX|TestY", "TestX$", "Test(X)", "BenchmarkX", "test", "TestX/sub", "TestX.*"} {
		_, err := ReadTrace(strings.NewReader("# protolab trace package=raft test=" + test + " seed=1 nodes=3\n"))
		require.ErrorContains(t, err, "is not a test's name", "test=%q", test)
	}
	for _, h := range []string{"nodes=-1", "nodes=99999999"} {
		_, err := ReadTrace(strings.NewReader("# protolab trace package=raft test=TestX seed=1 " + h + "\n"))
		require.ErrorContains(t, err, "a run has 0 to", h)
	}
}

func TestTraceWithEditedLinesIsRefused(t *testing.T) {
	for _, json := range []bool{false, true} {
		file := savedTrace(t, json)
		tf, err := ReadTrace(strings.NewReader(file))
		require.NoError(t, err, "the file as written reads")
		require.NotNil(t, tf.End)

		// One line changed, one removed, one added: each is caught.
		lines := strings.SplitAfter(file, "\n")
		edited := strings.Replace(file, "Echo", "EcHo", 1)
		require.NotEqual(t, file, edited)
		removed := strings.Join(append(append([]string{}, lines[:5]...), lines[6:]...), "")
		added := strings.Join(append(append(append([]string{}, lines[:5]...), lines[4]), lines[5:]...), "")
		for name, f := range map[string]string{"edited": edited, "removed": removed, "added": added} {
			_, err := ReadTrace(strings.NewReader(f))
			require.ErrorContains(t, err, "the trace's lines were changed after the run wrote them", "json=%v %s", json, name)
		}
		// An end line without body= cannot vouch for the lines.
		noBody := file[:strings.LastIndex(file, " body=")] + "\n"
		_, err = ReadTrace(strings.NewReader(noBody))
		require.ErrorContains(t, err, "a trace's end line needs", "json=%v", json)
		// Nothing may follow the end line.
		_, err = ReadTrace(strings.NewReader(file + lines[3]))
		require.ErrorContains(t, err, "a line after the end line", "json=%v", json)
	}
}

func TestTruncatedTraceIsRefused(t *testing.T) {
	for _, json := range []bool{false, true} {
		file := savedTrace(t, json)
		// Cut in the middle of a line, and just before a line's newline.
		for _, cut := range []int{len(file) / 2, strings.Index(file[len(file)/2:], "\n") + len(file)/2} {
			_, err := ReadTrace(strings.NewReader(file[:cut]))
			require.ErrorContains(t, err, "the file ends in the middle of a line: it was cut short", "json=%v, cut at %d", json, cut)
		}
		// Cut at the end of a line: the run did not finish writing it.
		cut := strings.LastIndex(file[:len(file)/2], "\n") + 1
		tf, err := ReadTrace(strings.NewReader(file[:cut]))
		require.NoError(t, err)
		require.Nil(t, tf.End, "no end line: nothing to compare a replay with")
	}
}

func TestTraceLayoutErrors(t *testing.T) {
	file := savedTrace(t, true)
	lines := strings.SplitAfter(file, "\n")
	_, err := ReadTrace(strings.NewReader(lines[1] + lines[0]))
	require.ErrorContains(t, err, "line 2: a trace header must be the file's first line")
	_, err = ReadTrace(strings.NewReader(lines[0] + lines[1] + "#2 0.001000s n0 start\n"))
	require.ErrorContains(t, err, "line 3: a text line in a JSON trace")
	_, err = ReadTrace(strings.NewReader(lines[0] + `{"step":-4,"at":0,"node":0,"kind":"start","peer":-1}` + "\n"))
	require.ErrorContains(t, err, "steps and times start at 0")
	_, err = ReadTrace(strings.NewReader(lines[0] + `{"step":9,"at":0,"node":0,"kind":"start","peer":-1}` + "\n" + `{"step":8,"at":0,"node":0,"kind":"start","peer":-1}` + "\n"))
	require.ErrorContains(t, err, "steps never go back")
	_, err = ReadTrace(strings.NewReader(lines[0] + `{"step":1,"at":0,"node":0,"kind":"start","peer":-1}` + "\n" + "# end digest=zz steps=1 at=0s failed=false body=00\n"))
	require.ErrorContains(t, err, "a trace's end line needs")
}
