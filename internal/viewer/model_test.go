package viewer

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

func TestBuildDrawsWhatTheRunDid(t *testing.T) {
	lines := scenario(0)
	m := Build(Input{Title: "scenario", Nodes: 5, Lines: lines, Focus: 2})
	require.Equal(t, []string{"world", "n0", "n1", "n2", "n3", "n4"}, m.Lanes)
	require.Equal(t, 3, m.Focus, "the focus is a lane index")

	timers := 0
	for _, l := range lines {
		if l.Kind == labrpc.KindTimer {
			timers++
		}
	}
	require.Len(t, m.Events.T, len(lines)-timers, "every line but the timers' is an event")
	require.IsNonDecreasing(t, m.Events.T)
	require.IsNonDecreasing(t, m.Messages.T0)

	// Every delivered request is an arrow, and so is every reply; lost ones
	// are arrows that say why.
	var sends, recvs, replies, drops, arrows, lost, replyArrows int
	for _, l := range lines {
		switch l.Kind {
		case labrpc.KindSend:
			sends++
		case labrpc.KindRecv:
			recvs++
		case labrpc.KindReply:
			replies++
		case labrpc.KindDrop:
			drops++
		}
	}
	for i := range m.Messages.T0 {
		arrows++
		require.LessOrEqual(t, m.Messages.T0[i], m.Messages.T1[i])
		require.LessOrEqual(t, m.Messages.T1[i]-m.Messages.T0[i], m.Messages.MaxDur)
		require.NotEqual(t, m.Messages.From[i], m.Messages.To[i])
		if m.Messages.Drop[i] != "" {
			lost++
		}
		if m.Messages.Reply[i] {
			replyArrows++
		}
	}
	require.NotZero(t, sends)
	require.Equal(t, recvs+replies+drops, arrows, "one arrow per delivery, reply and loss")
	require.Equal(t, drops, lost)
	require.Equal(t, replies, replyArrows-countReplyDrops(lines))

	// The crash of n3 (lane 4) from 500ms to 700ms, n1 (lane 2) cut off from
	// 800ms to 900ms.
	require.Contains(t, spans(m), "down 4 500ms 700ms")
	require.Contains(t, spans(m), "cut 2 800ms 900ms")
	require.Len(t, m.Partitions, 1)
	p := m.Partitions[0]
	require.Equal(t, int64(200e6), p.T0)
	require.Equal(t, int64(400e6), p.T1)
	require.Equal(t, []int{0, 1, 1, 2, 2, 2}, p.Groups)

	// States: per lane, in time order, not overlapping, coloured by role.
	require.NotEmpty(t, m.States.Lane)
	roles := map[string]bool{}
	for i := range m.States.Lane {
		roles[m.States.Color[i]] = true
		require.True(t, strings.HasPrefix(m.States.Label[i], "term=") || m.States.Label[i] == startedLabel, m.States.Label[i])
		if i > 0 && m.States.Lane[i] == m.States.Lane[i-1] {
			require.LessOrEqual(t, m.States.T1[i-1], m.States.T0[i])
		}
	}
	require.True(t, roles["follower"] && roles["candidate"] && roles["leader"], "roles seen: %v", roles)
	// n3's state ends at its crash.
	for i := range m.States.Lane {
		if m.States.Lane[i] == 4 {
			require.False(t, m.States.T0[i] < 500e6 && m.States.T1[i] > 500e6, "a state outlives its node's crash")
		}
	}
}

func countReplyDrops(lines []labrpc.Line) int {
	senders := map[int64]int{}
	n := 0
	for _, l := range lines {
		switch {
		case l.Kind == labrpc.KindSend:
			senders[l.Call] = l.Node
		case l.Kind == labrpc.KindDrop && senders[l.Call] != l.Node:
			n++
		}
	}
	return n
}

