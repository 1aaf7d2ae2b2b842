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
