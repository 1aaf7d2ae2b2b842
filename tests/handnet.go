package tests

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"protolab/labgob"
	"protolab/labrpc"
)

// A HandNet is a network that the test drives by hand: every RPC waits
// until the test delivers its request (the handler runs then) and, later,
// its reply (the caller's callback runs then), or loses it. The test thus
// writes down one exact order of events, the one a reordering network can
// produce and a random run rarely does: a reply that arrives after its
// sender moved on, a request overtaken by a later one. Timers run only when
// the test advances the clock. Everything stays deterministic.
type HandNet struct {
	t      testing.TB
	Nodes  []any       // the peers' objects, whose exported methods are the handlers
	calls  []*HandCall // in the order they were sent
	timers []*handTimer
	now    time.Duration
	wire   *labgob.Stream
	// Check, if set, runs after every event (a request handled, a reply
	// delivered, a timer fired): invariants checked continuously, not only
	// at the end.
	Check func()
}

func (hn *HandNet) checkNow() {
	if hn.Check != nil {
		hn.Check()
	}
}

type HandCall struct {
	from, to int
	method   string
	args     any
	reply    any // the caller's reply, filled when the reply is delivered
	answer   reflect.Value
	done     func(ok bool)
	handled  bool // the request was delivered; the reply is on its way
	over     bool // the reply was delivered, or the call lost
}

func (c *HandCall) String() string {
	return fmt.Sprintf("n%d→n%d %s %+v", c.from, c.to, c.method, reflect.ValueOf(c.args).Elem().Interface())
}

type handTimer struct {
	at      time.Duration
	f       func()
	stopped bool
}

// NewHandNet makes n peers, each booted by boot with its own env.
func NewHandNet(t testing.TB, n int, seed int64, boot func(env labrpc.Env) any) *HandNet {
	hn := &HandNet{t: t, wire: labgob.NewStream()}
	peers := make([]int, n)
	for i := range peers {
		peers[i] = i
	}
	for i := 0; i < n; i++ {
		env := &handEnv{hn: hn, me: i, peers: slices.Clone(peers), persister: labrpc.NewPersister(),
			rand: rand.New(rand.NewPCG(uint64(seed), uint64(i)))}
		hn.Nodes = append(hn.Nodes, nil)
		hn.Nodes[i] = boot(env)
	}
	return hn
}

// find returns the first call from → to of method (short name, "Prepare")
// that is still open and, if handled, whose request was delivered.
func (hn *HandNet) find(from, to int, method string, handled bool) *HandCall {
	hn.t.Helper()
	for _, c := range hn.calls {
		if !c.over && c.from == from && c.to == to && strings.HasSuffix(c.method, "."+method) && c.handled == handled {
			return c
		}
	}
	hn.t.Fatalf("handnet: no open %s call n%d→n%d with handled=%v; open calls:\n%s", method, from, to, handled, hn.Open())
	return nil
}

func (hn *HandNet) Open() string {
	var b strings.Builder
	for _, c := range hn.calls {
		if !c.over {
			fmt.Fprintf(&b, "  %v (request delivered: %v)\n", c, c.handled)
		}
	}
	return b.String()
}

// Deliver delivers the request of the open call from → to of method: the
// handler runs now; the reply waits for answer.
func (hn *HandNet) Deliver(from, to int, method string) *HandCall {
	hn.t.Helper()
	c := hn.find(from, to, method, false)
	hn.Handle(c)
	return c
}

// Handle runs the handler of a call the test picked (from Matching), out of
// the order the calls were sent.
func (hn *HandNet) Handle(c *HandCall) {
	name := c.method[strings.IndexByte(c.method, '.')+1:]
	m := reflect.ValueOf(hn.Nodes[c.to]).MethodByName(name)
	if !m.IsValid() {
		hn.t.Fatalf("handnet: n%d has no handler %s", c.to, c.method)
	}
	args, _, err := hn.wire.Copy(c.args)
	if err != nil {
		hn.t.Fatalf("handnet: %v", err)
	}
	c.answer = reflect.New(reflect.TypeOf(c.reply).Elem())
	m.Call([]reflect.Value{reflect.ValueOf(args), c.answer})
	c.handled = true
	hn.checkNow()
}

// Answer delivers the reply of the call from → to of method whose request
// was delivered earliest: the caller's callback runs now.
func (hn *HandNet) Answer(from, to int, method string) {
	hn.t.Helper()
	c := hn.find(from, to, method, true)
	hn.Reply(c)
}

func (hn *HandNet) Reply(c *HandCall) {
	cp, _, err := hn.wire.Copy(c.answer.Interface())
	if err != nil {
		hn.t.Fatalf("handnet: %v", err)
	}
	reflect.ValueOf(c.reply).Elem().Set(reflect.ValueOf(cp).Elem())
	c.over = true
	c.done(true)
	hn.checkNow()
}

// Exchange delivers the request and then the reply of a call.
func (hn *HandNet) Exchange(from, to int, method string) {
	hn.t.Helper()
	hn.Reply(hn.Deliver(from, to, method))
}

