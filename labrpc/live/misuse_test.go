package live_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/labrpc/live"
)

// A small service for the host's own checks.
type Echo struct {
	env   labrpc.Env
	later []func()
	twice bool
}

type EchoArgs struct{ N int }
type EchoReply struct{ N int }

func (e *Echo) Double(args *EchoArgs, reply *EchoReply) { reply.N = 2 * args.N }

// Slow answers from a timer, 20 ms after the request: a deferred reply.
func (e *Echo) Slow(args *EchoArgs, reply *EchoReply, respond func()) {
	e.env.After(20*time.Millisecond, func() {
		reply.N = args.N + 1
		respond()
		if e.twice {
			respond()
		}
	})
}

type Hidden struct{}
type HiddenArgs struct{ n int }
type HiddenReply struct{ N int }

func (h *Hidden) Peek(args *HiddenArgs, reply *HiddenReply) {}

func startEcho(t *testing.T, e *Echo) (*live.Node, []string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{ln.Addr().String()}
	nd, err := live.Start(live.Config{Me: 0, Addrs: addrs, Listener: ln}, func(env labrpc.Env) any { e.env = env; return e })
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nd.Stop)
	return nd, addrs
}

func TestCallsAndDeferredRepliesOnLiveHost(t *testing.T) {
	_, addrs := startEcho(t, &Echo{})
	c := live.NewClient(1, addrs, time.Second)
	defer c.Close()
	var r EchoReply
	if ok, err := c.Call(0, "Echo.Double", &EchoArgs{N: 21}, &r); !ok || err != nil || r.N != 42 {
		t.Fatalf("Echo.Double(21) = %d, ok=%v, err=%v; want 42", r.N, ok, err)
	}
	var s EchoReply
	if ok, err := c.Call(0, "Echo.Slow", &EchoArgs{N: 1}, &s); !ok || err != nil || s.N != 2 {
		t.Fatalf("Echo.Slow(1) = %d, ok=%v, err=%v; want 2 (a deferred reply)", s.N, ok, err)
	}
}

// The simulator's misuse errors, from the live host.
func TestMisuseErrorsOnLiveHost(t *testing.T) {
	_, addrs := startEcho(t, &Echo{})
	c := live.NewClient(1, addrs, time.Second)
	defer c.Close()
	_, err := c.Call(0, "Echo.Doubel", &EchoArgs{}, &EchoReply{})
	if err == nil || !strings.Contains(err.Error(), "Echo has no method Doubel (did you mean Echo.Double?)") {
		t.Fatalf("calling a method that does not exist: err = %v; want the simulator's 'has no method ... did you mean'", err)
	}
	_, err = c.Call(0, "Echo.Double", &EchoArgs{}, &EchoReply{N: 3})
	if err == nil || !strings.Contains(err.Error(), "zero") {
		t.Fatalf("a reply that is not a zero value: err = %v; want labgob's refusal", err)
	}
	_, err = live.Start(live.Config{Me: 0, Addrs: []string{"127.0.0.1:0"}}, func(env labrpc.Env) any { return &Hidden{} })
	if err == nil || !strings.Contains(err.Error(), "Hidden.Peek") {
		t.Fatalf("a handler whose args has an unexported field: err = %v; want it refused at boot, naming the handler", err)
	}
}

func TestRespondTwiceStopsTheNode(t *testing.T) {
	nd, addrs := startEcho(t, &Echo{twice: true})
	c := live.NewClient(1, addrs, time.Second)
	defer c.Close()
	c.Call(0, "Echo.Slow", &EchoArgs{}, &EchoReply{})
	select {
	case <-nd.Done():
	case <-time.After(2 * time.Second):
		t.Fatal("a node that called respond twice still runs")
	}
	if err := nd.Err(); err == nil || !strings.Contains(err.Error(), "respond twice") {
		t.Fatalf("err = %v; want the simulator's 'called respond twice'", err)
	}
}
