package balance

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/tests"
)

// The balancers' defining properties, each on a view set by hand. The draws
// come from the run's seed (-seed, -seeds), so every property is checked on
// other random streams by `go test ./chash/balance -run 2E -seeds=200`.

// fixedClock is a view's clock for tests without a world.
func fixedClock() time.Duration { return 0 }

func seeded(t *tests.T) *rand.Rand { return rand.New(rand.NewPCG(uint64(t.Seed), 0x2e)) }

// pick is b.Pick(key), failing the test unless it names one of n servers.
func pick(t testing.TB, b Balancer, key string, n int) int {
	t.Helper()
	i := b.Pick(key)
	require.True(t, i >= 0 && i < n, "Pick(%q) returned %d with servers up; it must name one of the %d servers", key, i, n)
	return i
}

// newBalancer makes the balancer spec names over v, failing the test on error.
func newBalancer(t testing.TB, spec Spec, v *View, r *rand.Rand) Balancer {
	t.Helper()
	b, err := New(spec, v, r)
	require.NoError(t, err)
	return b
}

// allSpecs is every balancer, with both sources where there are two.
var allSpecs = []Spec{{Kind: KindRoundRobin}, {Kind: KindRandom}, {Kind: KindWeighted},
	{Kind: KindLeastLoaded, Source: Outstanding}, {Kind: KindLeastLoaded, Source: Reported},
	{Kind: KindTwoChoices, Source: Outstanding}, {Kind: KindTwoChoices, Source: Reported}, {Kind: KindBoundedHash}}

func TestRoundRobinRotation2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		v := NewView(4, fixedClock)
		b := newBalancer(t, Spec{Kind: KindRoundRobin}, v, seeded(t))
		picks := func(n int) []int {
			var got []int
			for range n {
				got = append(got, b.Pick(""))
			}
			return got
		}
		require.Equal(t, []int{0, 1, 2, 3, 0, 1, 2, 3, 0}, picks(9), "round robin goes through the servers in order, one each, and wraps")
		v.SetDown(2, true)
		require.Equal(t, []int{1, 3, 0, 1, 3, 0}, picks(6), "server 2 is down: the rotation passes over it and keeps its order")
		v.SetDown(2, false)
		require.Equal(t, []int{1, 2, 3, 0}, picks(4), "server 2 is up again: it takes its turn")
		for i := range 4 {
			v.SetDown(i, true)
		}
		require.Equal(t, -1, b.Pick(""), "every server is down: Pick must say so with -1")
	})
}

func TestRandomUniform2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, picks = 5, 50_000
		v := NewView(n, fixedClock)
		v.SetDown(4, true)
		b := newBalancer(t, Spec{Kind: KindRandom}, v, seeded(t))
		count := make([]int, n)
		for range picks {
			count[pick(t, b, "", n)]++
		}
		require.Zero(t, count[4], "server 4 is down")
		for i := range 4 {
			share := float64(count[i]) / picks
			require.InDelta(t, 0.25, share, 0.015, "server %d's share of random picks among 4 up servers: %v", i, count)
		}
	})
}

// shareBound is how far a share of picks may stray from its probability p
// over n picks: six standard deviations, so a correct balancer fails it
// about once in 10^8 runs, while an inverted weight is far outside.
func shareBound(p float64, n int) float64 { return 6 * math.Sqrt(p*(1-p)/float64(n)) }

func TestWeightedShares2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const picks = 100_000
		capacity := []float64{1, 2, 3, 4, 0.5}
		v := NewView(len(capacity), fixedClock)
		b := newBalancer(t, Spec{Kind: KindWeighted, Capacities: capacity}, v, seeded(t))
		check := func(up []bool) {
			t.Helper()
			total := 0.0
			for i, c := range capacity {
				v.SetDown(i, !up[i])
				if up[i] {
					total += c
				}
			}
			count := make([]int, len(capacity))
			for range picks {
				count[pick(t, b, "", len(capacity))]++
			}
			for i, c := range capacity {
				want := 0.0
				if up[i] {
					want = c / total
				}
				got := float64(count[i]) / picks
				require.InDelta(t, want, got, shareBound(want, picks)+1e-9,
					"server %d of capacity %v got %.4f of the picks, want w_i = c_i/Σc_j = %.4f (capacities %v, up %v, counts %v)",
					i, c, got, want, capacity, up, count)
			}
		}
		check([]bool{true, true, true, true, true})
		check([]bool{true, false, true, true, false}) // the shares of the servers up, renormalised
	})
}

// TestBalancerConfigErrors checks the given constructors' errors, so it has no
// part: it passes in every skeleton.
func TestBalancerConfigErrors(t *testing.T) {
	v := NewView(3, fixedClock)
	r := rand.New(rand.NewPCG(1, 2))
	for _, caps := range [][]float64{{1, 2}, {1, 0, 1}, {1, -1, 1}, {1, math.NaN(), 1}, {1, math.Inf(1), 1}} {
		_, err := New(Spec{Kind: KindWeighted, Capacities: caps}, v, r)
		require.Error(t, err, "capacities %v", caps)
	}
	_, err := New(Spec{Kind: "least-busy"}, v, r)
	require.ErrorContains(t, err, "choose one of round-robin")
	_, err = New(Spec{Kind: KindBoundedHash, C: 0.9}, v, r)
	require.ErrorContains(t, err, "capacity factor")
}