// ExchangeAll exchanges every open call from → to of method, in the
// order they were sent, and those that their replies cause, until none is
// left.
func (hn *HandNet) ExchangeAll(from, to int, method string) {
	hn.t.Helper()
	for cs := hn.Matching(from, to, method, false); len(cs) > 0; cs = hn.Matching(from, to, method, false) {
		for _, c := range cs {
			hn.Handle(c)
			hn.Reply(c)
		}
		hn.Settle()
	}
}

// Matching lists the open calls from → to of method whose request was (or
// was not yet) delivered, in the order they were sent.
func (hn *HandNet) Matching(from, to int, method string, handled bool) []*HandCall {
	var cs []*HandCall
	for _, c := range hn.calls {
		if !c.over && c.handled == handled && c.from == from && c.to == to && strings.HasSuffix(c.method, "."+method) {
			cs = append(cs, c)
		}
	}
	return cs
}

// Targets lists, in the order they were sent, the peers to which `from`
// has open calls of method whose request is not delivered yet.
func (hn *HandNet) Targets(from int, method string) []int {
	var to []int
	for _, c := range hn.calls {
		if !c.over && !c.handled && c.from == from && strings.HasSuffix(c.method, "."+method) {
			to = append(to, c.to)
		}
	}
	return to
}

// DeliverAll delivers the request of every open call from → to of method;
// the replies wait for answerAll.
func (hn *HandNet) DeliverAll(from, to int, method string) {
	for _, c := range hn.Matching(from, to, method, false) {
		hn.Handle(c)
	}
}

// AnswerAll delivers every reply on its way from → to of method.
func (hn *HandNet) AnswerAll(from, to int, method string) {
	for _, c := range hn.Matching(from, to, method, true) {
		hn.Reply(c)
	}
}

// LoseAll loses every open call from → to of method, request or reply.
func (hn *HandNet) LoseAll(from, to int, method string) {
	for _, handled := range []bool{false, true} {
		for _, c := range hn.Matching(from, to, method, handled) {
			c.over = true
			c.done(false)
		}
	}
}

// Lose loses the open call from → to of method, request or reply: the
// caller's callback runs now with ok=false.
func (hn *HandNet) Lose(from, to int, method string, handled bool) {
	hn.t.Helper()
	c := hn.find(from, to, method, handled)
	c.over = true
	c.done(false)
}

// Settle runs the timers that are due now (a peer's call to itself answers
// through a zero timer).
func (hn *HandNet) Settle() { hn.Advance(0) }

// Advance moves the clock by d, running every timer that falls due, in
// order of time and then of setting.
func (hn *HandNet) Advance(d time.Duration) {
	end := hn.now + d
	for {
		next := -1
		for i, tm := range hn.timers {
			if !tm.stopped && tm.at <= end && (next < 0 || tm.at < hn.timers[next].at) {
				next = i
			}
		}
		if next < 0 {
			break
		}
		tm := hn.timers[next]
		tm.stopped = true
		hn.now = max(hn.now, tm.at)
		tm.f()
		hn.checkNow()
	}
	hn.now = end
}

// Flush delivers every open call, request and then reply, in the order they
// were sent, and runs the timers due, until nothing is left to deliver.
func (hn *HandNet) Flush() { hn.FlushFrom(-1) }

// FlushFrom is flush for the calls that peer `from` sends (-1: every peer's):
// that peer's messages overtake everyone else's.
func (hn *HandNet) FlushFrom(from int) {
	for progress := true; progress; {
		hn.Settle()
		progress = false
		for i := 0; i < len(hn.calls); i++ {
			if c := hn.calls[i]; !c.over && (from < 0 || c.from == from) {
				if !c.handled {
					hn.Handle(c)
				}
				hn.Reply(c)
				progress = true
			}
		}
	}
}

// handEnv is one peer's Env on a HandNet.
type handEnv struct {
	hn        *HandNet
	me        int
	peers     []int
	persister *labrpc.Persister
	rand      *rand.Rand
}

func (e *handEnv) Me() int                      { return e.me }
func (e *handEnv) Peers() []int                 { return slices.Clone(e.peers) }
func (e *handEnv) Now() time.Duration           { return e.hn.now }
func (e *handEnv) Rand() *rand.Rand             { return e.rand }
func (e *handEnv) Persister() *labrpc.Persister { return e.persister }
func (e *handEnv) Logf(string, string, ...any)  {}
func (e *handEnv) After(d time.Duration, f func()) (cancel func()) {
	tm := &handTimer{at: e.hn.now + d, f: f}
	e.hn.timers = append(e.hn.timers, tm)
	return func() { tm.stopped = true }
}

func (e *handEnv) Call(to int, method string, args, reply any, done func(ok bool)) {
	cp, _, err := e.hn.wire.Copy(args)
	if err != nil {
		e.hn.t.Fatalf("handnet: %v", err)
	}
	e.hn.calls = append(e.hn.calls, &HandCall{from: e.me, to: to, method: method, args: cp, reply: reply, done: done})
}
