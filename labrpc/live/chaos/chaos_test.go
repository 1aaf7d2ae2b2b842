package chaos

import (
	"net"
	"strings"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/labrpc/live"
)

func TestPartitionCutsNodesNotClients(t *testing.T) {
	n := NewNet(3, 1)
	if _, err := n.Apply("partition 0,1 2"); err != nil {
		t.Fatal(err)
	}
	groups := n.Rules().Groups
	for _, c := range []struct {
		a, b int
		cut  bool
	}{{0, 1, false}, {1, 0, false}, {0, 2, true}, {2, 1, true}, {2, 2, false}, {7, 2, false}, {0, 7, false}} {
		if got := n.cut(groups, c.a, c.b); got != c.cut {
			t.Errorf("partition 0,1 | 2: cut(%d, %d) = %v, want %v", c.a, c.b, got, c.cut)
		}
	}
	n.Apply("partition 0")
	if groups := n.Rules().Groups; !n.cut(groups, 1, 2) || n.cut(groups, 0, 0) {
		t.Errorf("partition 0: nodes in no group must be alone (1 and 2 cut off from each other)")
	}
	n.Apply("heal")
	if n.Rules().Groups != nil {
		t.Errorf("heal left a partition: %v", n.Rules())
	}
}

func TestCommandErrorsNameTheMistake(t *testing.T) {
	n := NewNet(3, 1)
	for cmd, want := range map[string]string{
		"":                "empty command",
		"partiton 0 1":    "unknown command",
		"partition 0,3 1": "the nodes are 0..2",
		"partition 0 0":   "node 0 is in two groups",
		"drop 2":          "a probability is a number in [0, 1]",
		"delay fast":      "durations like 20ms",
	} {
		if _, err := n.Apply(cmd); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Apply(%q) = %v; want an error saying %q", cmd, err, want)
		}
	}
	if r := n.Rules(); r.Drop != 0 || r.Groups != nil {
		t.Errorf("a refused command changed the rules: %v", r)
	}
}

type Ping struct{}
type PingArgs struct{ N int }
type PingReply struct{ N int }

func (p *Ping) Ping(args *PingArgs, reply *PingReply) { reply.N = args.N }

// A frame through the proxy arrives, or not, as the rules say.
func TestProxyDropsAndHealsOnCommand(t *testing.T) {
	cn := NewNet(1, 1)
	defer cn.Close()
	p, err := cn.Listen(0, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nd, err := live.Start(live.Config{Me: 0, Addrs: []string{ln.Addr().String()}, Listener: ln}, func(labrpc.Env) any { return &Ping{} })
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Stop()
	p.SetTarget(nd.Addr())
	c := live.NewClient(1, []string{p.Addr()}, 200*time.Millisecond)
	defer c.Close()
	call := func() bool {
		var r PingReply
		ok, err := c.Call(0, "Ping.Ping", &PingArgs{N: 5}, &r)
		if err != nil {
			t.Fatal(err)
		}
		return ok && r.N == 5
	}
	if !call() {
		t.Fatal("a call through a reliable proxy failed")
	}
	cn.Apply("drop 1")
	if call() {
		t.Fatal("a call through a proxy that drops every frame got its reply")
	}
	cn.Apply("reliable")
	cn.Apply("delay 30ms")
	start := time.Now()
	if !call() || time.Since(start) < 60*time.Millisecond {
		t.Fatalf("with delay 30ms a call took %v: want both the request and the reply held", time.Since(start))
	}
	if passed, dropped, _ := cn.Counts(); dropped < 1 || passed < 4 {
		t.Fatalf("counts: passed %d, dropped %d", passed, dropped)
	}
}