func spans(m *Model) []string {
	var s []string
	for i := range m.Spans.Lane {
		s = append(s, fmt.Sprintf("%s %d %v %v", m.Spans.Kind[i], m.Spans.Lane[i], time.Duration(m.Spans.T0[i]), time.Duration(m.Spans.T1[i])))
	}
	return s
}

func TestStateColour(t *testing.T) {
	for label, want := range map[string]string{
		"term=3 role=leader":           "leader",
		"ballot=4.1 status=accepting":  "accepting",
		"suspects=2 view=7":            "2",
		"no pairs here":                "",
		"role=candidate status=voting": "candidate",
	} {
		require.Equal(t, want, stateColor(label), label)
	}
}

func TestClientsShareALaneWhenThereAreMany(t *testing.T) {
	var lines []labrpc.Line
	for c := 0; c < 30; c++ {
		lines = append(lines, labrpc.Line{Node: 1 + c, Peer: 0, Kind: labrpc.KindSend, Call: int64(c + 1)})
	}
	m := Build(Input{Nodes: 1, Lines: lines, Focus: -1})
	require.Equal(t, []string{"world", "n0", "clients (30)"}, m.Lanes)
	require.Equal(t, -1, m.Focus)
}

func TestWriteIsOnePageThatLoadsNothing(t *testing.T) {
	var b bytes.Buffer
	lines := scenario(0)
	lines = append(lines, labrpc.Line{Node: -1, Kind: labrpc.KindNote, Peer: -1, Text: `</script><script>alert("x")</script>`})
	require.NoError(t, Write(&b, Input{Title: "a <title>", Nodes: 5, Lines: lines, Focus: -1}))
	page := b.String()
	for _, bad := range []string{"src=", "href=", "url(", "@import", "http:", "https:", "<script>alert"} {
		require.NotContains(t, page, bad, "the page must be self-contained and its data escaped")
	}
	require.Equal(t, 2, strings.Count(page, "<script"), "the data and the script, nothing more")
	require.Contains(t, page, "<title>a &lt;title&gt;</title>")
}

// A node's lane has a state from each start: "started" until the node logs
// its first state, then what it logs. Raft logs no state in Make, so
// without this its lanes were blank from 0 and after each restart.
func TestStateBarsFromStartAndRestart(t *testing.T) {
	state := func(at time.Duration, node int, text string) labrpc.Line {
		return labrpc.Line{At: at, Node: node, Peer: -1, Kind: labrpc.KindLog, Text: "state: " + text}
	}
	mark := func(at time.Duration, node int, kind labrpc.Kind) labrpc.Line {
		return labrpc.Line{At: at, Node: node, Peer: -1, Kind: kind, Text: "incarnation"}
	}
	lines := []labrpc.Line{
		mark(0, 0, labrpc.KindStart), mark(0, 1, labrpc.KindStart), mark(0, 2, labrpc.KindStart),
		state(0, 2, "term=0 role=follower"), // n2 logs at once: no "started" bar
		state(300*time.Millisecond, 0, "term=1 role=candidate"),
		mark(500*time.Millisecond, 0, labrpc.KindCrash),
		mark(700*time.Millisecond, 0, labrpc.KindStart),
		state(900*time.Millisecond, 0, "term=1 role=follower"),
		{At: time.Second, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: "the end"},
	}
	m := Build(Input{Nodes: 3, Lines: lines, Focus: -1})
	var got []string
	for i := range m.States.Lane {
		got = append(got, fmt.Sprintf("%s %v-%v %s", m.Lanes[m.States.Lane[i]], time.Duration(m.States.T0[i]), time.Duration(m.States.T1[i]), m.States.Color[i]))
	}
	require.Equal(t, []string{
		"n0 0s-300ms started", "n0 300ms-500ms candidate", "n0 700ms-900ms started", "n0 900ms-1s follower",
		"n2 0s-1s follower",
	}, got, "n1 logs no state, so it has none")
}

