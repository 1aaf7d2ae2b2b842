package main

import (
	"fmt"
	"time"

	"protolab/gossip"
	"protolab/labrpc"
)

func init() {
	registerRunner(runner{
		name:     "gossip",
		summary:  "lab 3A: a client broadcasts values through random nodes; every value must reach every node",
		nodes:    5,
		minNodes: 2,
		load:     50,
		faults:   []string{"partitions", "outages"},
		run:      runGossip,
	})
}

// gossipSettle is how long the run waits, after the workload and the faults
// end, for anti-entropy to bring every value to every node.
const gossipSettle = 5 * time.Second

// runGossip broadcasts r.Load values per second through random nodes of a
// total topology with batching and push-pull anti-entropy, measures how long
// each value takes to reach every node, and checks at the end that every
// acknowledged value reached every node.
func runGossip(r *simRun) error {
	w := r.W
	cfg := gossip.Config{Topology: gossip.Total(), BatchInterval: 20 * time.Millisecond,
		AntiEntropy: gossip.PushPull, AntiEntropyInterval: 200 * time.Millisecond}
	for i := 0; i < r.Nodes; i++ {
		w.Start(i, func(env labrpc.Env) any { return gossip.Make(env, cfg) })
	}
	r.StartFaults()
	node := func(i int) *gossip.Broadcast {
		b, _ := w.Service(i, "Broadcast").(*gossip.Broadcast)
		return b
	}
	everywhere := func(v int) bool {
		for i := 0; i < r.Nodes; i++ {
			if b := node(i); b == nil || !b.Has(v) {
				return false
			}
		}
		return true
	}

	// Every 5ms of virtual time, note which values have reached every node.
	sent := map[int]time.Duration{}
	var pending []int
	var watch func()
	watch = func() {
		kept := pending[:0]
		for _, v := range pending {
			if everywhere(v) {
				r.Latency(w.Now() - sent[v])
			} else {
				kept = append(kept, v)
			}
		}
		pending = kept
		w.At(5*time.Millisecond, watch)
	}
	w.At(5*time.Millisecond, watch)

	clnt := w.NewClient()
	rng := clnt.Rand()
	end := w.Now() + r.For
	gap := time.Duration(float64(time.Second) / r.Load)
	acked := 0
	w.Go("client", func() {
		next := w.Now()
		for v := 1; ; v++ {
			next += expGap(rng, gap)
			if next >= end {
				// The next arrival is past the workload's end: wait for the end,
				// not for it, so that a light load never outlasts the run.
				w.Sleep(max(end-w.Now(), 0))
				return
			}
			if next > w.Now() {
				w.Sleep(next - w.Now())
			}
			if w.Now() >= end {
				return
			}
			// A lost reply leaves the client unsure; it tries again, through
			// another node, until one acknowledges (values are a set).
			sent[v] = w.Now()
			pending = append(pending, v)
			for !clnt.Call(rng.IntN(r.Nodes), "Broadcast.Broadcast", &gossip.BroadcastArgs{Value: v}, &gossip.BroadcastReply{}) {
			}
			acked++
		}
	})
	if !w.RunUntilDone(r.For + time.Minute) {
		return fmt.Errorf("the client had not finished a minute of virtual time after the workload's end")
	}
	w.Sleep(gossipSettle)

	missing, deliveries := 0, int64(0)
	for v := range sent {
		for i := 0; i < r.Nodes; i++ {
			if b := node(i); b != nil && b.Has(v) {
				deliveries++
			} else {
				missing++
			}
		}
	}
	r.Count("broadcasts", int64(acked))
	r.Count("deliveries", deliveries)
	r.Count("messages/broadcast", w.TotalRPCs()/int64(max(acked, 1)))
	var err error
	if missing > 0 {
		err = fmt.Errorf("%d (value, node) pairs missing %v after the faults ended", missing, gossipSettle)
	}
	r.Check("reaches every node", err)
	return nil
}
