// Package viewer writes a run's trace as a space-time diagram: one
// self-contained HTML page, with one lane per node, messages as arrows from
// send to delivery, crashes, disconnections and partitions shaded, and each
// node's protocol state coloured along its lane. The page draws on a canvas,
// only what is in view, so it stays responsive on a run of 100,000 events.
//
// The model is computed here, in Go, where it can be tested; the page's
// script only draws it.
//
// Protocol state comes from the node's own trace: a Logf line with the
// topic "state" and key=value pairs, such as
//
//	env.Logf("state", "term=%d role=%s", rf.currentTerm, rf.role)
//
// colours the node's lane from then on by its role (or, without a role, its
// status, or else its first value), and labels it with the whole line, until
// the next state line or a crash. A node that logs states has a bar from each
// of its starts, too: "started", until its first state line, so that its
// lane is never blank while it is up.
//
// The world's lane labels its events: the test's notes (a demo's acts), the
// faults, the failure. A linearizability failure's notes (see package tests,
// blame.go) become boxes around the operations porcupine blames, on their
// clients' lanes.
package viewer

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"protolab/labrpc"
)

// Input is one run to draw.
type Input struct {
	Title  string
	Nodes  int           // endpoints below Nodes are nodes, the others clients
	Lines  []labrpc.Line // the whole trace (or a prefix of it), in order
	Digest string
	Focus  int // a lane to highlight: a node or client id; -1 for none
}

// maxClientLanes bounds the lanes given to clients: past it, every client
// shares one lane, so a test with a thousand clerks stays readable.
const maxClientLanes = 24

// Model is what the page draws. Slices of numbers are columns, one entry per
// event or message, so that the page's JSON stays compact on large runs.
// Times are nanoseconds of virtual time.
type Model struct {
	Title  string   `json:"title"`
	Digest string   `json:"digest"`
	Lanes  []string `json:"lanes"` // lane 0 is the world's (faults, notes)
	Focus  int      `json:"focus"` // lane index, or -1
	End    int64    `json:"end"`   // the last event's time

	Events   Events   `json:"ev"`
	Messages Messages `json:"msg"`
	Spans    Spans    `json:"spans"`
	States   States   `json:"states"`
	// Partitions are the times the network was split; Groups gives each
	// lane's group (0: in no group).
	Partitions []Partition `json:"parts"`
	// World are the world lane's events, with their text, for labels.
	World WorldMarks `json:"world"`
	// Blames are the operations a linearizability checker blamed.
	Blames Blames `json:"blames"`
}

// WorldMarks are the world's events (notes, faults, processes) in time
// order, with the text a label shows.
type WorldMarks struct {
	T    []int64  `json:"t"`
	Kind []string `json:"kind"`
	Text []string `json:"text"`
}

// Blames are operations that porcupine blames for a linearizability
// failure: the client's lane, the operation's call and return (End if it
// never returned), and what it was.
type Blames struct {
	Lane []int    `json:"lane"`
	T0   []int64  `json:"t0"`
	T1   []int64  `json:"t1"`
	Text []string `json:"text"`
}

// blamePrefix starts a note that names a blamed operation. It is
// tests.BlamePrefix (the viewer does not import the harness, which would
// bring the test flags into the lab tool); a test checks they agree.
const blamePrefix = "linearizability: porcupine blames "

var blameNote = regexp.MustCompile(`^([nc]\d+) \[(\d+\.\d+)s, (\d+\.\d+s|never)\] (.*)$`)

// startedLabel is the state of a node between its start and its first
// state line.
const startedLabel = "started (no state logged yet)"

// Events are the trace lines, timer firings left out, sorted by time.
type Events struct {
	T    []int64  `json:"t"`
	Lane []int    `json:"lane"`
	Kind []string `json:"kind"`
	Text []string `json:"text"` // the line as the trace file has it
}

// Messages are requests and replies, sorted by their send time.
type Messages struct {
	T0     []int64  `json:"t0"`
	T1     []int64  `json:"t1"` // delivery, or where the loss was noticed
	From   []int    `json:"from"`
	To     []int    `json:"to"`
	Reply  []bool   `json:"reply"`
	Drop   []string `json:"drop"` // why it was lost; "" if delivered
	Method []string `json:"method"`
	Bytes  []int    `json:"bytes"`
	MaxDur int64    `json:"maxdur"` // the longest T1-T0, for finding what is in view
}

// Spans shade a lane over time: "down" between a crash and a restart,
// "cut" while a node is disconnected, "paused" while the world holds a
// node's events (World.Pause: a long GC pause).
type Spans struct {
	Lane []int    `json:"lane"`
	T0   []int64  `json:"t0"`
	T1   []int64  `json:"t1"`
	Kind []string `json:"kind"`
}

