package live_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"protolab/gossip"
	"protolab/labrpc"
	"protolab/labrpc/live"
)

// TestSwimDetectsStoppedMemberOnLiveHost runs lab 3's SWIM members,
// unchanged, on the live host: they join through a seed, nobody is
// declared dead while every member runs (no false deaths on healthy
// links), and once one stops, every other member declares it dead.
func TestSwimDetectsStoppedMemberOnLiveHost(t *testing.T) {
	t.Parallel()
	const n = 4
	var addrs []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, ln.Addr().String())
		ln.Close()
	}
	var mu sync.Mutex
	views := make([][]gossip.State, n) // views[i][j]: what i believes of j
	known := make([][]bool, n)
	var falseDeaths []gossip.Event
	stopped := -1
	epoch := time.Now()
	nodes := make([]*live.Node, n)
	t.Cleanup(func() {
		for _, nd := range nodes {
			if nd != nil {
				nd.Stop()
			}
		}
	})
	for i := range n {
		views[i], known[i] = make([]gossip.State, n), make([]bool, n)
		cfg := gossip.DefaultSwimConfig()
		cfg.ProbeInterval, cfg.ProbeTimeout = 100*time.Millisecond, 80*time.Millisecond
		// a second of suspicion: a loaded machine's stall is no death
		cfg.SuspicionMult = 10
		cfg.PushPullInterval = time.Second
		cfg.Notify = func(ev gossip.Event) {
			mu.Lock()
			defer mu.Unlock()
			views[ev.Node][ev.Member], known[ev.Node][ev.Member] = ev.To, true
			if ev.To == gossip.Dead && ev.Member != stopped {
				falseDeaths = append(falseDeaths, ev)
			}
		}
		nd, err := live.Start(live.Config{Me: i, Addrs: addrs, Seed: 3, Epoch: epoch, CallTimeout: 200 * time.Millisecond},
			func(env labrpc.Env) any { return gossip.MakeSwim(env, cfg) })
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = nd
	}
	// every member sees every other alive: the seed's push-pull and gossip
	// carried the joins over TCP
	waitFor(t, 10*time.Second, "every member to see the whole group alive", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i, view := range views {
			for member, state := range view {
				if member != i && (!known[i][member] || state != gossip.Alive) {
					return false
				}
			}
		}
		return true
	})
	time.Sleep(time.Second) // a healthy second: ten protocol periods
	mu.Lock()
	stopped = n - 1
	mu.Unlock()
	nodes[stopped].Stop()
	at := time.Now()
	waitFor(t, 10*time.Second, "every live member to declare the stopped one dead", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for i := range n - 1 {
			if views[i][stopped] != gossip.Dead {
				return false
			}
		}
		return true
	})
	t.Logf("n%d stopped; every member declared it dead %v later", stopped, time.Since(at).Round(time.Millisecond))
	mu.Lock()
	defer mu.Unlock()
	if len(falseDeaths) > 0 {
		t.Fatalf("a member running on healthy links was declared dead: %+v (SWIM §4.2: only an unrefuted suspicion ends in death)", falseDeaths[0])
	}
	for i := range n - 1 {
		if err := nodes[i].Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("waited %v for %s", limit, what)
}