func TestTwoChoicesNeverPicksTheWorseOfItsPair2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := seeded(t)
		// Two servers: the pair is always both, so the less loaded always
		// wins. A balancer that may draw one server twice sends about a
		// quarter of its requests to the worse.
		v := NewView(2, fixedClock)
		v.SetQueue(0, 5)
		b := newBalancer(t, Spec{Kind: KindTwoChoices, Source: Reported}, v, r)
		for k := range 1000 {
			require.Equal(t, 1, b.Pick(""), "pick %d: servers 0 and 1 have queues 5 and 0; two distinct choices always see both and take server 1", k)
		}

		// n servers with queues 0 < 1 < … < n-1: the pair is any of the
		// n(n-1)/2 pairs of distinct servers, and the less loaded wins, so
		// server r wins the pairs with every server above it: a share of
		// 2(n-1-r)/(n(n-1)). The most loaded never wins.
		const n, picks = 6, 60_000
		v = NewView(n, fixedClock)
		for i := range n {
			v.SetQueue(i, i)
		}
		b = newBalancer(t, Spec{Kind: KindTwoChoices, Source: Reported}, v, r)
		count := make([]int, n)
		for range picks {
			count[pick(t, b, "", n)]++
		}
		require.Zero(t, count[n-1], "the most loaded server is the worse of every pair it is in, yet was picked: %v", count)
		for i := range n {
			want := 2 * float64(n-1-i) / float64(n*(n-1))
			require.InDelta(t, want, float64(count[i])/picks, shareBound(want, picks)+1e-9,
				"server %d (queue %d) won %d of %d picks; two distinct random choices give it %.4f (counts %v)", i, i, count[i], picks, want, count)
		}

		// On its own requests in flight: the same rule.
		v = NewView(3, fixedClock)
		b = newBalancer(t, Spec{Kind: KindTwoChoices, Source: Outstanding}, v, r)
		b.Sent(0)
		b.Sent(0)
		b.Sent(1)
		for range 1000 {
			require.NotEqual(t, 0, b.Pick(""), "server 0 has 2 requests in flight, 1 and 2 fewer: it is the worse of every pair")
		}
	})
}

func TestNoPickOfADownServer2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 6
		for _, spec := range allSpecs {
			v := NewView(n, fixedClock)
			b := newBalancer(t, spec, v, seeded(t))
			// The down servers look the least loaded, so that a balancer
			// that ranks them would choose them.
			for i := range n {
				v.SetQueue(i, 10)
			}
			v.SetDown(1, true)
			v.SetQueue(1, 0)
			v.Hold(4, time.Second) // a failed call: held down until 1s
			v.SetQueue(4, 0)
			for k := range 3000 {
				i := b.Pick(fmt.Sprintf("key-%d", k%50))
				require.True(t, i >= 0 && i < n && i != 1 && i != 4, "%s picked server %d; servers 1 (reported down) and 4 (held after a failure) are down", spec, i)
				b.Sent(i)
				if k%3 == 0 {
					b.Replied(i, 10)
				}
			}
			for i := range n {
				v.SetDown(i, true)
			}
			require.Equal(t, -1, b.Pick("key-1"), "%s: every server is down, so Pick must return -1", spec)
		}
	})
}

func TestLeastLoadedCountsInFlight2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		v := NewView(3, fixedClock)
		b := newBalancer(t, Spec{Kind: KindLeastLoaded, Source: Outstanding}, v, seeded(t))
		seen := map[int]bool{}
		for k := range 3 {
			i := pick(t, b, "", 3)
			require.False(t, seen[i], "pick %d went to server %d, which already has a request in flight while another has none", k, i)
			seen[i] = true
			b.Sent(i)
		}
		b.Sent(0) // server 0: 2 in flight; 1 and 2: 1 each
		b.Replied(2, 0)
		require.Equal(t, 2, b.Pick(""), "server 2's request came back: it has none in flight, the others one or two")
		b.Sent(2)
		b.Failed(1)
		require.Equal(t, 1, b.Pick(""), "server 1's request failed: it has none in flight")

		// Ties go to each tied server alike: an idle client does not send
		// everything to server 0.
		count := make([]int, 3)
		for range 30_000 {
			count[pick(t, b, "", 3)]++ // nothing is sent: the loads stay 2, 0, 1
		}
		require.Equal(t, 30_000, count[1], "server 1 alone has no request in flight")
		b.Sent(1)
		b.Replied(0, 0)
		clear(count) // loads now 1, 1, 1
		for range 30_000 {
			count[pick(t, b, "", 3)]++
		}
		for i := range 3 {
			require.InDelta(t, 1.0/3, float64(count[i])/30_000, shareBound(1.0/3, 30_000),
				"three servers with one request in flight each: a tie, so each should get a third (counts %v)", count)
		}
	})
}