// States are the protocol states of the nodes, per lane in time order.
type States struct {
	Lane  []int    `json:"lane"`
	T0    []int64  `json:"t0"`
	T1    []int64  `json:"t1"`
	Label []string `json:"label"` // "term=3 role=leader"
	Color []string `json:"color"` // the value that picks the colour: "leader"
}

// A Partition is a time the network was split into groups.
type Partition struct {
	T0     int64  `json:"t0"`
	T1     int64  `json:"t1"`
	Text   string `json:"text"`
	Groups []int  `json:"groups"` // per lane: 1, 2, ... or 0
}

// Build computes the model of a run.
func Build(in Input) *Model {
	b := &builder{in: in, lane: map[int]int{}, m: &Model{Title: in.Title, Digest: in.Digest, Focus: -1}}
	b.lanes()
	b.walk()
	return b.m
}

type builder struct {
	in   Input
	m    *Model
	lane map[int]int // endpoint id → lane
}

func (b *builder) lanes() {
	b.m.Lanes = []string{"world"}
	for i := 0; i < b.in.Nodes; i++ {
		b.lane[i] = len(b.m.Lanes)
		b.m.Lanes = append(b.m.Lanes, "n"+strconv.Itoa(i))
	}
	var clients []int
	seen := map[int]bool{}
	for _, l := range b.in.Lines {
		for _, id := range []int{l.Node, l.Peer} {
			if id >= b.in.Nodes && !seen[id] {
				seen[id] = true
				clients = append(clients, id)
			}
		}
	}
	sort.Ints(clients)
	if len(clients) > maxClientLanes {
		shared := len(b.m.Lanes)
		b.m.Lanes = append(b.m.Lanes, fmt.Sprintf("clients (%d)", len(clients)))
		for _, id := range clients {
			b.lane[id] = shared
		}
	} else {
		for _, id := range clients {
			b.lane[id] = len(b.m.Lanes)
			b.m.Lanes = append(b.m.Lanes, labrpc.EndpointName(id, b.in.Nodes))
		}
	}
	if l, ok := b.lane[b.in.Focus]; ok && b.in.Focus >= 0 {
		b.m.Focus = l
	}
}

func (b *builder) laneOf(id int) int {
	if id < 0 {
		return 0
	}
	return b.lane[id]
}

// call is what is known of one RPC while walking the trace.
type call struct {
	from, to int
	sendAt   int64
	recvAt   int64 // the last delivery so far; -1 before
	method   string
	bytes    int
}

var partitionGroup = regexp.MustCompile(`\[([0-9a-z ]*)\]`)

