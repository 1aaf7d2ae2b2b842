package labrpc

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash"
	"hash/fnv"
	"io"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
)

// Trace files, for tools. A run's trace can be written as text (Line.Format,
// for people) or as JSON lines (Config.TraceJSON, for programs: the lab tool's
// replay and its space-time viewer). Either kind may start with a header line
// that names the run, and end with a line that says how it ended; both are
// comments, starting with "# ", so a reader of the text skips them easily:
//
//	# protolab trace package=kvsrv test=TestPutAtMostOnce1B seed=7 nodes=1
//	#1 0.000000s n0 start incarnation 1
//	...
//	# end digest=5f0c9e1a2b3c4d5e steps=812 at=1.204s failed=true

// TraceHeader names the run a trace file records: enough to run it again.
// A tool runs `go test ./Package -run '^Test$' -seed=Seed` from the module
// root, so ReadTrace refuses a header whose package is not a directory inside
// the module or whose test is not a plain test name.
type TraceHeader struct {
	Package string // the package directory, relative to the module root ("kvsrv")
	Test    string // the top-level test ("TestPutAtMostOnce1B")
	Seed    int64
	Nodes   int // endpoints below Nodes are nodes, the others clients
}

const headerPrefix = "# protolab trace "

// MaxTraceNodes bounds a trace header's nodes=: no run has more.
const MaxTraceNodes = 1 << 20

// String is the header line, without its newline.
func (h TraceHeader) String() string {
	return fmt.Sprintf("%spackage=%s test=%s seed=%d nodes=%d", headerPrefix, h.Package, h.Test, h.Seed, h.Nodes)
}

// TraceEnd says how a traced run ended.
type TraceEnd struct {
	Digest string        // the run's digest (World.Digest)
	Steps  int64         // events run
	At     time.Duration // virtual time at the end
	Failed bool          // the test failed
	// Body is the hash of the lines between the header and the end line,
	// as written (TraceBody.Sum): a file whose lines were changed after the
	// run wrote them no longer matches it.
	Body string
}

const endPrefix = "# end "

// String is the end line, without its newline.
func (e TraceEnd) String() string {
	s := fmt.Sprintf("%sdigest=%s steps=%d at=%s failed=%t", endPrefix, e.Digest, e.Steps, e.At, e.Failed)
	if e.Body != "" {
		s += " body=" + e.Body
	}
	return s
}

// A TraceBody passes a trace's lines on to a file and hashes them, for the
// end line's body= (TraceEnd.Body): the writer of a trace file gives it to
// Config.TraceTo, between writing the header and the end line.
type TraceBody struct {
	w io.Writer
	h hash.Hash64
}

// NewTraceBody returns a TraceBody that writes to w.
func NewTraceBody(w io.Writer) *TraceBody { return &TraceBody{w: w, h: fnv.New64a()} }

// Write writes p to the file and adds it to the hash.
func (b *TraceBody) Write(p []byte) (int, error) {
	b.h.Write(p)
	return b.w.Write(p)
}

// Sum is the hash of everything written so far, for TraceEnd.Body.
func (b *TraceBody) Sum() string { return fmt.Sprintf("%016x", b.h.Sum64()) }

// A TraceFile is what ReadTrace found in a trace file.
type TraceFile struct {
	Header    TraceHeader
	HasHeader bool
	End       *TraceEnd // nil if the run did not finish writing
	Lines     []Line    // the JSON lines; a text trace has none
	TextLines int       // how many text lines there were
}

// maxTraceLine bounds one line of a trace file.
const maxTraceLine = 64 << 20

