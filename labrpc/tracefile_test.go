package labrpc

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// echoRun is a short run with loss, so that it has sends, deliveries,
// replies, drops and give-ups.
func echoRun(cfg Config) *World {
	cfg.Nodes, cfg.Profile = 2, MustProfile("lossy")
	w := NewWorld(cfg)
	w.Start(0, bootEcho)
	w.Start(1, bootEcho)
	c := w.NewClient()
	for i := 0; i < 20; i++ {
		c.Call(i%2, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{})
	}
	w.Sleep(time.Second)
	return w
}

func TestJSONTraceRoundTrips(t *testing.T) {
	var text, js bytes.Buffer
	a := echoRun(Config{Seed: 3, TraceTo: &text})
	a.Close()
	var seen []Line
	stop := WatchWorlds(func(w *World) { w.OnTrace(func(l Line) { seen = append(seen, l) }) })
	body := NewTraceBody(&js)
	b := echoRun(Config{Seed: 3, TraceTo: body, TraceJSON: true, KeepTrace: 100000})
	stop()
	b.Close()
	require.Equal(t, a.Digest(), b.Digest(), "the trace's format must not change the run")

	js.WriteString(TraceEnd{Digest: b.Digest(), Steps: b.Steps(), At: b.Now(), Failed: true, Body: body.Sum()}.String() + "\n")
	head := TraceHeader{Package: "labrpc", Test: "TestX", Seed: 3, Nodes: 2}
	tf, err := ReadTrace(strings.NewReader(head.String() + "\n" + js.String()))
	require.NoError(t, err)
	require.True(t, tf.HasHeader)
	require.Equal(t, head, tf.Header)
	require.Equal(t, b.Digest(), tf.End.Digest)
	require.Equal(t, b.Now(), tf.End.At)
	require.True(t, tf.End.Failed)
	require.Equal(t, b.Tail(-1), tf.Lines, "JSON lines decode to the lines the world kept")
	require.Equal(t, tf.Lines, seen, "OnTrace sees every line, in order")
	require.Equal(t, strings.Count(text.String(), "\n"), len(tf.Lines))

	textFile, err := ReadTrace(&text)
	require.NoError(t, err)
	require.Empty(t, textFile.Lines)
	require.Equal(t, len(tf.Lines), textFile.TextLines)
}

func TestMessageLinesShareTheirCall(t *testing.T) {
	w := echoRun(Config{Seed: 5, KeepTrace: 100000})
	defer w.Close()
	calls := map[int64][]Kind{}
	for _, l := range w.Tail(-1) {
		switch l.Kind {
		case KindSend, KindRecv, KindReply, KindLost, KindDrop:
			require.NotZero(t, l.Call, "a message line names its call: %s", l.Format(2))
			calls[l.Call] = append(calls[l.Call], l.Kind)
		default:
			require.Zero(t, l.Call, "only message lines name a call: %s", l.Format(2))
		}
	}
	require.Len(t, calls, 20)
	var drops int
	for id, kinds := range calls {
		require.Equal(t, KindSend, kinds[0], "call %d starts with its send", id)
		last := kinds[len(kinds)-1]
		require.True(t, last == KindReply || last == KindLost, "call %d ends with a reply or a give-up: %v", id, kinds)
		for _, k := range kinds {
			if k == KindDrop {
				drops++
			}
		}
	}
	require.NotZero(t, drops, "the lossy profile loses messages")
}

func TestTraceHeaderErrors(t *testing.T) {
	_, err := ReadTrace(strings.NewReader("# protolab trace package=kvsrv seed=x\n"))
	require.ErrorContains(t, err, "line 1: a trace header needs package=, test=, seed= and nodes=")
	_, err = ReadTrace(strings.NewReader(`{"step":1,"at":0,"node":0,"kind":"teleport","peer":-1}` + "\n"))
	require.ErrorContains(t, err, `line 1: unknown trace line kind "teleport"`)
}
