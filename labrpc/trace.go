package labrpc

import (
	"bufio"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Kind says what a trace line records.
type Kind uint8

// The kinds of trace line.
const (
	KindStart Kind = iota // a node (re)started
	KindCrash             // a node crashed
	KindTimer             // a node's timer fired
	KindSend              // an RPC request left its caller
	KindRecv              // a request reached its server and the handler ran
	KindReply             // a reply reached its caller: done(true)
	KindLost              // a call completed with done(false)
	KindDrop              // the network lost a request or a reply
	KindLog               // a node's own Logf line
	KindFault             // the world changed: partition, heal, profile, ...
	KindProc              // a client process started, or finished
	KindNote              // a harness or test annotation
)

var kindNames = [...]string{"start", "crash", "timer", "send", "recv", "reply", "lost", "drop", "log", "fault", "proc", "note"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind%d", k)
}

// A Line is one entry of a run's trace. Several lines may belong to one event
// (a handler that sends three RPCs); Step numbers the event.
type Line struct {
	Step   int64
	At     time.Duration
	Node   int // the endpoint it happened at; -1 for the world or the test
	Kind   Kind
	Peer   int    // the other end of a message; -1 if none
	Method string // "Service.Method" for messages
	Bytes  int    // bytes on the wire, for sends and replies
	Text   string // free text: a log line, a fault, why a message was lost

	// Call numbers the RPC a message line belongs to (1, 2, ... in the
	// order calls are made): the send, recv, reply, lost and drop lines of
	// one call share it, so a viewer can draw each message from its send to
	// its delivery. It is 0 on other lines. It is not part of the digest:
	// it follows from the order of the send lines, which are.
	Call int64

	// Outcome is what a reply said, in a few words ("ErrVersion",
	// "VoteGranted", "not Success"): see ReplyOutcome. It is set on reply
	// lines read back from a JSON trace; on a live run the world keeps the
	// reply itself (reply) and words it only when the line is shown, so
	// that tracing stays cheap. Like Call, it is not part of the digest:
	// the digest hashes events, not their wording.
	Outcome string
	reply   any
}

// ReplyOutcome is the outcome of a reply line (or of a lost reply's drop
// line): Outcome, or the words for the reply it carries (see Outcome
// below); "" for other lines.
func (l Line) ReplyOutcome() string {
	if l.Outcome != "" || l.reply == nil {
		return l.Outcome
	}
	return outcomeOf(l.reply)
}

// Format renders the line as the trace file has it. Endpoints below nodes
// are nodes (n3); the others are clients (c7).
func (l Line) Format(nodes int) string {
	return fmt.Sprintf("#%d %s %s %s", l.Step, fmtTime(l.At), endpointName(l.Node, nodes), l.describe(nodes))
}

// describe is the line's content without time and node.
func (l Line) describe(nodes int) string { return l.describeIn(nodes, false) }

// describeIn is describe; compact leaves out a reply's size when it has an
// outcome, for a timeline's narrow columns.
func (l Line) describeIn(nodes int, compact bool) string {
	m := shortMethod(l.Method)
	switch l.Kind {
	case KindSend:
		return fmt.Sprintf("→%s %s %dB", endpointName(l.Peer, nodes), m, l.Bytes)
	case KindRecv:
		return fmt.Sprintf("←%s %s", endpointName(l.Peer, nodes), m)
	case KindReply:
		if o := l.ReplyOutcome(); o != "" && compact {
			return fmt.Sprintf("✓%s %s → %s", endpointName(l.Peer, nodes), m, o)
		} else if o != "" {
			return fmt.Sprintf("✓%s %s → %s %dB", endpointName(l.Peer, nodes), m, o, l.Bytes)
		}
		return fmt.Sprintf("✓%s %s %dB", endpointName(l.Peer, nodes), m, l.Bytes)
	case KindLost:
		return fmt.Sprintf("✗%s %s (%s)", endpointName(l.Peer, nodes), m, l.Text)
	case KindDrop:
		if o := l.ReplyOutcome(); o != "" {
			return fmt.Sprintf("drop →%s %s → %s: %s", endpointName(l.Peer, nodes), m, o, l.Text)
		}
		return fmt.Sprintf("drop →%s %s: %s", endpointName(l.Peer, nodes), m, l.Text)
	case KindLog:
		return l.Text
	case KindStart, KindCrash, KindTimer:
		if l.Text != "" {
			return l.Kind.String() + " " + l.Text
		}
		return l.Kind.String()
	default:
		return l.Text
	}
}

func shortMethod(m string) string {
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return m[i+1:]
	}
	return m
}