// ReadTrace reads a trace file: its header and end lines, and its JSON
// lines. Text lines are counted, not parsed: text is for people; a program
// that needs the events asks for JSON (Config.TraceJSON).
//
// It refuses a file that is not what a run wrote: a header that is not the
// first line or names no runnable test, a file cut in the middle of a line,
// text lines in a JSON trace, lines after the end line, and lines that no
// longer hash to the end line's body=. A file with no end line is read (the
// run did not finish writing it); End is then nil.
func ReadTrace(r io.Reader) (*TraceFile, error) {
	tf := &TraceFile{}
	cut := false // the last line has no newline
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), maxTraceLine)
	sc.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			return i + 1, data[:i], nil
		}
		if atEOF && len(data) > 0 {
			cut = true
			return len(data), data, nil
		}
		return 0, nil, nil
	})
	body := fnv.New64a()
	var jsonBody, textBody bool
	n := 0
	for sc.Scan() {
		n++
		raw := sc.Bytes()
		if cut {
			return nil, fmt.Errorf("line %d: the file ends in the middle of a line: it was cut short (a copy that did not finish, or a run that was killed); save the trace again", n)
		}
		if tf.End != nil {
			return nil, fmt.Errorf("line %d: a line after the end line: the file was changed after the run wrote it; save the trace again", n)
		}
		text := string(raw)
		switch {
		case strings.HasPrefix(text, headerPrefix):
			if n != 1 {
				return nil, fmt.Errorf("line %d: a trace header must be the file's first line", n)
			}
			h, err := parseHeader(strings.TrimPrefix(text, headerPrefix))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			tf.Header, tf.HasHeader = h, true
			continue
		case strings.HasPrefix(text, endPrefix):
			e, err := parseEnd(strings.TrimPrefix(text, endPrefix))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			if sum := fmt.Sprintf("%016x", body.Sum64()); e.Body != sum {
				return nil, fmt.Errorf("line %d: the trace's lines were changed after the run wrote them: they hash to %s, and the end line records body=%s; save the trace again (or delete the end line to replay the run from its header alone)", n, sum, e.Body)
			}
			tf.End = &e
			continue
		}
		body.Write(raw)
		body.Write([]byte{'\n'})
		switch {
		case text == "":
		case text[0] == '{' && !textBody:
			var l Line
			if err := l.unmarshalJSON(raw); err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			if err := checkLine(l, tf.Lines); err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			tf.Lines = append(tf.Lines, l)
			jsonBody = true
		case jsonBody:
			return nil, fmt.Errorf("line %d: a text line in a JSON trace: %.40q", n, text)
		default:
			tf.TextLines++
			textBody = true
		}
	}
	if err := sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, fmt.Errorf("line %d: longer than %d MiB, more than any run writes", n+1, maxTraceLine>>20)
		}
		return nil, err
	}
	return tf, nil
}

// checkLine checks what a JSON line says against the lines before it.
func checkLine(l Line, before []Line) error {
	switch {
	case l.Step < 0 || l.At < 0:
		return fmt.Errorf("step %d at %d ns: steps and times start at 0", l.Step, l.At)
	case l.Node < -1 || l.Peer < -1:
		return fmt.Errorf("node %d, peer %d: endpoints are -1 (none) or above", l.Node, l.Peer)
	case len(before) > 0 && l.Step < before[len(before)-1].Step:
		return fmt.Errorf("step %d after step %d: steps never go back", l.Step, before[len(before)-1].Step)
	}
	return nil
}

// fields splits "k=v k=v" into a map.
func fields(s string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(s) {
		k, v, _ := strings.Cut(f, "=")
		m[k] = v
	}
	return m
}

func parseHeader(s string) (TraceHeader, error) {
	f := fields(s)
	h := TraceHeader{Package: f["package"], Test: f["test"]}
	var err1, err2 error
	h.Seed, err1 = strconv.ParseInt(f["seed"], 10, 64)
	h.Nodes, err2 = strconv.Atoi(f["nodes"])
	if h.Package == "" || h.Test == "" || err1 != nil || err2 != nil {
		return h, fmt.Errorf("a trace header needs package=, test=, seed= and nodes=; got %q", s)
	}
	if err := checkPackageDir(h.Package); err != nil {
		return h, err
	}
	if !isTestName(h.Test) {
		return h, fmt.Errorf("test=%q is not a test's name: a replay runs the top-level test it names, like TestInitialElection4A", h.Test)
	}
	if h.Nodes < 0 || h.Nodes > MaxTraceNodes {
		return h, fmt.Errorf("nodes=%d: a run has 0 to %d nodes", h.Nodes, MaxTraceNodes)
	}
	return h, nil
}

// checkPackageDir requires a package directory inside the module: a clean,
// relative, slash-separated path of plain names, as the harness writes it
// ("raft", "tests/replog"), never one that climbs out ("../x") or starts at
// the root ("/etc").
func checkPackageDir(dir string) error {
	bad := func(why string) error {
		return fmt.Errorf("package=%q %s: a trace names a package directory inside the module, like raft or tests/replog", dir, why)
	}
	if dir == "." {
		return nil
	}
	if strings.HasPrefix(dir, "/") || path.Clean(dir) != dir {
		return bad("is not a clean relative path")
	}
	for _, elem := range strings.Split(dir, "/") {
		if elem == ".." {
			return bad("leaves the module")
		}
		for i, r := range elem {
			letter := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
			if !letter && (i == 0 || r != '_' && r != '-' && r != '.') {
				return bad(fmt.Sprintf("has %q in %q", r, elem))
			}
		}
	}
	return nil
}