func (b *builder) walk() {
	m := b.m
	calls := map[int64]*call{}
	downSince := map[int]int64{}
	cutSince := map[int]int64{}
	pausedSince := map[int]int64{}
	type open struct {
		t0           int64
		label, color string
	}
	state := map[int]*open{}
	var part *Partition
	var end int64
	// Which lanes log states: those get a "started" bar from each start.
	logsState := map[int]bool{}
	for _, l := range b.in.Lines {
		if l.Kind == labrpc.KindLog && l.Node >= 0 && l.Node < b.in.Nodes && strings.HasPrefix(l.Text, "state: ") {
			logsState[b.laneOf(l.Node)] = true
		}
	}
	closeState := func(lane int, t int64) {
		if s := state[lane]; s != nil && t == s.t0 {
			delete(state, lane) // replaced at once: a state line at the start
		} else if s != nil {
			m.States.Lane = append(m.States.Lane, lane)
			m.States.T0 = append(m.States.T0, s.t0)
			m.States.T1 = append(m.States.T1, t)
			m.States.Label = append(m.States.Label, s.label)
			m.States.Color = append(m.States.Color, s.color)
			delete(state, lane)
		}
	}
	span := func(lane int, t0, t1 int64, kind string) {
		m.Spans.Lane = append(m.Spans.Lane, lane)
		m.Spans.T0 = append(m.Spans.T0, t0)
		m.Spans.T1 = append(m.Spans.T1, t1)
		m.Spans.Kind = append(m.Spans.Kind, kind)
	}
	msg := func(t0, t1 int64, from, to int, reply bool, drop, method string, bytes int) {
		m.Messages.T0 = append(m.Messages.T0, t0)
		m.Messages.T1 = append(m.Messages.T1, t1)
		m.Messages.From = append(m.Messages.From, from)
		m.Messages.To = append(m.Messages.To, to)
		m.Messages.Reply = append(m.Messages.Reply, reply)
		m.Messages.Drop = append(m.Messages.Drop, drop)
		m.Messages.Method = append(m.Messages.Method, method)
		m.Messages.Bytes = append(m.Messages.Bytes, bytes)
		m.Messages.MaxDur = max(m.Messages.MaxDur, t1-t0)
	}

	for _, l := range b.in.Lines {
		t := int64(l.At)
		end = max(end, t)
		lane := b.laneOf(l.Node)
		if l.Kind != labrpc.KindTimer {
			m.Events.T = append(m.Events.T, t)
			m.Events.Lane = append(m.Events.Lane, lane)
			m.Events.Kind = append(m.Events.Kind, l.Kind.String())
			m.Events.Text = append(m.Events.Text, l.Format(b.in.Nodes))
		}
		switch l.Kind {
		case labrpc.KindSend:
			calls[l.Call] = &call{from: l.Node, to: l.Peer, sendAt: t, recvAt: -1, method: l.Method, bytes: l.Bytes}
		case labrpc.KindRecv:
			if c := calls[l.Call]; c != nil {
				c.recvAt = t
				msg(c.sendAt, t, b.laneOf(c.from), b.laneOf(c.to), false, "", c.method, c.bytes)
			}
		case labrpc.KindReply:
			if c := calls[l.Call]; c != nil && c.recvAt >= 0 {
				msg(c.recvAt, t, b.laneOf(c.to), b.laneOf(c.from), true, "", c.method, l.Bytes)
			}
		case labrpc.KindDrop:
			c := calls[l.Call]
			if c == nil {
				break
			}
			if l.Node == c.from { // the request was lost, at sending or on arrival
				msg(c.sendAt, t, b.laneOf(c.from), b.laneOf(c.to), false, l.Text, c.method, c.bytes)
			} else { // the reply was lost, as the handler finished
				msg(t, t, b.laneOf(c.to), b.laneOf(c.from), true, l.Text, c.method, 0)
			}
		case labrpc.KindCrash:
			downSince[lane] = t
			closeState(lane, t)
		case labrpc.KindStart:
			if t0, ok := downSince[lane]; ok {
				span(lane, t0, t, "down")
				delete(downSince, lane)
			}
			if logsState[lane] {
				closeState(lane, t)
				state[lane] = &open{t0: t, label: startedLabel, color: "started"}
			}
		case labrpc.KindLog:
			if label, ok := strings.CutPrefix(l.Text, "state: "); ok && l.Node >= 0 {
				closeState(lane, t)
				state[lane] = &open{t0: t, label: label, color: stateColor(label)}
			}
		case labrpc.KindFault:
			b.fault(l, t, cutSince, pausedSince, span, &part)
		}
		if l.Node < 0 {
			b.world(l, t)
		}
	}
	m.End = end
	for lane, t0 := range downSince {
		span(lane, t0, end, "down")
	}
	for lane, t0 := range cutSince {
		span(lane, t0, end, "cut")
	}
	for lane, t0 := range pausedSince {
		span(lane, t0, end, "paused")
	}
	for lane := range state {
		closeState(lane, end)
	}
	if part != nil {
		part.T1 = end
		m.Partitions = append(m.Partitions, *part)
	}
	for i, t1 := range m.Blames.T1 {
		if t1 < 0 {
			m.Blames.T1[i] = end // never returned
		}
	}
	sortMessages(&m.Messages)
	sortSpans(&m.Spans)
	sortStates(&m.States)
}

// world records a line of the world's lane for its label, and a blamed
// operation for its box.
func (b *builder) world(l labrpc.Line, t int64) {
	m := b.m
	m.World.T = append(m.World.T, t)
	m.World.Kind = append(m.World.Kind, l.Kind.String())
	m.World.Text = append(m.World.Text, l.Text)
	rest, ok := strings.CutPrefix(l.Text, blamePrefix)
	if !ok || l.Kind != labrpc.KindNote {
		return
	}
	f := blameNote.FindStringSubmatch(rest)
	if f == nil {
		return
	}
	id, err := b.endpoint(f[1])
	lane, known := b.lane[id]
	if err != nil || !known {
		lane = 0 // a client with no endpoint of its own: the world's lane
	}
	t0, err0 := time.ParseDuration(f[2] + "s")
	t1, err1 := time.ParseDuration(f[3])
	if err0 != nil {
		return
	}
	if err1 != nil {
		t1 = -1 // never: the run's end, once known
	}
	m.Blames.Lane = append(m.Blames.Lane, lane)
	m.Blames.T0 = append(m.Blames.T0, int64(t0))
	m.Blames.T1 = append(m.Blames.T1, int64(t1))
	m.Blames.Text = append(m.Blames.Text, f[4])
}

