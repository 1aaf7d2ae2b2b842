package gossip

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Scenarios written from the survivors of the full mutation run of lab 3
// (issue 10; the triage is in docs/mutation.md): each is a situation that a
// learner's bug would meet and that no other test staged. Most are about the
// smallest groups, where "a random peer other than me" has one answer or
// none.

// TestAntiEntropyGroupOfOne3A: a node alone, with anti-entropy on, has no
// peer to reconcile with: its rounds must do nothing (not draw a peer
// among none, which panics) and it must keep answering reads.
func TestAntiEntropyGroupOfOne3A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const round = 100 * time.Millisecond
		for _, mode := range []Mode{PushPull, Push, Pull} {
			w := t.NewWorld(labrpc.Config{Nodes: 1})
			startBroadcast(w, 1, Config{AntiEntropy: mode, AntiEntropyInterval: round})
			require.True(t, w.NewClient().Call(0, "Broadcast.Broadcast", &BroadcastArgs{Value: 7}, &BroadcastReply{}), "%v: a lone node acknowledges a broadcast", mode)
			w.Sleep(5 * round)
			reply := &ReadReply{}
			require.True(t, w.NewClient().Call(0, "Broadcast.Read", &ReadArgs{}, reply), "%v: after 5 anti-entropy rounds alone, the node must still answer", mode)
			require.Equal(t, []int{7}, reply.Values, "%v: the lone node's read", mode)
		}
	})
}

// TestAntiEntropyGroupOfTwo3A: two nodes with no overlay (anti-entropy
// only), each given its own value. Each node's only peer is the other, so
// in every mode both must have both values within a few rounds: a node
// that picks itself, or never picks the other, or takes two nodes for too
// few to reconcile, leaves one value where it began.
func TestAntiEntropyGroupOfTwo3A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const round = 100 * time.Millisecond
		for _, mode := range []Mode{PushPull, Push, Pull} {
			w := t.NewWorld(labrpc.Config{Nodes: 2})
			startBroadcast(w, 2, Config{AntiEntropy: mode, AntiEntropyInterval: round})
			for i := 0; i < 2; i++ {
				require.True(t, w.NewClient().Call(i, "Broadcast.Broadcast", &BroadcastArgs{Value: 10 + i}, &BroadcastReply{}))
			}
			both := func() bool { return bnode(w, 0).Len() == 2 && bnode(w, 1).Len() == 2 }
			require.True(t, w.WaitUntil(both, 10*time.Millisecond, 5*round),
				"%v anti-entropy between two nodes: after 5 rounds n0 has %d values and n1 has %d, of 2 (each round, each node reconciles with the only other node)",
				mode, bnode(w, 0).Len(), bnode(w, 1).Len())
		}
	})
}

// TestSwimGroupOfOne3B: a member alone (the seed, before anyone joins) has
// nobody to probe and nobody to sync with. For a minute of periodic probes
// and push-pulls it must do nothing, and see itself as the whole group.
func TestSwimGroupOfOne3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 1})
		g := newGroup(w, 1, DefaultSwimConfig())
		g.startAll()
		w.Sleep(time.Minute)
		require.Equal(t, []int{0}, g.member(0).Members(), "a member alone sees only itself")
	})
}

// TestPartitionHealsGroupOfTwo3B: two members cut apart declare each other
// dead; neither probes a member it believes dead, so after the heal only
// periodic push-pull (which may pick a member believed dead) brings them
// together. Each member's only candidate is the other.
func TestPartitionHealsGroupOfTwo3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		g := newGroup(w, 2, DefaultSwimConfig())
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())
		w.Partition([]int{0}, []int{1})
		w.Sleep(time.Minute)
		require.Contains(t, g.deadAt, [2]int{0, 1}, "after a minute apart, n0 has not declared n1 dead")
		require.Contains(t, g.deadAt, [2]int{1, 0}, "after a minute apart, n1 has not declared n0 dead")
		w.Heal()
		bound := 4 * g.cfg.PushPullInterval
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, bound),
			"%v after the heal, the two members do not see each other (a member's only push-pull partner is the other):\n%s", bound, g.views())
	})
}

