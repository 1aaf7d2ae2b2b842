package labrpc

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// diaryNode writes down every event it handles, with its clock.
type diaryNode struct {
	env   Env
	diary []string
	times []time.Duration
}

func (n *diaryNode) note(what string) {
	n.diary = append(n.diary, what)
	n.times = append(n.times, n.env.Now())
}

func (n *diaryNode) Echo(args *EchoArgs, reply *EchoReply) {
	n.note("req " + args.Text)
	reply.Text = args.Text
}

// A paused node handles nothing until the pause ends, then everything that
// came due meanwhile, in the order it came due; it keeps its state and sees
// the time jump.
func TestPauseHoldsEventsInOrder(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 2})
	defer w.Close()
	var n0 *diaryNode
	w.Start(1, bootEcho)
	w.Start(0, func(env Env) any {
		n0 = &diaryNode{env: env}
		for _, ms := range []int{50, 120, 130, 400, 1300} {
			env.After(time.Duration(ms)*time.Millisecond, func() { n0.note(fmt.Sprint("timer ", ms)) })
		}
		// A call whose reply arrives during the pause (at 94ms), and one
		// to a node that is down by then, whose loss time-out (drawn from
		// 50..100ms after 91ms) passes during the pause.
		env.After(90*time.Millisecond, func() {
			env.Call(1, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{}, func(ok bool) { n0.note(fmt.Sprint("reply ", ok)) })
		})
		env.After(91*time.Millisecond, func() {
			env.Call(1, "echoNode.Echo", &EchoArgs{Text: "y"}, &EchoReply{}, func(ok bool) { n0.note(fmt.Sprint("reply ", ok)) })
		})
		return n0
	})
	c := w.NewClient()
	w.SetLinkDelay(0, 1, 2*time.Millisecond, 2*time.Millisecond)
	w.SetLinkDelay(1, 0, 2*time.Millisecond, 2*time.Millisecond)
	w.SetLinkDelay(c.ID(), 0, 5*time.Millisecond, 5*time.Millisecond)
	w.At(92*time.Millisecond+1, func() { w.Crash(1) }) // after x arrived, before y
	w.At(93*time.Millisecond, func() { w.Pause(0, time.Second) })
	for _, ms := range []int{120, 130, 300} { // arrive at 125, 135, 305
		w.At(time.Duration(ms)*time.Millisecond, func() {
			w.Go(fmt.Sprint("client", ms), func() {
				require.True(t, c.Call(0, "diaryNode.Echo", &EchoArgs{Text: fmt.Sprint(ms + 5)}, &EchoReply{}))
			})
		})
	}
	var during []string
	w.At(1092*time.Millisecond, func() {
		require.True(t, w.Alive(0), "a paused node is alive")
		require.True(t, w.Paused(0))
		during = append(during, n0.diary...)
	})
	w.Sleep(2 * time.Second)
	require.NoError(t, w.Err())
	require.False(t, w.Paused(0))
	require.Equal(t, []string{"timer 50"}, during, "nothing is handled during the pause")
	require.Equal(t, []string{
		"timer 50",
		// from here on, at the resume (1.093s), in the order they came due
		"reply true", "timer 120", "req 125", "timer 130", "req 135",
		"reply false", // its loss time-out: 141..191ms
		"req 305", "timer 400",
		"timer 1300", // after the pause, on time
	}, n0.diary)
	for i, at := range n0.times[1 : len(n0.times)-1] {
		require.Equal(t, 1093*time.Millisecond, at, "event %d (%s) runs at the resume and sees the jump", i+1, n0.diary[i+1])
	}
	require.Equal(t, 1300*time.Millisecond, n0.times[len(n0.times)-1])
	tl := w.Timeline(w.Tail(-1))
	require.Contains(t, tl, "── pause n0 for 1s")
	require.Contains(t, tl, "── resume n0")
}

func TestPauseCrashEndsIt(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 1})
	defer w.Close()
	w.Start(0, bootEcho)
	c := w.NewClient()
	w.Pause(0, 10*time.Second)
	w.At(300*time.Millisecond, func() { w.Crash(0) })
	start := w.Now()
	require.False(t, c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{}), "the request waited in the paused node, which crashed")
	require.Less(t, w.Now()-start, time.Second, "the crash ended the pause")
	require.False(t, w.Paused(0))
	tr := traceText(w)
	require.Contains(t, tr, "resume n0 (crashed while paused)")
	require.Contains(t, tr, "drop →n0 Echo: n0 is down")
	w.Restart(0)
	require.True(t, c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{}), "the new incarnation runs at once")
	w.Sleep(15 * time.Second) // the old pause's resume comes and does nothing
	require.NoError(t, w.Err())
	require.NotContains(t, traceText(w), "resume n0\n")
}

func TestPauseExtends(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 1})
	defer w.Close()
	w.Start(0, bootEcho)
	c := w.NewClient()
	w.Pause(0, time.Second)
	w.At(500*time.Millisecond, func() { w.Pause(0, time.Second) })      // now until 1.5s
	w.At(600*time.Millisecond, func() { w.Pause(0, time.Millisecond) }) // shorter: no change
	require.True(t, c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{}))
	require.GreaterOrEqual(t, w.Now(), 1500*time.Millisecond)
	require.Less(t, w.Now(), 1510*time.Millisecond)
}

func TestPauseMisuse(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    func(w *World)
		want string
	}{
		{"negative", func(w *World) { w.Pause(0, -time.Second) }, "World.Pause(-1s) at 0.000000s: a negative duration"},
		{"unknown node", func(w *World) { w.Pause(3, time.Second) }, "World.Pause(3): no such node; nodes are 0..1"},
		{"client", func(w *World) { w.Pause(w.NewClient().ID(), time.Second) }, "World.Pause(2): no such node"},
		{"dead", func(w *World) { w.Crash(1); w.Pause(1, time.Second) }, "World.Pause(1, 1s): n1 is down"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 2, 1)
			err := mustStop(t, w, func() { tc.f(w) })
			require.ErrorContains(t, err, tc.want)
		})
	}
}
