package labrpc

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// laterNode answers Slow only when its timer fires, wait after the request
// arrived: a service that replies once its operation has committed.
type laterNode struct {
	env     Env
	wait    time.Duration
	taken   int
	respond []func() // what the test may call by hand
	twice   bool     // respond twice (a bug)
}

func (n *laterNode) Slow(args *EchoArgs, reply *EchoReply, respond func()) {
	n.taken++
	n.respond = append(n.respond, respond)
	n.env.After(n.wait, func() {
		reply.Text = strings.ToUpper(args.Text)
		reply.By = n.env.Me()
		respond()
		reply.Text = "changed after respond" // the caller must not see it
		if n.twice {
			respond()
		}
	})
}

// Now answers before it returns: respond inside the handler.
func (n *laterNode) Now(args *EchoArgs, reply *EchoReply, respond func()) {
	reply.Text = args.Text
	respond()
}

func bootLater(wait time.Duration) Boot {
	return func(env Env) any { return &laterNode{env: env, wait: wait} }
}

func traceText(w *World) string {
	var b strings.Builder
	for _, l := range w.Tail(-1) {
		b.WriteString(l.Format(w.Nodes()) + "\n")
	}
	return b.String()
}

func TestDeferredReplyComesWhenRespondIsCalled(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 2})
	defer w.Close()
	w.Start(0, bootLater(200*time.Millisecond))
	c := w.NewClient()
	var reply EchoReply
	start := w.Now()
	require.True(t, c.Call(0, "laterNode.Slow", &EchoArgs{Text: "hi"}, &reply), "Client.Call (blocking)")
	require.Equal(t, EchoReply{Text: "HI", By: 0}, reply, "the reply as it was when respond ran, copied then")
	require.GreaterOrEqual(t, w.Now()-start, 200*time.Millisecond, "the reply waited for respond")
	require.Less(t, w.Now()-start, 220*time.Millisecond)
	require.Positive(t, w.Bytes(0), "the reply's bytes count for the server")
	tr := traceText(w)
	require.Contains(t, tr, "n0 ←c0 Slow", "the request's arrival")
	require.Contains(t, tr, "n0 respond: Slow to c0", "the reply's departure")
	require.Contains(t, tr, "c0 ✓n0 Slow", "the reply's arrival")

	var now EchoReply
	require.True(t, c.Call(0, "laterNode.Now", &EchoArgs{Text: "at once"}, &now), "respond inside the handler")
	require.Equal(t, "at once", now.Text)

	// Env.Call: node 1 calls node 0 and gets its callback.
	var got []string
	w.Start(1, func(env Env) any {
		reply := &EchoReply{}
		env.Call(0, "laterNode.Slow", &EchoArgs{Text: "node"}, reply, func(ok bool) {
			got = append(got, reply.Text)
			require.True(t, ok)
		})
		return &echoNode{env: env}
	})
	w.Sleep(time.Second)
	require.Equal(t, []string{"NODE"}, got)
}

func TestDeferredRespondTwiceIsMisuse(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 1})
	defer w.Close()
	w.Start(0, func(env Env) any { return &laterNode{env: env, wait: time.Millisecond, twice: true} })
	c := w.NewClient()
	err := mustStop(t, w, func() { c.Call(0, "laterNode.Slow", &EchoArgs{}, &EchoReply{}) })
	require.ErrorContains(t, err, "n0 called respond twice for laterNode.Slow (call 1 from c0)")
	require.ErrorContains(t, err, "call respond exactly once")
}

func TestDeferredReplyLostWhenServerCrashes(t *testing.T) {
	for _, restart := range []bool{false, true} {
		w := NewWorld(Config{Seed: 1, Nodes: 1})
		w.Start(0, bootLater(time.Hour))
		c := w.NewClient()
		var held []func()
		w.At(30*time.Millisecond, func() {
			held = w.Service(0, "laterNode").(*laterNode).respond
			if restart {
				w.Restart(0)
			} else {
				w.Crash(0)
			}
		})
		start := w.Now()
		require.False(t, c.Call(0, "laterNode.Slow", &EchoArgs{}, &EchoReply{}), "Call always completes")
		// As a lost reply: ok=false once the loss time-out (50-100ms on
		// "reliable") has passed since the call, and not before the crash.
		require.GreaterOrEqual(t, w.Now()-start, 50*time.Millisecond)
		require.LessOrEqual(t, w.Now()-start, 100*time.Millisecond)
		require.Contains(t, traceText(w), "n0 drop →c0 Slow: n0 crashed before it responded")
		require.Contains(t, traceText(w), "c0 ✗n0 Slow (no reply)")
		require.Len(t, held, 1)
		held[0]() // the dead incarnation's respond: nothing happens
		w.Sleep(time.Second)
		require.NoError(t, w.Err())
		w.Close()
	}
}

