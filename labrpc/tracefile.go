package labrpc

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
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
type TraceHeader struct {
	Package string // the package directory, relative to the module root ("kvsrv")
	Test    string // the top-level test ("TestPutAtMostOnce1B")
	Seed    int64
	Nodes   int // endpoints below Nodes are nodes, the others clients
}

const headerPrefix = "# protolab trace "

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
}

const endPrefix = "# end "

// String is the end line, without its newline.
func (e TraceEnd) String() string {
	return fmt.Sprintf("%sdigest=%s steps=%d at=%s failed=%t", endPrefix, e.Digest, e.Steps, e.At, e.Failed)
}

// A TraceFile is what ReadTrace found in a trace file.
type TraceFile struct {
	Header    TraceHeader
	HasHeader bool
	End       *TraceEnd // nil if the run did not finish writing
	Lines     []Line    // the JSON lines; a text trace has none
	TextLines int       // how many text lines there were
}

// ReadTrace reads a trace file: its header and end lines, and its JSON
// lines. Text lines are counted, not parsed: text is for people; a program
// that needs the events asks for JSON (Config.TraceJSON).
func ReadTrace(r io.Reader) (*TraceFile, error) {
	tf := &TraceFile{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		switch {
		case text == "":
		case strings.HasPrefix(text, headerPrefix):
			h, err := parseHeader(strings.TrimPrefix(text, headerPrefix))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			tf.Header, tf.HasHeader = h, true
		case strings.HasPrefix(text, endPrefix):
			e, err := parseEnd(strings.TrimPrefix(text, endPrefix))
			if err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			tf.End = &e
		case text[0] == '{':
			var l Line
			if err := l.unmarshalJSON([]byte(text)); err != nil {
				return nil, fmt.Errorf("line %d: %v", n, err)
			}
			tf.Lines = append(tf.Lines, l)
		default:
			tf.TextLines++
		}
	}
	return tf, sc.Err()
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
	return h, nil
}

func parseEnd(s string) (TraceEnd, error) {
	f := fields(s)
	e := TraceEnd{Digest: f["digest"], Failed: f["failed"] == "true"}
	var err error
	if e.Steps, err = strconv.ParseInt(f["steps"], 10, 64); err != nil {
		return e, fmt.Errorf("a trace's end line needs steps=; got %q", s)
	}
	e.At, _ = time.ParseDuration(f["at"])
	return e, nil
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
