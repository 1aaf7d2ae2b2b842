package balance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog/harness"
	"protolab/tests"
)

// The simulated tests: servers, the board and clients on the network, run
// from the seed.

// run plays s on a new world of the test's seed.
func run(t *tests.T, s Setup) *Result {
	t.Helper()
	w := t.NewWorld(labrpc.Config{Nodes: s.Nodes()})
	res, err := Run(w, s)
	require.NoError(t, err)
	require.Positive(t, res.Sent, "the clients sent nothing: does Pick return -1?")
	return res
}

func p99(res *Result) time.Duration { return harness.Percentile(res.Latencies, 99) }

// herdSetup: 10 equal servers (exponential service, 100ms mean), 5
// clients offering 90% of their capacity, load reports every refresh.
func herdSetup(spec Spec, refresh time.Duration) Setup {
	return Setup{Servers: 10, Clients: 5, Balancer: spec, Refresh: refresh, Load: 0.9,
		Warmup: 2 * time.Second, Measure: 20 * time.Second}
}

func describe(name string, res *Result) string {
	return fmt.Sprintf("%s: p50 %v p99 %v, longest queue %d, %.0f%% of requests on a server that looked least loaded",
		name, harness.Percentile(res.Latencies, 50).Round(time.Millisecond), p99(res).Round(time.Millisecond),
		res.MaxQueue, 100*float64(res.OnLeast)/float64(res.Sent))
}

// TestHerd2E is the part's point. With load reports a second old, least-
// loaded sends every request of a second to the server that looked least
// loaded: its queue grows by the whole cluster's arrivals while the others
// drain. Two choices on the same reports send that server only the pairs it
// is in, and stay close to least-loaded on fresh reports.
func TestHerd2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		fresh := run(t, herdSetup(Spec{Kind: KindLeastLoaded, Source: Reported}, 0))
		herd := run(t, herdSetup(Spec{Kind: KindLeastLoaded, Source: Reported}, time.Second))
		two := run(t, herdSetup(Spec{Kind: KindTwoChoices, Source: Reported}, time.Second))
		t.Logf("%s\n%s\n%s", describe("least-loaded, fresh", fresh), describe("least-loaded, 1s old", herd), describe("two choices, 1s old", two))

		require.Greater(t, float64(herd.OnLeast)/float64(herd.Sent), 0.95,
			"least-loaded on one report per second: nearly every request should go to a server that looked least loaded (the herd)")
		require.Less(t, float64(two.OnLeast)/float64(two.Sent), 0.8,
			"two choices on the same reports: a server is in a request's pair with probability 2/n, so many requests go elsewhere (more than 2/n land on one that looked least loaded, since several often tie)")
		// The bounds are looser than the benchmark's (3x, over 300s): 20s
		// is 20 periods, and a period in which several servers tie at the
		// shortest queue splits the herd among them. Over seeds 1-200 the
		// p99 ratio fell to 1.96 once (seed 71).
		require.GreaterOrEqual(t, herd.MaxQueue, 2*two.MaxQueue,
			"the herd: least-loaded on 1s-old reports should pile requests onto one server at a time (longest queue %d), at least twice two choices' (%d)", herd.MaxQueue, two.MaxQueue)
		require.GreaterOrEqual(t, p99(herd), 3*p99(two)/2,
			"the herd's p99 (%v) should be at least 1.5 times two choices' on the same reports (%v)", p99(herd), p99(two))
		require.Less(t, p99(two), 4*p99(fresh),
			"two choices on 1s-old reports (p99 %v) should stay within 4 times least-loaded on fresh ones (%v)", p99(two), p99(fresh))
	})
}

// TestNoRequestToADownServer2E marks a server down at 2s of a 4s run:
// once the board has told the clients, no request reaches it, whichever the
// balancer.
func TestNoRequestToADownServer2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		for _, spec := range allSpecs {
			s := Setup{Servers: 5, Clients: 4, Balancer: spec, Refresh: 50 * time.Millisecond, Load: 0.8,
				Measure: 4 * time.Second}
			w := t.NewWorld(labrpc.Config{Nodes: s.Nodes()})
			const victim = 3
			var atDown, afterTold int64
			w.At(2*time.Second, func() {
				w.Go("operator", func() {
					ok := w.NewClient().Call(victim, "Server.SetDown", &SetDownArgs{Down: true}, &SetDownReply{})
					require.True(t, ok, "marking server %d down", victim)
					atDown = w.Service(victim, "Server").(*Server).Arrived()
					// The board hears of it and publishes within 50ms; the
					// publication takes at most 5ms more to arrive, and a
					// request already sent at most 5ms to land.
					w.Sleep(200 * time.Millisecond)
					afterTold = w.Service(victim, "Server").(*Server).Arrived()
				})
			})
			res, err := Run(w, s)
			require.NoError(t, err)
			require.Positive(t, atDown, "%s: server %d got no request before it was marked down", spec, victim)
			require.Equal(t, afterTold, res.Arrived[victim],
				"%s: server %d was marked down at 2s and every client knew by 2.2s, yet %d more requests reached it after that",
				spec, victim, res.Arrived[victim]-afterTold)
			w.Close()
		}
	})
}

// TestSlowDownHalfway2E: one server drops to a tenth of its speed at 4s of
// 10. Weighted, by configured capacity, keeps sending it its share, six
// times what it can now serve; least-loaded on its own requests in
// flight sees them pile up there and sends elsewhere.
func TestSlowDownHalfway2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		setup := func(spec Spec) Setup {
			return Setup{Servers: 5, Clients: 5, Balancer: spec, Load: 0.6, Refresh: 100 * time.Millisecond,
				SlowServer: 2, SlowAt: 4 * time.Second, SlowSpeed: 0.1, Warmup: time.Second, Measure: 9 * time.Second}
		}
		weighted := run(t, setup(Spec{Kind: KindWeighted}))
		least := run(t, setup(Spec{Kind: KindLeastLoaded, Source: Outstanding}))
		t.Logf("%s\n%s", describe("weighted", weighted), describe("least-loaded, own requests", least))
		// 1.5x, not 2x: seed 714 gives 16 to 9; 1.5x holds on seeds 1 to 1000.
		require.GreaterOrEqual(t, 2*weighted.MaxQueue, 3*least.MaxQueue,
			"after server 2 slows down, weighted by configured capacity should overload it (longest queue %d), least-loaded adapt (%d)", weighted.MaxQueue, least.MaxQueue)
		require.Less(t, p99(least), p99(weighted), "least-loaded should beat weighted once a server slows down")
	})
}

// TestSameSeedSameRun2E: the herd scenario twice on one seed gives the same
// trace, and the next seed another.
func TestSameSeedSameRun2E(t *testing.T) {
	tests.RunTwice(t, func(t *tests.T) {
		s := herdSetup(Spec{Kind: KindTwoChoices, Source: Reported}, 100*time.Millisecond)
		s.Measure = 3 * time.Second
		run(t, s)
	})
}