// TestUnbatchedMail3A: with BatchInterval zero ("send each value at once")
// and no anti-entropy, direct mail alone must carry every value down a
// line of five: each hop costs one network delay, no batching wait.
func TestUnbatchedMail3A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		w := t.NewWorld(labrpc.Config{Nodes: n})
		startBroadcast(w, n, Config{Topology: Line()})
		s := newSpread(w, n)
		bound := time.Duration(n) * w.Profile().MaxDelay // n-1 hops, and the client's request
		for v := 0; v < 10; v++ {
			s.send(v)
			require.True(t, w.NewClient().Call(v%n, "Broadcast.Broadcast", &BroadcastArgs{Value: v}, &BroadcastReply{}))
			s.ack(v, w.Now())
		}
		require.True(t, w.WaitUntil(s.everywhere, time.Millisecond, bound),
			"without batching (BatchInterval 0) and without anti-entropy, values must reach every node of a line of %d by direct mail within %v (a network delay per hop): %s", n, bound, s.missing())
	})
}

// TestPiggybackQueueLargeGroup3B: a member that joins a group of a
// thousand queues news about every other member at once, and each message
// takes eight. The queue must still hand out the updates sent fewest
// times, newest first among equals, and retire each at the limit, when it
// holds a thousand of them: the same rule as TestPiggybackQueueOrder3B's,
// on a queue deep enough that a mistake in how a heap finds a parent or a
// child changes the order.
func TestPiggybackQueueLargeGroup3B(t *testing.T) {
	type entry struct {
		u         Update
		transmits int
		seq       int
	}
	var q broadcastQueue
	var model []entry
	rng := rand.New(rand.NewPCG(11, 24))
	seq := 0
	add := func(u Update) {
		q.add(u)
		model = slices.DeleteFunc(model, func(e entry) bool { return e.u.Member == u.Member })
		seq++
		model = append(model, entry{u: u, seq: seq})
	}
	for m := 0; m < 1000; m++ { // the join: news of every member
		add(Update{Member: m, State: Alive, Incarnation: uint64(m)})
	}
	limit := 30
	for step := 0; step < 6000; step++ {
		if rng.IntN(3) == 0 {
			add(Update{Member: rng.IntN(1000), State: Suspect, Incarnation: uint64(1000 + step)})
			continue
		}
		if rng.IntN(200) == 0 && limit > 4 {
			limit-- // the group shrank
		}
		max := 1 + rng.IntN(8)
		slices.SortFunc(model, func(x, y entry) int { // fewest transmits, then newest
			return cmp.Or(cmp.Compare(x.transmits, y.transmits), cmp.Compare(y.seq, x.seq))
		})
		var want []Update
		for i := 0; i < len(model) && len(want) < max; i++ {
			want = append(want, model[i].u)
			model[i].transmits++
		}
		model = slices.DeleteFunc(model, func(e entry) bool { return e.transmits >= limit })
		got := q.take(max, limit)
		require.Equal(t, want, got, "take(%d, %d) at step %d, with %d updates queued", max, limit, step, len(model))
		require.Equal(t, len(model), q.Len(), "queue length after take(%d, %d) at step %d", max, limit, step)
	}
}