func TestDeferredRespondAfterReplyLinkWentDown(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 1})
	defer w.Close()
	w.Start(0, bootLater(500*time.Millisecond))
	c := w.NewClient()
	w.At(100*time.Millisecond, func() { w.Cut(0, c.ID()) })
	start := w.Now()
	require.False(t, c.Call(0, "laterNode.Slow", &EchoArgs{Text: "x"}, &EchoReply{}))
	require.GreaterOrEqual(t, w.Now()-start, 500*time.Millisecond, "completes when the reply is lost, no earlier")
	require.Contains(t, traceText(w), "n0 drop →c0 Slow: reply link down", "dropped like any reply")
}

type badThird struct{}

func (b *badThird) Get(args *EchoArgs, reply *EchoReply, respond int) {}

type badFourth struct{}

func (b *badFourth) Get(args *EchoArgs, reply *EchoReply, respond func(), more int) {}

type badRespondResult struct{}

func (b *badRespondResult) Get(args *EchoArgs, reply *EchoReply, respond func() error) {}

func TestDeferredHandlerSignatureErrors(t *testing.T) {
	for _, tc := range []struct {
		svc  any
		want string
	}{
		{&badThird{}, "handler badThird.Get has a bad signature: its third parameter is a int"},
		{&badRespondResult{}, "its third parameter is a func() error"},
		{&badFourth{}, "handler badFourth.Get has a bad signature: it takes 4 parameters"},
	} {
		w := NewWorld(Config{Nodes: 1})
		w.Start(0, func(Env) any { return tc.svc })
		require.ErrorContains(t, w.Err(), tc.want)
		require.ErrorContains(t, w.Err(), "reply *GetReply), or, to reply later, func (x *")
		require.ErrorContains(t, w.Err(), "respond func())")
	}
}

// Deferred replies and pauses replay from the seed.
func TestDeferredAndPauseRunTwiceAlike(t *testing.T) {
	run := func() string {
		w := NewWorld(Config{Seed: 7, Nodes: 3, Profile: MustProfile("unreliable")})
		defer w.Close()
		for i := 0; i < 3; i++ {
			w.Start(i, bootLater(time.Duration(10*(i+1))*time.Millisecond))
		}
		for k := 0; k < 4; k++ {
			c := w.NewClient()
			w.Go("client", func() {
				for i := 0; i < 20; i++ {
					c.Call(i%3, "laterNode.Slow", &EchoArgs{Text: "x"}, &EchoReply{})
				}
			})
		}
		w.At(300*time.Millisecond, func() { w.Restart(1) })
		w.At(200*time.Millisecond, func() { w.Pause(2, 400*time.Millisecond) })
		w.At(250*time.Millisecond, func() { w.Pause(1, time.Second) }) // ended by the restart
		require.True(t, w.RunUntilDone(time.Minute))
		return w.Digest()
	}
	require.Equal(t, run(), run())
}

// forgetNode takes requests and never responds (a bug), while a timer
// keeps ticking if tick is set.
type forgetNode struct{}

func (n *forgetNode) Get(args *EchoArgs, reply *EchoReply, respond func()) {}

func TestUnansweredRequestsAreNamedWhenTheRunStops(t *testing.T) {
	for _, tick := range []bool{false, true} {
		w := NewWorld(Config{Seed: 1, Nodes: 1, MaxTime: time.Minute})
		w.Start(0, func(env Env) any {
			if tick {
				var loop func()
				loop = func() { env.After(time.Second, loop) }
				env.After(0, loop)
			}
			return &forgetNode{}
		})
		c := w.NewClient()
		err := mustStop(t, w, func() { c.Call(0, "forgetNode.Get", &EchoArgs{}, &EchoReply{}) })
		if tick {
			require.ErrorContains(t, err, "passed its budget of 1m0s (Config.MaxTime)")
		} else {
			require.ErrorContains(t, err, "deadlock")
		}
		require.ErrorContains(t, err, "n0 has not responded to 1 request(s) it took: forgetNode.Get from c0 (call 1, sent at 0.000000s)")
		require.ErrorContains(t, err, "must call it once for every request")
		w.Close()
	}
}
