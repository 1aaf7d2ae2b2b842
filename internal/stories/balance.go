package stories

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"protolab/chash/balance"
	"protolab/labrpc"
	"protolab/replog/harness"
)

// demoHerd is lab 2's last act (part 2E): requests, not keys. Ten servers,
// ten clients offering 90% of their capacity, and a load board that tells
// the clients every server's queue length once a second. Least-loaded on
// those reports sends a whole second of requests to the one server that
// looked least loaded: the herd, which the strip chart shows as one
// server's queue shooting up, then the next one's. Two random choices on the
// same reports spread them, and their queues stay short.
func demoHerd(w io.Writer) error {
	const refresh = time.Second
	setup := func(spec balance.Spec) balance.Setup {
		return balance.Setup{Servers: 10, Clients: 10, Load: 0.9, Balancer: spec, Refresh: refresh,
			Warmup: 2 * time.Second, Measure: 10 * time.Second, Sample: 250 * time.Millisecond}
	}
	type act struct {
		name string
		spec balance.Spec
		res  *balance.Result
	}
	acts := []*act{
		{"least-loaded on the reports", balance.Spec{Kind: balance.KindLeastLoaded, Source: balance.Reported}, nil},
		{"two choices on the same reports", balance.Spec{Kind: balance.KindTwoChoices, Source: balance.Reported}, nil},
	}
	for _, a := range acts {
		s := setup(a.spec)
		world := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: s.Nodes()})
		world.Note("act 3, the herd: %s, load reports every %v", a.name, refresh)
		res, err := balance.Run(world, s)
		world.Close()
		if err != nil {
			return err
		}
		a.res = res
	}

	fmt.Fprintf(w, "\n\nact 3: balancing requests (part 2E): the herd\n\n")
	fmt.Fprintf(w, "10 servers (exponential service, 100ms mean), 10 clients offering 90%% of their\n")
	fmt.Fprintf(w, "capacity; a board publishes every server's queue length once a second.\n")
	scale := 1
	for _, a := range acts {
		scale = max(scale, a.res.MaxQueue)
	}
	for _, a := range acts {
		fmt.Fprintf(w, "\n%s: each server's queue every 250ms, 0 to 12s (█ = %d requests)\n\n", a.name, scale)
		drawQueues(w, a.res.Queues, scale)
		r := a.res
		fmt.Fprintf(w, "\n  p50 %v  p99 %v  longest queue %d  %.0f%% of requests went to a server that looked least loaded\n",
			harness.Percentile(r.Latencies, 50).Round(time.Millisecond), harness.Percentile(r.Latencies, 99).Round(time.Millisecond),
			r.MaxQueue, 100*float64(r.OnLeast)/float64(r.Sent))
	}
	fmt.Fprintf(w, "\nEvery client sees the same report, so least-loaded sends them all to the same\n")
	fmt.Fprintf(w, "server for a second, and its queue grows by the cluster's whole load while the\n")
	fmt.Fprintf(w, "others drain. Two choices send a server only the requests whose random pair\n")
	fmt.Fprintf(w, "it is in (2 in 10): old information helps without herding (Mitzenmacher 2000).\n")
	return nil
}

// drawQueues draws one row per server, one cell per sample, the cell's
// height the server's queue length on a scale of `scale` requests.
func drawQueues(w io.Writer, queues [][]int, scale int) {
	levels := []rune(" ▁▂▃▄▅▆▇█")
	if len(queues) == 0 {
		return
	}
	for i := range queues[0] {
		var row strings.Builder
		for _, sample := range queues {
			q := sample[i]
			l := (q*8 + scale - 1) / scale // any request shows
			row.WriteRune(levels[min(l, 8)])
		}
		peak := slices.MaxFunc(queues, func(a, b []int) int { return a[i] - b[i] })[i]
		fmt.Fprintf(w, "  s%-2d |%s| peak %d\n", i, row.String(), peak)
	}
}

// lbRunner is part 2E's workload for 'lab run lb': the herd, to look at in the
// viewer (--html) or on the timeline. Half the nodes (rounded down) are
// servers, one is the load board, the rest are clients; the clients send by
// least-loaded on load reports a second old.
var lbRunner = Runner{
	Name:     "lb",
	Summary:  "lab 2E: clients balance requests by least-loaded on 1s-old load reports (the herd); every request is answered",
	Nodes:    21,
	MinNodes: 3,
	MaxNodes: 41,
	Load:     90,
	MaxLoad:  2000,
	Run:      runLB,
}

// lbService is the servers' mean service time in 'lab run lb': each serves
// 10 requests per second.
const lbService = 100 * time.Millisecond

func runLB(r *Run) error {
	servers := (r.Nodes - 1) / 2
	capacity := float64(servers) * float64(time.Second) / float64(lbService)
	if r.Load >= capacity {
		return fmt.Errorf("--load %g: %d servers serve %g requests per second; offer less, or give more --nodes", r.Load, servers, capacity)
	}
	s := balance.Setup{Servers: servers, Clients: r.Nodes - 1 - servers, Service: balance.Exponential(lbService),
		Load: r.Load / capacity, Refresh: time.Second, Measure: r.For,
		Balancer: balance.Spec{Kind: balance.KindLeastLoaded, Source: balance.Reported}}
	r.W.Note("the herd: %d servers, %d clients by least-loaded on load reports every %v", s.Servers, s.Clients, s.Refresh)
	res, err := balance.Run(r.W, s)
	if err != nil {
		return err
	}
	answered := int64(len(res.Latencies))
	r.Count("requests", res.Sent)
	r.Count("answered", answered)
	r.Count("refused or lost", res.Failed)
	r.Count("longest queue", int64(res.MaxQueue))
	r.Count("on least-loaded %", perCommit(100*res.OnLeast, max(res.Sent, 1)))
	for _, d := range res.Latencies {
		r.Latency(d)
	}
	var lost error
	if answered+res.Failed != res.Sent {
		lost = fmt.Errorf("%d requests sent, %d answered and %d failed: %d never came back", res.Sent, answered, res.Failed, res.Sent-answered-res.Failed)
	}
	r.Check("every request answered or failed", lost)
	return nil
}