// endpointName names an endpoint in traces: n3 for node 3, c0 for the
// first client, c1 for the second, and so on. Clients are numbered from 0,
// as tests number the processes and histories they drive ("client0"); their
// endpoint ids follow the nodes' (c0 is endpoint Nodes).
func endpointName(id, nodes int) string {
	switch {
	case id < 0:
		return "--"
	case id < nodes:
		return "n" + strconv.Itoa(id)
	default:
		return "c" + strconv.Itoa(id-nodes)
	}
}

// EndpointName names endpoint id of a world with nodes nodes as traces do:
// n3, c0.
func EndpointName(id, nodes int) string { return endpointName(id, nodes) }

// ParseEndpoint reads an endpoint's name as traces write it (n3, c0) and
// returns its endpoint id in a world with nodes nodes.
func ParseEndpoint(name string, nodes int) (int, error) {
	if len(name) < 2 || (name[0] != 'n' && name[0] != 'c') {
		return 0, fmt.Errorf("%q is not a node (n0..n%d) or a client (c0, c1, ...)", name, nodes-1)
	}
	k, err := strconv.Atoi(name[1:])
	switch {
	case err != nil || k < 0:
		return 0, fmt.Errorf("%q is not a node (n0..n%d) or a client (c0, c1, ...)", name, nodes-1)
	case name[0] == 'n' && k >= nodes:
		return 0, fmt.Errorf("the run has nodes n0..n%d; %s is not one of them", nodes-1, name)
	case name[0] == 'c':
		return nodes + k, nil
	}
	return k, nil
}

func fmtTime(d time.Duration) string {
	return fmt.Sprintf("%d.%06ds", d/time.Second, (d%time.Second)/time.Microsecond)
}

// trace keeps the digest of every line, the last few lines for failure
// reports, and, if asked, writes every line to a file.
type trace struct {
	digest uint64
	count  int64
	ring   []Line
	next   int
	full   bool
	out    *bufio.Writer
	outMu  sync.Mutex // out is also flushed by the watchdog, from its goroutine
	json   bool       // out gets JSON lines (Config.TraceJSON)
	nodes  int
	sinks  []func(Line)
}

const fnvOffset, fnvPrime = 14695981039346656037, 1099511628211

func newTrace(keep int, out io.Writer, nodes int) *trace {
	t := &trace{digest: fnvOffset, ring: make([]Line, keep), nodes: nodes}
	if out != nil {
		t.out = bufio.NewWriter(out)
	}
	return t
}

// add records l. It takes l by pointer because a Line is large and this
// runs for every event: a copy less per line. m, if not nil, is
// l.Method's strMixer, which hashes it as mixStr would, faster.
func (t *trace) add(l *Line, m *strMixer) {
	h := mixFields(t.digest, l.Step, l.At, l.Node, l.Kind, l.Peer, l.Bytes)
	if m != nil {
		h = m.mix(h)
	} else {
		h = mixStr(h, l.Method)
	}
	t.digest = mixStr(h, l.Text)
	t.count++
	t.keep(l)
}

// addCall is add for a line of a call to route r, with the line's fields
// passed one by one: an RPC's three lines are written straight into the
// ring, field by field, instead of being built as a Line and copied there
// (reading back a struct just written, in larger pieces than it was
// written, stalls the processor until the writes land). The digest is the
// same as add's.
func (t *trace) addCall(step int64, at time.Duration, node int, kind Kind, peer int, r *route, bytes int, text string, call int64, reply any) {
	h := mixFields(t.digest, step, at, node, kind, peer, bytes)
	t.digest = mixStr(r.mixer.mix(h), text)
	t.count++
	if t.out != nil || len(t.sinks) > 0 || len(t.ring) == 0 {
		t.keep(&Line{Step: step, At: at, Node: node, Kind: kind, Peer: peer, Method: r.method, Bytes: bytes, Text: text, Call: call, reply: reply})
		return
	}
	l := &t.ring[t.next]
	l.Step, l.At, l.Node, l.Kind, l.Peer = step, at, node, kind, peer
	l.Bytes, l.Call, l.reply = bytes, call, reply
	// The slot's strings often hold these values already (the same method
	// a few thousand lines ago, no text): each is written only if it
	// differs, since writing a pointer costs a write barrier whenever the
	// garbage collector is marking. Its Outcome is empty: only keep words a
	// reply, when someone reads every line, and then every later line
	// takes the path above (readers are never removed: OnTrace).
	if l.Method != r.method {
		l.Method = r.method
	}
	if l.Text != text {
		l.Text = text
	}
	t.advance()
}

