package tests

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// Self-tests of the hand-driven network (handnet.go). The engines' stale-
// message tests drive it through exact orders of events and pass; a HandNet
// that ran a timer too early, skipped a callback or a check, or delivered
// the wrong peer's calls would let them pass too. Each test here breaks one
// of its rules on a toy node.

type EchoArgs struct{ S string }
type EchoReply struct{ S string }

// echo answers Echo with its argument and a "!"; it notes what it handled and
// what its calls' callbacks saw.
type echo struct {
	env     labrpc.Env
	handled []string
	heard   []string
	// then, if set, runs (through a zero timer, as a peer's next step
	// would) after a reply to one of this peer's calls.
	then func()
}

func (e *echo) Echo(args *EchoArgs, reply *EchoReply) {
	e.handled = append(e.handled, args.S)
	reply.S = args.S + "!"
}

// send has e call to's Echo with s.
func (e *echo) send(to int, s string) {
	reply := &EchoReply{}
	e.env.Call(to, "echo.Echo", &EchoArgs{S: s}, reply, func(ok bool) {
		e.heard = append(e.heard, fmt.Sprintf("%s %v %q", s, ok, reply.S))
		if ok && e.then != nil {
			then := e.then
			e.then = nil
			e.env.After(0, then)
		}
	})
}

func echoNet(t testing.TB, n int) (*HandNet, []*echo) {
	var nodes []*echo
	hn := NewHandNet(t, n, 1, func(env labrpc.Env) any {
		e := &echo{env: env}
		nodes = append(nodes, e)
		return e
	})
	return hn, nodes
}

// fakeTB takes a HandNet's failures: Fatalf records the message and stops
// the caller, as testing.T's does.
type fakeTB struct {
	testing.TB
	fatal string
}

type fatalStop struct{}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.fatal = fmt.Sprintf(format, args...)
	panic(fatalStop{})
}

// fatalOf runs f and returns the message it failed with, "" if none.
func (f *fakeTB) fatalOf(do func()) (msg string) {
	f.fatal = ""
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(fatalStop); !ok {
				panic(r)
			}
			msg = f.fatal
		}
	}()
	do()
	return ""
}

// Check runs after every event: a request handled, a reply delivered, a
// timer fired.
func TestHandNetChecksAfterEveryEvent(t *testing.T) {
	hn, nodes := echoNet(t, 2)
	checks := 0
	hn.Check = func() { checks++ }
	nodes[0].send(1, "a")
	c := hn.Deliver(0, 1, "Echo")
	require.Equal(t, 1, checks, "after the request was handled")
	hn.Reply(c)
	require.Equal(t, 2, checks, "after the reply was delivered")
	nodes[0].env.After(time.Millisecond, func() {})
	hn.Advance(time.Millisecond)
	require.Equal(t, 3, checks, "after the timer fired")
}

// Lose and LoseAll run the callback with ok=false and close the call.
func TestHandNetLosesCalls(t *testing.T) {
	hn, nodes := echoNet(t, 2)
	nodes[0].send(1, "a")
	hn.Lose(0, 1, "Echo", false)
	require.Equal(t, []string{`a false ""`}, nodes[0].heard)
	require.Empty(t, hn.Open(), "a lost call is over")

	nodes[0].send(1, "b")
	nodes[0].send(1, "c")
	hn.Deliver(0, 1, "Echo") // b's reply is on its way; c's request is not delivered
	hn.LoseAll(0, 1, "Echo")
	require.Equal(t, []string{`a false ""`, `c false ""`, `b false ""`}, nodes[0].heard, "requests first, then replies")
	require.Empty(t, hn.Open())
}

// Timers run when they fall due, in order of time, then of setting; a
// cancelled one never runs; Settle runs those due now.
func TestHandNetRunsTimersInOrder(t *testing.T) {
	hn, nodes := echoNet(t, 1)
	env := nodes[0].env
	var ran []string
	at := func(d time.Duration, name string) func() {
		return env.After(d, func() { ran = append(ran, fmt.Sprintf("%s@%v", name, env.Now())) })
	}
	at(10*time.Millisecond, "a")
	at(20*time.Millisecond, "b")
	at(10*time.Millisecond, "c")
	cancel := at(15*time.Millisecond, "cancelled")
	at(0, "now")
	cancel()
	hn.Settle()
	require.Equal(t, []string{"now@0s"}, ran, "Settle runs what is due now")
	hn.Advance(10 * time.Millisecond)
	require.Equal(t, []string{"now@0s", "a@10ms", "c@10ms"}, ran, "a timer due at the end of the advance runs; equal times in the order set")
	hn.Advance(10 * time.Millisecond)
	require.Equal(t, []string{"now@0s", "a@10ms", "c@10ms", "b@20ms"}, ran)
	require.Equal(t, 20*time.Millisecond, env.Now())
	hn.Advance(5 * time.Millisecond)
	require.Equal(t, 25*time.Millisecond, env.Now(), "the clock moves by d, timers or not")
}