func TestLeastLoadedOnReports2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		v := NewView(4, fixedClock)
		v.Report([]int{3, 1, 4, 2}, make([]bool, 4), time.Second)
		b := newBalancer(t, Spec{Kind: KindLeastLoaded, Source: Reported}, v, seeded(t))
		for range 100 {
			i := b.Pick("")
			require.Equal(t, 1, i, "server 1 reported the shortest queue (1)")
			b.Sent(i) // the report is all it goes by: it sends there again
		}
		v.Report([]int{0, 0, 0, 0}, []bool{false, true, false, false}, 500*time.Millisecond)
		require.Equal(t, 1, b.Pick(""), "a report older than the one held is ignored")
		v.Report([]int{2, 5, 0, 2}, make([]bool, 4), 2*time.Second)
		require.Equal(t, 2, b.Pick(""), "the newer report says server 2")
	})
}

func TestBoundedHashSticksAndCaps2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		v := NewView(n, fixedClock)
		b := newBalancer(t, Spec{Kind: KindBoundedHash, C: 1.25}, v, seeded(t))
		// One request at a time: every key goes to its own server, always.
		home := map[string]int{}
		for k := range 200 {
			key := fmt.Sprintf("key-%d", k%40)
			i := pick(t, b, key, n)
			if h, ok := home[key]; ok {
				require.Equal(t, h, i, "with nothing in flight, %s went to server %d, then %d: requests must stick to their key", key, h, i)
			}
			home[key] = i
			b.Sent(i)
			b.Replied(i, 0)
		}
		servers := map[int]bool{}
		for _, i := range home {
			servers[i] = true
		}
		require.Greater(t, len(servers), 2, "40 keys on 5 servers all went to %d of them", len(servers))

		// One hot key: its requests pile up in flight and spill over to the
		// next servers, none ever past ⌈1.25·R/n⌉ with R in flight.
		inflight := make([]int, n)
		total := 0
		for k := range 100 {
			i := pick(t, b, "hot", n)
			total++
			limit := int(math.Ceil(1.25 * float64(total) / n))
			require.Less(t, inflight[i], limit, "request %d for the hot key went to server %d with %d in flight; the capacity for %d requests on %d servers is ⌈1.25·%d/%d⌉ = %d",
				k, i, inflight[i], total, n, total, n, limit)
			inflight[i]++
			b.Sent(i)
		}
		for i := range n {
			require.LessOrEqual(t, inflight[i], 25, "server %d holds %d of 100 requests in flight; the cap is 25", i, inflight[i])
		}
		require.Equal(t, 0, capacity(0, 3, 1250))
		require.Equal(t, 1, capacity(1, 3, 1250))
		require.Equal(t, 5, capacity(10, 3, 1250), "⌈1.25·10/3⌉ = ⌈4.17⌉")
		require.Equal(t, 4, capacity(10, 3, 1000), "⌈10/3⌉")
		require.Equal(t, 2, capacity(5, 5, 1001), "⌈1.001·5/5⌉ = ⌈1.001⌉: a hair above a whole number still rounds up")
	})
}

// TestOnlyOneServerUp2E takes every server but one down, each in turn: every balancer
// must send everything to the one left, server 0 included. A balancer that treats
// "one server up" as a special case, or server 0 as "none", sends nowhere (or panics
// drawing a pair from one).
func TestOnlyOneServerUp2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 4
		for _, spec := range allSpecs {
			for alone := range n {
				v := NewView(n, fixedClock)
				b := newBalancer(t, spec, v, seeded(t))
				for i := range n {
					v.SetDown(i, i != alone)
				}
				for k := range 20 {
					i := b.Pick(fmt.Sprintf("key-%d", k))
					require.Equal(t, alone, i, "%s: only server %d is up, yet pick %d returned %d", spec, alone, k, i)
					b.Sent(i)
					if k%2 == 0 {
						b.Replied(i, 0)
					}
				}
			}
		}
	})
}

// TestTwoChoicesCountsRepliesAndFailures2E is two-choices on its own requests in
// flight as a client's replies and failures come back: a request that came back, by a
// reply or by a failure, is no longer in flight, so the server it went to is less
// loaded than one still busy. A balancer that forgets to count a request out keeps
// avoiding a server that has long been idle.
func TestTwoChoicesCountsRepliesAndFailures2E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		v := NewView(2, fixedClock)
		b := newBalancer(t, Spec{Kind: KindTwoChoices, Source: Outstanding}, v, seeded(t))
		b.Sent(0)
		b.Sent(0)
		b.Sent(1)
		require.Equal(t, 1, b.Pick(""), "server 0 has 2 requests in flight, server 1 one")
		b.Replied(0, 0)
		b.Replied(0, 0)
		for range 100 {
			require.Equal(t, 0, b.Pick(""), "both of server 0's requests were answered: it has none in flight, server 1 one")
		}
		b.Sent(1)
		b.Sent(0)
		b.Failed(1)
		b.Failed(1)
		for range 100 {
			require.Equal(t, 1, b.Pick(""), "both of server 1's requests failed: it has none in flight, server 0 one")
		}
	})
}