// mixFields folds a line's numeric fields into the digest h, in the
// digest's order: step, time, node, kind, peer, bytes (then the method and
// the text, by the caller).
func mixFields(h uint64, step int64, at time.Duration, node int, kind Kind, peer, bytes int) uint64 {
	h = mixInt(h, uint64(step))
	h = mixInt(h, uint64(at))
	h = mixInt(h, uint64(int64(node)))
	h = mixInt(h, uint64(kind))
	h = mixInt(h, uint64(int64(peer)))
	return mixInt(h, uint64(bytes))
}

// keep puts l in the ring of recent lines and hands it to whoever reads
// every line: the trace file, the sinks.
func (t *trace) keep(l *Line) {
	if l.reply != nil && (t.out != nil || len(t.sinks) > 0) {
		// Someone reads every line: word the reply now, once, and let go
		// of it, so that what they get is plain data.
		l.Outcome, l.reply = outcomeOf(l.reply), nil
	}
	if len(t.ring) > 0 {
		t.ring[t.next] = *l
		t.advance()
	}
	if t.out != nil {
		t.outMu.Lock()
		if t.json {
			t.out.Write(l.appendJSON(nil))
		} else {
			t.out.WriteString(l.Format(t.nodes))
		}
		t.out.WriteByte('\n')
		t.outMu.Unlock()
	}
	for _, f := range t.sinks {
		f(*l)
	}
}

// advance moves the ring past the line just written.
func (t *trace) advance() {
	t.next++
	if t.next == len(t.ring) {
		t.next, t.full = 0, true
	}
}

// flush writes out what the trace file's buffer holds: at Close, and when
// the watchdog reports a hang, so that a saved trace ends where the run
// stopped.
func (t *trace) flush() {
	if t.out != nil {
		t.outMu.Lock()
		t.out.Flush()
		t.outMu.Unlock()
	}
}

// mixInt folds a whole word into the digest at once: one multiply per
// field keeps tracing cheap on the event loop's hot path.
func mixInt(h, x uint64) uint64 {
	h = (h ^ x) * fnvPrime
	return h ^ h>>29
}

func mixStr(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return (h ^ 0xff) * fnvPrime // separates "ab"+"c" from "a"+"bc"
}

// A strMixer is mixStr for one string, worked out in advance: the digest
// hashes an RPC's method name on each of its trace lines, a byte at a time,
// and that was a tenth of what the world adds to a round trip's copies.
//
// Why it is exact: mixStr's steps are h = (h ^ b) * fnvPrime for each byte
// b, then the same with 0xff. XOR with a byte changes only h's low eight
// bits, so it adds to h a number that depends on those bits alone; and the
// low eight bits of a product depend only on the low eight bits of its
// factors. So the low byte of h decides every one of those additions, and
// mixStr(h, s) = h*mul + add[h&0xff], with mul = fnvPrime^(len(s)+1) and
// add[b] = mixStr(b, s) - b*mul, all modulo 2^64 as Go's uint64 computes.
// TestStrMixer checks it against mixStr.
type strMixer struct {
	mul uint64
	add [256]uint64
}

func newStrMixer(s string) *strMixer {
	m := &strMixer{mul: 1}
	for i := 0; i <= len(s); i++ {
		m.mul *= fnvPrime
	}
	for b := range uint64(256) {
		m.add[b] = mixStr(b, s) - b*m.mul
	}
	return m
}

func (m *strMixer) mix(h uint64) uint64 { return h*m.mul + m.add[h&0xff] }

// mixers holds the strMixer of each method name, for the whole process:
// building one takes a few microseconds, and a test builds many worlds.
var mixers sync.Map // string -> *strMixer

func mixerOf(method string) *strMixer {
	if m, ok := mixers.Load(method); ok {
		return m.(*strMixer)
	}
	m, _ := mixers.LoadOrStore(method, newStrMixer(method))
	return m.(*strMixer)
}

// tail returns up to n of the most recent lines, oldest first.
func (t *trace) tail(n int) []Line {
	var all []Line
	if t.full {
		all = append(append(all, t.ring[t.next:]...), t.ring[:t.next]...)
	} else {
		all = append(all, t.ring[:t.next]...)
	}
	if n >= 0 && len(all) > n {
		all = all[len(all)-n:]
	}
	return all
}

