package tests

import (
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"protolab/labrpc"
)

// A test's failure, where a student looks for it. T's failure methods do
// three things testing.T's do not:
//
//   - they put the failure into the run's trace, as a "FAIL: ..." note at
//     the step it happened, so that a saved trace (and `lab replay`, and the
//     viewer) shows what went wrong, not only that something did;
//   - they mark themselves as helpers, so that the file:line before the
//     message is the test's line, not the harness's;
//   - they leave the harness's and the world's frames out of testify's
//     "Error Trace", which otherwise lists them under the test's line.

// Errorf records a failure and goes on, as testing.T's does.
func (t *T) Errorf(format string, args ...any) {
	t.Helper()
	t.fail(fmt.Sprintf(format, args...))
}

// Error records a failure and goes on, as testing.T's does.
func (t *T) Error(args ...any) {
	t.Helper()
	t.fail(strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
}

// Fatalf records a failure and ends the test, as testing.T's does.
func (t *T) Fatalf(format string, args ...any) {
	t.Helper()
	t.fail(fmt.Sprintf(format, args...))
	t.FailNow()
}

// Fatal records a failure and ends the test, as testing.T's does.
func (t *T) Fatal(args ...any) {
	t.Helper()
	t.fail(strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
	t.FailNow()
}

func (t *T) fail(msg string) {
	t.Helper()
	if t.search != nil { // one schedule of a search: it only ends (explore.go);
		// the test's own failure makes the schedule inconclusive, not a bug
		return
	}
	msg = dropOwnFrames(msg)
	t.noteFailure(msg)
	t.T.Error(msg)
}

// noteFailure puts the run's first failure into its first world's trace.
// A world that stopped itself has noted its own error already.
func (t *T) noteFailure(msg string) {
	if t.noted || t.closed || len(t.worlds) == 0 {
		return
	}
	t.noted = true
	if w := t.worlds[0]; w.Err() == nil {
		w.Note("FAIL: %s", failureSummary(msg))
	}
}

// maxSummary bounds the failure note's length: it is one trace line.
const maxSummary = 400

// failureSummary is a failure message on one line: for testify's layout,
// what its Error and Messages say; for others, the message with its lines
// joined.
func failureSummary(msg string) string {
	var parts []string
	if strings.Contains(msg, "Error Trace:") {
		label := ""
		for _, line := range strings.Split(msg, "\n") {
			if m := testifyLabel.FindStringSubmatch(line); m != nil {
				label, line = m[1], m[2]
			} else {
				line = strings.TrimSpace(line)
			}
			if label == "Error" && line == "Diff:" {
				label = "Diff" // the diff repeats expected and actual at length
			}
			if (label == "Error" || label == "Messages") && line != "" {
				parts = append(parts, line)
			}
		}
	}
	if len(parts) == 0 {
		parts = strings.Fields(msg)
	}
	s := strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
	if r := []rune(s); len(r) > maxSummary {
		s = string(r[:maxSummary-1]) + "…"
	}
	return s
}

// testifyLabel matches a labelled line of testify's layout:
// "\tError:      \tNot equal: ".
var testifyLabel = regexp.MustCompile(`^\t([A-Z][A-Za-z ]*):\s*\t(.*)$`)

// ownDirs are the directories of the harness and of the world: frames in
// them say nothing about the test.
var ownDirs = func() []string {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return nil
	}
	dir := filepath.Dir(file)
	return []string{dir + "/", filepath.Join(filepath.Dir(dir), "labrpc") + "/", filepath.Join(runtime.GOROOT(), "src", "runtime") + "/"}
}()

// dropOwnFrames removes the harness's, the world's and Go's runtime's
// frames from the
// "Error Trace" testify writes: one frame a line, after the first.
func dropOwnFrames(msg string) string {
	if !strings.Contains(msg, "Error Trace:") {
		return msg
	}
	lines := strings.Split(msg, "\n")
	kept := lines[:0]
	for _, line := range lines {
		if own(strings.TrimSpace(line)) {
			continue
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "\n")
}

// own reports whether a trace line is just a frame in ownDirs.
func own(frame string) bool {
	for _, d := range ownDirs {
		if rest, ok := strings.CutPrefix(frame, d); ok && !strings.Contains(rest, "/") && !strings.Contains(rest, "_test.go:") && strings.Contains(rest, ":") {
			return true
		}
	}
	return false
}

// tailLines are the last n lines the filter keeps (see -tailfilter).
func tailLines(lines []labrpc.Line, filter string, n int) ([]labrpc.Line, error) {
	var keep, hide []string
	for _, w := range strings.Split(filter, ",") {
		w = strings.TrimSpace(w)
		switch {
		case w == "" || w == "-":
		case w[0] == '-':
			hide = append(hide, strings.ToLower(w[1:]))
		default:
			keep = append(keep, strings.ToLower(w))
		}
	}
	if len(keep) > 0 && len(hide) > 0 {
		return nil, fmt.Errorf("%q both keeps and hides; give the words to keep (vote,RequestVote) or those to hide (-AppendEntries), not both", filter)
	}
	var out []labrpc.Line
	for _, l := range lines {
		if l.Kind == labrpc.KindTimer {
			continue
		}
		if l.Node < 0 || l.Kind == labrpc.KindStart || l.Kind == labrpc.KindCrash || matchesAny(l, keep) == (len(keep) > 0) && !matchesAny(l, hide) {
			out = append(out, l)
		}
	}
	if n >= 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out, nil
}

// matchesAny reports whether the line's RPC method or log topic is one of
// words (lower case).
func matchesAny(l labrpc.Line, words []string) bool {
	var name string
	switch {
	case l.Method != "":
		name = l.Method[strings.LastIndexByte(l.Method, '.')+1:]
	case l.Kind == labrpc.KindLog:
		name, _, _ = strings.Cut(l.Text, ":")
	}
	name = strings.ToLower(name)
	for _, w := range words {
		if name == w {
			return true
		}
	}
	return false
}
