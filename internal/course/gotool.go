package course

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// DefaultTimeout bounds each go command the checks run.
const DefaultTimeout = 5 * time.Minute

// goResult is the outcome of one go command.
type goResult struct {
	args     []string
	exitCode int    // -1 when the command could not run or was stopped
	timedOut bool   // stopped by the timeout
	stdout   []byte // for go test -json, the event stream
	stderr   []byte
	elapsed  time.Duration
}

func (r goResult) ok() bool { return r.exitCode == 0 }

// command is the command line, for messages.
func (r goResult) command() string { return "go " + strings.Join(r.args, " ") }

// runGo runs the go command in dir with the given timeout. The copy in dir is a
// module of its own, so a go.work around it must not apply; the module and build
// caches are shared with the caller.
func runGo(ctx context.Context, dir string, timeout time.Duration, args ...string) goResult {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	cmd.WaitDelay = 10 * time.Second // a test binary left behind must not hold the pipes open
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Run()
	r := goResult{args: args, stdout: stdout.Bytes(), stderr: stderr.Bytes(), elapsed: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		r.exitCode, r.timedOut = -1, true
	case err == nil:
		r.exitCode = 0
	case errors.As(err, &exit):
		r.exitCode = exit.ExitCode()
	default:
		r.exitCode = -1
		r.stderr = append(r.stderr, []byte(err.Error())...)
	}
	return r
}

// testEvent is one line of go test -json (see go doc test2json).
type testEvent struct {
	Action      string
	Package     string
	Test        string
	Output      string
	FailedBuild string
}

// testReport summarises a go test -json run.
type testReport struct {
	ran        []string // top-level tests that ran, in order
	failed     []string // top-level tests that failed, in order
	failedRuns []string // runs of a seed sweep that failed: "TestX/seed=7"
	buildFail  bool     // the package or its tests did not compile
	output     string   // the text output, build errors included
	parseError error
}

func parseTestJSON(stream []byte) testReport {
	var rep testReport
	var out strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(stream))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) == 0 || line[0] != '{' {
			out.Write(line)
			out.WriteByte('\n')
			continue
		}
		var ev testEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			rep.parseError = err
			continue
		}
		topLevel := ev.Test != "" && !strings.Contains(ev.Test, "/")
		switch ev.Action {
		case "run":
			if topLevel {
				rep.ran = append(rep.ran, ev.Test)
			}
		case "fail":
			if topLevel {
				rep.failed = append(rep.failed, ev.Test)
			} else if strings.Contains(ev.Test, "/seed=") {
				rep.failedRuns = append(rep.failedRuns, ev.Test)
			}
			if ev.Test == "" && ev.FailedBuild != "" {
				rep.buildFail = true
			}
		case "build-fail":
			rep.buildFail = true
		case "output", "build-output":
			out.WriteString(ev.Output)
		}
	}
	rep.output = out.String()
	return rep
}

// tail returns the last n lines of s, for failure details.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// describe says how a go command ended, with the end of its output.
func (r goResult) describe() string {
	var b strings.Builder
	switch {
	case r.timedOut:
		fmt.Fprintf(&b, "%s: stopped after %v (timeout)\n", r.command(), r.elapsed.Round(time.Second))
	default:
		fmt.Fprintf(&b, "%s: exit status %d\n", r.command(), r.exitCode)
	}
	text := string(r.stderr)
	if !bytes.HasPrefix(bytes.TrimSpace(r.stdout), []byte("{")) {
		text = string(r.stdout) + text
	} else {
		text = parseTestJSON(r.stdout).output + text
	}
	if t := strings.TrimSpace(text); t != "" {
		b.WriteString(tail(t, 30))
		b.WriteByte('\n')
	}
	return b.String()
}
