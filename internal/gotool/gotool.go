// Package gotool runs the go command for the course tool, and reads what
// go test says as go test -json events (see go doc test2json): the course
// checks run go test -json, and 'lab stress' runs a test binary through
// test2json, so every verdict comes from the events, never from scraped text.
package gotool

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

// Result is the outcome of one go command.
type Result struct {
	Args     []string
	ExitCode int    // -1 when the command could not run or was stopped
	TimedOut bool   // stopped by the timeout
	Stdout   []byte // for go test -json, the event stream
	Stderr   []byte
	Elapsed  time.Duration
}

func (r Result) OK() bool { return r.ExitCode == 0 }

// Command is the command line, for messages.
func (r Result) Command() string { return "go " + strings.Join(r.Args, " ") }

// Run runs the go command in dir with the given timeout. The copy in dir is a
// module of its own, so a go.work around it must not apply; the module and build
// caches are shared with the caller.
func Run(ctx context.Context, dir string, timeout time.Duration, args ...string) Result {
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
	r := Result{Args: args, Stdout: stdout.Bytes(), Stderr: stderr.Bytes(), Elapsed: time.Since(start)}
	var exit *exec.ExitError
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		r.ExitCode, r.TimedOut = -1, true
	case err == nil:
		r.ExitCode = 0
	case errors.As(err, &exit):
		r.ExitCode = exit.ExitCode()
	default:
		r.ExitCode = -1
		r.Stderr = append(r.Stderr, []byte(err.Error())...)
	}
	return r
}

// Event is one line of go test -json (see go doc test2json).
type Event struct {
	Action      string
	Package     string
	Test        string
	Output      string
	FailedBuild string
}

// Report summarises a go test -json run.
type Report struct {
	Ran        []string // top-level tests that ran, in order
	Failed     []string // top-level tests that failed, in order
	FailedRuns []string // runs of a seed sweep that failed: "TestX/seed=7"
	BuildFail  bool     // the package or its tests did not compile
	Output     string   // the text output, build errors included
	ParseError error
}

// ParseTestJSON reads the events of go test -json (lines that are not JSON,
// such as build errors printed before the events, count as output).
func ParseTestJSON(stream []byte) Report {
	var rep Report
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
		var ev Event
		if err := json.Unmarshal(line, &ev); err != nil {
			rep.ParseError = err
			continue
		}
		topLevel := ev.Test != "" && !strings.Contains(ev.Test, "/")
		switch ev.Action {
		case "run":
			if topLevel {
				rep.Ran = append(rep.Ran, ev.Test)
			}
		case "fail":
			if topLevel {
				rep.Failed = append(rep.Failed, ev.Test)
			} else if strings.Contains(ev.Test, "/seed=") {
				rep.FailedRuns = append(rep.FailedRuns, ev.Test)
			}
			if ev.Test == "" && ev.FailedBuild != "" {
				rep.BuildFail = true
			}
		case "build-fail":
			rep.BuildFail = true
		case "output", "build-output":
			out.WriteString(ev.Output)
		}
	}
	rep.Output = out.String()
	return rep
}

// Tail returns the last n lines of s, for failure details.
func Tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// Describe says how a go command ended, with the end of its output.
func (r Result) Describe() string {
	var b strings.Builder
	switch {
	case r.TimedOut:
		fmt.Fprintf(&b, "%s: stopped after %v (timeout)\n", r.Command(), r.Elapsed.Round(time.Second))
	default:
		fmt.Fprintf(&b, "%s: exit status %d\n", r.Command(), r.ExitCode)
	}
	text := string(r.Stderr)
	if !bytes.HasPrefix(bytes.TrimSpace(r.Stdout), []byte("{")) {
		text = string(r.Stdout) + text
	} else {
		text = ParseTestJSON(r.Stdout).Output + text
	}
	if t := strings.TrimSpace(text); t != "" {
		b.WriteString(Tail(t, 30))
		b.WriteByte('\n')
	}
	return b.String()
}