// ExchangeAll and Flush deliver, besides the calls open, those the replies
// cause, through a peer's zero timer too; FlushFrom only one peer's.
func TestHandNetFlushesWhatRepliesCause(t *testing.T) {
	hn, nodes := echoNet(t, 2)
	nodes[0].then = func() { nodes[0].send(1, "second") }
	nodes[0].send(1, "first")
	hn.ExchangeAll(0, 1, "Echo")
	require.Equal(t, []string{"first", "second"}, nodes[1].handled)

	hn, nodes = echoNet(t, 2)
	nodes[0].then = func() { nodes[0].send(1, "second") }
	nodes[0].send(1, "first")
	hn.Flush()
	require.Equal(t, []string{"first", "second"}, nodes[1].handled)
	require.Equal(t, []string{`first true "first!"`, `second true "second!"`}, nodes[0].heard)

	for from := 0; from < 2; from++ {
		hn, nodes = echoNet(t, 2)
		nodes[0].send(1, "from n0")
		nodes[1].send(0, "from n1")
		hn.FlushFrom(from)
		require.Len(t, nodes[from].heard, 1, "FlushFrom(%d) flushes n%d's calls", from, from)
		require.Empty(t, nodes[1-from].heard, "FlushFrom(%d) leaves n%d's alone", from, 1-from)
		require.Len(t, hn.Matching(1-from, from, "Echo", false), 1)
	}
}

// Targets lists the peers with an open, undelivered call of the method from
// a peer, in the order sent.
func TestHandNetTargets(t *testing.T) {
	hn, nodes := echoNet(t, 4)
	nodes[0].send(2, "a")
	nodes[0].send(1, "b")
	nodes[0].send(3, "c")
	nodes[1].send(2, "not n0's")
	hn.Deliver(0, 1, "Echo") // delivered: no longer a target
	hn.Lose(0, 3, "Echo", false)
	require.Equal(t, []int{2}, hn.Targets(0, "Echo"))
	require.Empty(t, hn.Targets(0, "Other"))
	nodes[0].send(3, "d")
	require.Equal(t, []int{2, 3}, hn.Targets(0, "Echo"))
}

// What the test gets wrong, or a message that cannot cross the wire, fails
// the test with a message that says what.
func TestHandNetFailsClearly(t *testing.T) {
	ft := &fakeTB{TB: t}
	hn, nodes := echoNet(ft, 2)
	nodes[0].send(1, "a")
	hn.Deliver(0, 1, "Echo")
	nodes[0].send(1, "b")
	require.Equal(t, "handnet: no open Echo call n1→n0 with handled=false; open calls:\n"+
		"  n0→n1 echo.Echo {S:a} (request delivered: true)\n  n0→n1 echo.Echo {S:b} (request delivered: false)\n",
		ft.fatalOf(func() { hn.Deliver(1, 0, "Echo") }))
	hn.Flush()
	require.Equal(t, "handnet: no open Echo call n0→n1 with handled=true; open calls:\n",
		ft.fatalOf(func() { hn.Answer(0, 1, "Echo") }), "the calls over are not listed")

	nodes[0].env.Call(1, "echo.Missing", &EchoArgs{S: "x"}, &EchoReply{}, func(bool) {})
	require.Equal(t, "handnet: n1 has no handler echo.Missing",
		ft.fatalOf(func() { hn.Deliver(0, 1, "Missing") }))

	type secret struct{ x int }
	msg := ft.fatalOf(func() { nodes[0].env.Call(1, "echo.Echo", &secret{x: 1}, &EchoReply{}, func(bool) {}) })
	require.Contains(t, msg, "handnet: labgob", "args that cannot be sent")

	type badReply struct{ s string }
	nodes[0].env.Call(1, "echo.Odd", &EchoArgs{S: "x"}, &badReply{}, func(bool) {})
	hn.Nodes[1] = &oddEcho{}
	c := hn.Deliver(0, 1, "Odd")
	require.Contains(t, ft.fatalOf(func() { hn.Reply(c) }), "handnet: labgob", "a reply that cannot be sent")
}

// oddEcho's handler takes a reply type that cannot cross the wire.
type oddEcho struct{}

func (*oddEcho) Odd(args *EchoArgs, reply any) {}

// NewHandNet boots n peers; DeliverAll runs the handlers and holds the
// replies, AnswerAll delivers them, Answer the earliest one handled, and
// Exchange does both for one call.
func TestHandNetDeliversAndAnswers(t *testing.T) {
	hn, nodes := echoNet(t, 3)
	require.Len(t, hn.Nodes, 3)
	require.Len(t, nodes, 3)
	require.Equal(t, []int{0, 1, 2}, nodes[2].env.Peers())

	nodes[0].send(1, "a")
	nodes[0].send(1, "b")
	hn.DeliverAll(0, 1, "Echo")
	require.Equal(t, []string{"a", "b"}, nodes[1].handled)
	require.Empty(t, nodes[0].heard, "the replies wait")
	hn.Answer(0, 1, "Echo")
	require.Equal(t, []string{`a true "a!"`}, nodes[0].heard, "the earliest handled first")
	hn.AnswerAll(0, 1, "Echo")
	require.Equal(t, []string{`a true "a!"`, `b true "b!"`}, nodes[0].heard)

	nodes[2].send(0, "c")
	hn.Exchange(2, 0, "Echo")
	require.Equal(t, []string{"c"}, nodes[0].handled)
	require.Equal(t, []string{`c true "c!"`}, nodes[2].heard)
	require.Empty(t, hn.Open())
}