// TestConfirmationsFromOthersShortenSuspicion3C: under Lifeguard, news that
// other members suspect a member this one already suspects is what
// shortens its timer (§4.2): the suspicion starts at the maximum and comes
// down to the minimum once the SuspicionMult-2 confirmations expected are
// in. Member 0 hears n5 suspected by n1, then by n2, n3, n4 and n6, all at
// once: n5 must be declared dead at the minimum timeout, not the maximum.
func TestConfirmationsFromOthersShortenSuspicion3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, suspect = 8, 5
		w := t.NewWorld(labrpc.Config{Nodes: n})
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		g := newGroup(w, n, cfg)
		g.start(0)
		s := g.member(0)
		for id := 1; id < n; id++ {
			s.apply(Update{Member: id, State: Alive, Incarnation: 1, From: id})
		}
		min := suspicionTimeout(cfg.SuspicionMult, n, cfg.ProbeInterval)
		start := w.Now()
		for _, from := range []int{1, 2, 3, 4, 6} {
			s.apply(Update{Member: suspect, State: Suspect, Incarnation: 1, From: from})
		}
		w.Sleep(min + time.Millisecond)
		info, _ := s.Lookup(suspect)
		require.Equal(t, Dead, info.State,
			"n%d suspected by n1 and confirmed by n2, n3, n4 and n6 (the %d confirmations expected) at %v: by %v it must be dead, the minimum timeout (a member already suspected counts another member's suspicion as a confirmation, Lifeguard §4.2)",
			suspect, cfg.SuspicionMult-2, start, start+min)
	})
}

// TestSuspectedMemberLosesHealth3C: under Lifeguard, having to refute a
// suspicion of oneself is a sign of being the slow one (§4.1): the health
// score rises by one, and the member's probe interval stretches with it.
func TestSuspectedMemberLosesHealth3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		g := newGroup(w, 2, cfg)
		g.startAll()
		w.Sleep(3 * cfg.ProbeInterval) // both members probe each other, from the seed's staggered starts
		s := g.member(0)
		inc, health := s.Incarnation(), s.Health()
		s.apply(Update{Member: 0, State: Suspect, Incarnation: inc, From: 1})
		require.Equal(t, inc+1, s.Incarnation(), "n0 refutes the suspicion")
		require.Equal(t, health+1, s.Health(), "n0 was suspected and had to refute: under Lifeguard its health score rises by one (§4.1)")
	})
}

// TestNacksKeepProberHealthy3C: a member whose probe target has crashed
// asks helpers, which cannot reach the target either and say so in time
// (nacks). Every nack it expected came: the target is the problem, not the
// prober, whose health score must stay 0 (Lifeguard §4.1: a failed probe
// counts one for each missing nack).
func TestNacksKeepProberHealthy3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn := tests.NewHandNet(t, 5, t.Seed, func(env labrpc.Env) any {
			cfg := DefaultSwimConfig()
			cfg.Lifeguard = true
			if env.Me() != 0 {
				cfg.ProbeInterval, cfg.ProbeTimeout = time.Hour, time.Hour/2 // only member 0 probes
			}
			return MakeSwim(env, cfg)
		})
		sw := func(i int) *Swim { return hn.Nodes[i].(*Swim) }
		for step := 0; step < 3000 && len(sw(0).Members()) < 5; step++ {
			hn.Flush()
			hn.Advance(10 * time.Millisecond)
		}
		require.Len(t, sw(0).Members(), 5, "the group forms")
		hn.Flush()
		for sw(0).Health() > 0 { // acks on time bring the score back to 0
			target := nextProbe(t, hn)
			hn.Exchange(0, target, "Ping")
		}
		hn.Flush() // no ping of an earlier period left on the wire
		cfg := DefaultSwimConfig()

		target := nextProbe(t, hn) // the target has crashed: nothing reaches it
		hn.Lose(0, target, "Ping", false)
		hn.Advance(cfg.ProbeTimeout)
		asked := hn.Targets(0, "PingReq")
		require.NotEmpty(t, asked, "no ack: member 0 asks helpers")
		for _, h := range asked {
			hn.Exchange(0, h, "PingReq")
			hn.Lose(h, target, "Ping", false)
		}
		hn.Advance(cfg.ProbeInterval - cfg.ProbeTimeout - time.Millisecond) // the helpers' nack timers fire
		for _, h := range asked {
			hn.Exchange(h, 0, "IndirectAck")
		}
		hn.Advance(time.Millisecond) // the period ends
		require.Equal(t, 0, sw(0).Health(), "member 0's probe of n%d failed, but each of its %d helpers sent the nack it expected: the target is the problem, and member 0's health score must stay 0 (Lifeguard §4.1)", target, len(asked))
	})
}