// isTestName reports whether s names a test function: Test, then letters,
// digits and underscores.
func isTestName(s string) bool {
	if !strings.HasPrefix(s, "Test") {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' {
			return false
		}
	}
	return true
}

func parseEnd(s string) (TraceEnd, error) {
	f := fields(s)
	e := TraceEnd{Digest: f["digest"], Body: f["body"]}
	bad := func() (TraceEnd, error) {
		return e, fmt.Errorf("a trace's end line needs digest=HEX steps=N at=DURATION failed=BOOL body=HEX; got %q", s)
	}
	var err error
	if e.Steps, err = strconv.ParseInt(f["steps"], 10, 64); err != nil || e.Steps < 0 {
		return bad()
	}
	if e.At, err = time.ParseDuration(f["at"]); err != nil {
		return bad()
	}
	if e.Failed, err = strconv.ParseBool(f["failed"]); err != nil {
		return bad()
	}
	if !isHex(e.Digest) || !isHex(e.Body) {
		return bad()
	}
	return e, nil
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return s != ""
}

// lineJSON is a Line as a JSON line. Times are in nanoseconds.
type lineJSON struct {
	Step   int64  `json:"step"`
	At     int64  `json:"at"`
	Node   int    `json:"node"`
	Kind   string `json:"kind"`
	Peer   int    `json:"peer"`
	Method string `json:"method,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
	Text   string `json:"text,omitempty"`
	Call   int64  `json:"call,omitempty"`
	// Outcome is a reply's outcome (Line.ReplyOutcome), on reply lines.
	Outcome string `json:"outcome,omitempty"`
}

func (l Line) appendJSON(b []byte) []byte {
	data, _ := json.Marshal(lineJSON{l.Step, int64(l.At), l.Node, l.Kind.String(), l.Peer, l.Method, l.Bytes, l.Text, l.Call, l.ReplyOutcome()})
	return append(b, data...)
}

// MarshalJSON encodes the line as the JSON trace file has it.
func (l Line) MarshalJSON() ([]byte, error) { return l.appendJSON(nil), nil }

// UnmarshalJSON decodes a line of a JSON trace file.
func (l *Line) UnmarshalJSON(data []byte) error { return l.unmarshalJSON(data) }

func (l *Line) unmarshalJSON(data []byte) error {
	var j lineJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	k, ok := kindByName(j.Kind)
	if !ok {
		return fmt.Errorf("unknown trace line kind %q", j.Kind)
	}
	*l = Line{Step: j.Step, At: time.Duration(j.At), Node: j.Node, Kind: k, Peer: j.Peer, Method: j.Method, Bytes: j.Bytes, Text: j.Text, Call: j.Call, Outcome: j.Outcome}
	return nil
}

func kindByName(name string) (Kind, bool) {
	for i, n := range kindNames {
		if n == name {
			return Kind(i), true
		}
	}
	return 0, false
}

// Watching worlds, for tools.

// OnTrace calls f with every trace line the world adds from now on, as it
// adds it. The lab tool records whole runs this way (for its viewer) without
// keeping them in the world. f must not use the world.
func (w *World) OnTrace(f func(Line)) { w.tr.sinks = append(w.tr.sinks, f) }

var watchers struct {
	mu   sync.Mutex
	next int
	fs   map[int]func(*World)
}

// WatchWorlds calls f with every World that NewWorld creates, until stop is
// called: the lab tool's way to record a demo that builds its own world.
// f runs before NewWorld returns, so it sees the world's first trace line.
// Tests have no use for it.
func WatchWorlds(f func(*World)) (stop func()) {
	watchers.mu.Lock()
	defer watchers.mu.Unlock()
	if watchers.fs == nil {
		watchers.fs = map[int]func(*World){}
	}
	id := watchers.next
	watchers.next++
	watchers.fs[id] = f
	return func() {
		watchers.mu.Lock()
		defer watchers.mu.Unlock()
		delete(watchers.fs, id)
	}
}

func notifyWatchers(w *World) {
	watchers.mu.Lock()
	fs := make([]func(*World), 0, len(watchers.fs))
	for i := 0; i < watchers.next; i++ {
		if f, ok := watchers.fs[i]; ok {
			fs = append(fs, f)
		}
	}
	watchers.mu.Unlock()
	for _, f := range fs {
		f(w)
	}
}