// fault follows the network's changes: partitions, heals, disconnections.
func (b *builder) fault(l labrpc.Line, t int64, cutSince, pausedSince map[int]int64, span func(int, int64, int64, string), part **Partition) {
	m := b.m
	closePart := func() {
		if *part != nil {
			(*part).T1 = t
			m.Partitions = append(m.Partitions, **part)
			*part = nil
		}
	}
	word, rest, _ := strings.Cut(l.Text, " ")
	switch word {
	case "partition":
		closePart()
		p := &Partition{T0: t, Text: l.Text, Groups: make([]int, len(m.Lanes))}
		for g, members := range partitionGroup.FindAllStringSubmatch(rest, -1) {
			for _, f := range strings.Fields(members[1]) {
				if id, err := b.endpoint(f); err == nil {
					if lane, ok := b.lane[id]; ok {
						p.Groups[lane] = g + 1
					}
				}
			}
		}
		*part = p
	case "heal":
		closePart()
		for lane, t0 := range cutSince {
			span(lane, t0, t, "cut")
			delete(cutSince, lane)
		}
	case "pause", "resume":
		// "pause n3 for 2s", "resume n3", "resume n3 (crashed while paused)"
		name, _, _ := strings.Cut(rest, " ")
		id, err := b.endpoint(name)
		lane, ok := b.lane[id]
		if err != nil || !ok {
			return
		}
		t0, isPaused := pausedSince[lane]
		switch {
		case word == "pause" && !isPaused:
			pausedSince[lane] = t
		case word == "resume" && isPaused:
			span(lane, t0, t, "paused")
			delete(pausedSince, lane)
		}
	case "disconnect", "connect":
		id, err := b.endpoint(rest)
		lane, ok := b.lane[id]
		if err != nil || !ok {
			return
		}
		t0, isCut := cutSince[lane]
		switch {
		case word == "disconnect" && !isCut:
			cutSince[lane] = t
		case word == "connect" && isCut:
			span(lane, t0, t, "cut")
			delete(cutSince, lane)
		}
	}
}

// endpoint reads an endpoint's name in a fault line: n3, c0, or (in
// older traces) a bare id.
func (b *builder) endpoint(name string) (int, error) {
	if id, err := strconv.Atoi(name); err == nil {
		return id, nil
	}
	return labrpc.ParseEndpoint(name, b.in.Nodes)
}

// stateColor picks the value that colours a state: role, else status, else
// the first value.
func stateColor(label string) string {
	first := ""
	kv := map[string]string{}
	for _, f := range strings.Fields(label) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			continue
		}
		if first == "" {
			first = v
		}
		kv[k] = v
	}
	for _, k := range []string{"role", "status"} {
		if v, ok := kv[k]; ok {
			return v
		}
	}
	return first
}

func sortMessages(ms *Messages) {
	idx := make([]int, len(ms.T0))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return ms.T0[idx[a]] < ms.T0[idx[b]] })
	out := Messages{MaxDur: ms.MaxDur}
	for _, i := range idx {
		out.T0 = append(out.T0, ms.T0[i])
		out.T1 = append(out.T1, ms.T1[i])
		out.From = append(out.From, ms.From[i])
		out.To = append(out.To, ms.To[i])
		out.Reply = append(out.Reply, ms.Reply[i])
		out.Drop = append(out.Drop, ms.Drop[i])
		out.Method = append(out.Method, ms.Method[i])
		out.Bytes = append(out.Bytes, ms.Bytes[i])
	}
	*ms = out
}

func sortSpans(s *Spans) {
	idx := make([]int, len(s.T0))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return s.T0[idx[a]] < s.T0[idx[b]] })
	var out Spans
	for _, i := range idx {
		out.Lane = append(out.Lane, s.Lane[i])
		out.T0 = append(out.T0, s.T0[i])
		out.T1 = append(out.T1, s.T1[i])
		out.Kind = append(out.Kind, s.Kind[i])
	}
	*s = out
}

// sortStates orders states by lane, then time, so the page can binary-search
// each lane's run of states.
func sortStates(s *States) {
	idx := make([]int, len(s.T0))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		if s.Lane[idx[a]] != s.Lane[idx[b]] {
			return s.Lane[idx[a]] < s.Lane[idx[b]]
		}
		return s.T0[idx[a]] < s.T0[idx[b]]
	})
	var out States
	for _, i := range idx {
		out.Lane = append(out.Lane, s.Lane[i])
		out.T0 = append(out.T0, s.T0[i])
		out.T1 = append(out.T1, s.T1[i])
		out.Label = append(out.Label, s.Label[i])
		out.Color = append(out.Color, s.Color[i])
	}
	*s = out
}