func TestWorldLaneIsLabelled(t *testing.T) {
	lines := []labrpc.Line{
		{At: 0, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: "act 1: the election"},
		{At: 100, Node: 0, Peer: -1, Kind: labrpc.KindLog, Text: "state: role=leader"},
		{At: 200, Node: -1, Peer: -1, Kind: labrpc.KindFault, Text: "partition [n0 c0] | [n1 n2]"},
		{At: 300, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: "FAIL: two leaders"},
	}
	m := Build(Input{Nodes: 3, Lines: lines, Focus: -1})
	require.Equal(t, WorldMarks{T: []int64{0, 200, 300}, Kind: []string{"note", "fault", "note"},
		Text: []string{"act 1: the election", "partition [n0 c0] | [n1 n2]", "FAIL: two leaders"}}, m.World)
	require.Len(t, m.Partitions, 1)
	require.Equal(t, []int{0, 1, 2, 2}, m.Partitions[0].Groups, "members named as traces name them: n0 on side 1, n1 and n2 on side 2 (c0 has no lane here)")
}

func TestBlamedOperationsAreBoxes(t *testing.T) {
	lines := []labrpc.Line{
		{At: 0, Node: 2, Peer: 0, Kind: labrpc.KindSend, Call: 1},
		{At: 10, Node: 3, Peer: 0, Kind: labrpc.KindSend, Call: 2},
		{At: 2e9, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: blamePrefix + `c1 [0.412000s, 0.520000s] get("x") → "1" (after put("x", "2") → OK by c0)`},
		{At: 2e9, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: blamePrefix + `c0 [1.500000s, never] put("x", "3")`},
		{At: 2e9, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: blamePrefix + `c9 [1.000000s, 1.100000s] get("y") → ""`},
	}
	m := Build(Input{Nodes: 2, Lines: lines, Focus: -1})
	require.Equal(t, []string{"world", "n0", "n1", "c0", "c1"}, m.Lanes)
	require.Equal(t, Blames{
		Lane: []int{4, 3, 0},
		T0:   []int64{412e6, 1500e6, 1000e6},
		T1:   []int64{520e6, 2e9, 1100e6},
		Text: []string{`get("x") → "1" (after put("x", "2") → OK by c0)`, `put("x", "3")`, `get("y") → ""`},
	}, m.Blames, "each on its client's lane (the world's if the client has none), to the end of the run if it never returned")
}

// A pause (World.Pause) shades the node's lane from "pause" to "resume", as a
// crash shades it from crash to restart; one still paused at the end runs to
// the end of the run, and one ended by a crash is closed by its "resume".
func TestPausedSpans(t *testing.T) {
	fault := func(at time.Duration, text string) labrpc.Line {
		return labrpc.Line{At: at, Node: -1, Peer: -1, Kind: labrpc.KindFault, Text: text}
	}
	lines := []labrpc.Line{
		fault(100*time.Millisecond, "pause n1 for 2s"),
		fault(2100*time.Millisecond, "resume n1"),
		fault(2500*time.Millisecond, "pause n2 for 1s"),
		fault(2700*time.Millisecond, "resume n2 (crashed while paused)"),
		fault(3*time.Second, "pause n0 for 5s"),
		{At: 4 * time.Second, Node: -1, Peer: -1, Kind: labrpc.KindNote, Text: "the end"},
	}
	m := Build(Input{Nodes: 3, Lines: lines, Focus: -1})
	var got []string
	for i := range m.Spans.Lane {
		got = append(got, fmt.Sprintf("%s %v-%v %s", m.Lanes[m.Spans.Lane[i]], time.Duration(m.Spans.T0[i]), time.Duration(m.Spans.T1[i]), m.Spans.Kind[i]))
	}
	require.ElementsMatch(t, []string{"n1 100ms-2.1s paused", "n2 2.5s-2.7s paused", "n0 3s-4s paused"}, got)
}