// TestJoinRetriedUntilSeedAnswers3B: a member that starts while its seed is
// down gets no answer to its join. Nobody knows of it, so nobody will probe
// or sync with it: it must try the seed again (every probe interval) until
// one answers, and then join.
func TestJoinRetriedUntilSeedAnswers3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		g := newGroup(w, 2, DefaultSwimConfig())
		g.start(1) // its seed, n0, is not up yet
		w.Sleep(3 * time.Second)
		g.start(0)
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 10*time.Second),
			"10 s after the seed came up, n1 (whose first join got no answer) has not joined: retry the join until a seed answers:\n%s", g.views())
	})
}

// TestLifeguardGroupOfFiveDetection3C: the small-group rule of
// TestLifeguardSmallGroupDetection3C at its edge. In a group of
// SuspicionMult-1 = 5, only n-2 = 3 others can confirm a suspicion, one
// fewer than the SuspicionMult-2 = 4 Lifeguard would wait for: so it waits
// for none, and each member that suspects the crashed one declares it dead
// at most the minimum suspicion timeout later (waiting for 4 confirmations
// when 3 can come keeps it 4 s longer: max - (max-min)·log 4/log 5).
func TestLifeguardGroupOfFiveDetection3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		n, victim := cfg.SuspicionMult-1, 3
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, cfg)
		suspectedAt := map[int]time.Duration{} // member → when it first suspected the victim
		notify := g.cfg.Notify
		g.cfg.Notify = func(e Event) {
			if _, ok := suspectedAt[e.Node]; !ok && e.Member == victim && e.To == Suspect {
				suspectedAt[e.Node] = e.At
			}
			notify(e)
		}
		g.checkFalse = true
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())

		g.crash(victim)
		crashed := w.Now()
		T := cfg.ProbeInterval
		min := suspicionTimeout(cfg.SuspicionMult, n, T)
		bound := time.Duration(n-1)*T + T + min + 2*T
		ok := w.WaitUntil(func() bool { _, all := g.allDeclaredDead(victim, crashed); return all }, 10*time.Millisecond, bound)
		require.True(t, ok, "%v after n%d crashed in a group of %d, not everyone has declared it dead\n%s", bound, victim, n, g.views())
		for _, id := range g.live() {
			if at, ok := suspectedAt[id]; ok {
				dead := g.deadAt[[2]int{id, victim}]
				require.LessOrEqual(t, dead-at, min,
					"n%d suspected n%d at %v and declared it dead at %v: in a group of %d, %d others can confirm a suspicion, fewer than the %d Lifeguard would wait for, so the timeout must be the minimum, %v", id, victim, at, dead, n, n-2, cfg.SuspicionMult-2, min)
			}
		}
	})
}

// TestHealKillsNobodyOnItsOwnSide3B: after a partition, each side's tables
// hold the other side dead. When the halves meet again by push-pull, a
// member takes the other side's "dead" about a member of its own side as a
// suspicion, not a verdict (as memberlist does): the accused member, alive
// and reachable, refutes in time, and nobody declares a member of its own
// side dead.
func TestHealKillsNobodyOnItsOwnSide3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 10
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		side := func(id int) int { return id / 5 }
		var healed time.Duration
		var wrong []Event
		notify := g.cfg.Notify
		g.cfg.Notify = func(e Event) {
			if healed > 0 && e.To == Dead && side(e.Node) == side(e.Member) {
				wrong = append(wrong, e)
			}
			notify(e)
		}
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())
		w.Partition(seq(5), []int{5, 6, 7, 8, 9})
		w.Sleep(time.Minute)
		w.Heal()
		healed = w.Now()
		bound := 4 * g.cfg.PushPullInterval
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, bound), "%v after the heal, views differ:\n%s", bound, g.views())
		for _, e := range wrong {
			t.Errorf("n%d declared n%d dead at %v, %v after the heal, though both were on the same side of the partition and never lost touch: a remote table's \"dead\" must be merged as a suspicion, which the accused can refute", e.Node, e.Member, e.At, e.At-healed)
		}
	})
}