// Timeline renders trace lines as a per-node timeline (nodes is the
// world's node count, to tell nodes from clients): one column per endpoint
// (up to eight), or one row per line tagged with the node when there are
// more. Timer firings are left out: they count in the digest but say little
// to a reader. World events (partitions, crashes from the test) span the row.
func Timeline(lines []Line, nodes int) string {
	var cols []int
	seen := map[int]bool{}
	for _, l := range lines {
		if l.Node >= 0 && !seen[l.Node] && l.Kind != KindTimer {
			seen[l.Node] = true
			cols = append(cols, l.Node)
		}
	}
	slices.Sort(cols)
	var b strings.Builder
	if len(cols) > 8 {
		for _, l := range lines {
			if l.Kind == KindTimer {
				continue
			}
			fmt.Fprintf(&b, "%12s  %-4s %s\n", fmtTime(l.At), endpointName(l.Node, nodes), l.describe(nodes))
		}
		return b.String()
	}
	const width = 34 // "✓n1 RequestVote → not VoteGranted"
	col := map[int]int{}
	fmt.Fprintf(&b, "%12s", "time")
	for i, n := range cols {
		col[n] = i
		fmt.Fprintf(&b, "  %-*s", width, endpointName(n, nodes))
	}
	b.WriteString("\n")
	for _, l := range lines {
		if l.Kind == KindTimer {
			continue
		}
		fmt.Fprintf(&b, "%12s", fmtTime(l.At))
		if l.Node < 0 {
			fmt.Fprintf(&b, "  ── %s\n", l.describe(nodes))
			continue
		}
		b.WriteString(strings.Repeat(" ", col[l.Node]*(width+2)))
		text := l.describeIn(nodes, true)
		if r := []rune(text); len(r) > width {
			text = string(r[:width-1]) + "…"
		}
		fmt.Fprintf(&b, "  %s\n", text)
	}
	return b.String()
}

// Reply outcomes. A timeline that says "✓n0 Put 34B" leaves the reader to
// guess what the server answered; "✓n0 Put → ErrVersion" does not. The world
// knows no protocol, so it words a reply by its shape:
//
//   - a reply type with a method Outcome() string words itself;
//   - otherwise its string-kinded field named Err, if set, is the outcome
//     ("ErrVersion"), and each bool field reads as its name when true and
//     "not" and its name when false ("VoteGranted", "not Success").
//
// Other fields (terms, values, entries) are left out: the outcome is a few
// words for a timeline, not a dump of the reply.

// An Outcomer is a reply that says its own outcome in a few words, for
// traces: "refused: stale term 3", "promised b4.1".
type Outcomer interface{ Outcome() string }

// maxOutcome bounds an outcome's length in a trace line.
const maxOutcome = 80

// outcomeFields are the fields of a reply type that its outcome reads: the
// index of its Err field (-1 if none) and of its bool fields.
type outcomeFields struct {
	err   int
	bools []int
}

var outcomeCache sync.Map // reflect.Type → *outcomeFields

func fieldsOf(t reflect.Type) *outcomeFields {
	if f, ok := outcomeCache.Load(t); ok {
		return f.(*outcomeFields)
	}
	f := &outcomeFields{err: -1}
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		switch {
		case !sf.IsExported():
		case sf.Name == "Err" && sf.Type.Kind() == reflect.String:
			f.err = i
		case sf.Type.Kind() == reflect.Bool:
			f.bools = append(f.bools, i)
		}
	}
	outcomeCache.Store(t, f)
	return f
}

// outcomeOf words a reply (a pointer to the reply struct, as handlers
// fill it).
func outcomeOf(reply any) (out string) {
	defer func() {
		if recover() != nil {
			out = "(its Outcome method panicked)"
		}
		if len(out) > maxOutcome {
			out = out[:maxOutcome-1] + "…"
		}
	}()
	if o, ok := reply.(Outcomer); ok {
		return o.Outcome()
	}
	v := reflect.ValueOf(reply)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	f := fieldsOf(v.Type())
	var words []string
	if f.err >= 0 {
		if e := v.Field(f.err).String(); e != "" {
			words = append(words, e)
		}
	}
	for _, i := range f.bools {
		name := v.Type().Field(i).Name
		if !v.Field(i).Bool() {
			name = "not " + name
		}
		words = append(words, name)
	}
	return strings.Join(words, " ")
}
