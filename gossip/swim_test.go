package gossip

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Part 3B: SWIM membership and failure detection. Run with:
// go test ./gossip -run 3B

func TestRetransmitLimit3B(t *testing.T) {
	for _, tc := range []struct{ mult, n, want int }{
		{4, 1, 4},     // ⌈log₁₀ 2⌉ = 1
		{4, 8, 4},     // ⌈log₁₀ 9⌉ = 1
		{4, 9, 4},     // ⌈log₁₀ 10⌉ = 1 exactly
		{4, 10, 8},    // ⌈log₁₀ 11⌉ = 2
		{4, 32, 8},    //
		{4, 99, 8},    // ⌈log₁₀ 100⌉ = 2 exactly
		{4, 100, 12},  // ⌈log₁₀ 101⌉ = 3
		{3, 128, 9},   // λ = 3
		{4, 1000, 16}, // ⌈log₁₀ 1001⌉ = 4
	} {
		require.Equal(t, tc.want, retransmitLimit(tc.mult, tc.n), "retransmitLimit(λ=%d, n=%d) = λ·⌈log₁₀(n+1)⌉", tc.mult, tc.n)
	}
}

func TestSuspicionTimeout3B(t *testing.T) {
	s := time.Second
	for _, tc := range []struct {
		mult, n int
		want    time.Duration
	}{
		{4, 1, 4 * s},                         // log₁₀ 1 = 0, but at least 1
		{4, 8, 4 * s},                         // log₁₀ 8 < 1: at least 1
		{4, 10, 4 * s},                        // log₁₀ 10 = 1
		{4, 32, 6020599913 * time.Nanosecond}, // 4·1.50515
		{4, 100, 8 * s},                       // log₁₀ 100 = 2
		{5, 1000, 15 * s},                     // 5·3
	} {
		got := suspicionTimeout(tc.mult, tc.n, time.Second)
		require.InDelta(t, float64(tc.want), float64(got), float64(time.Millisecond),
			"suspicionTimeout(mult=%d, n=%d, 1s) = mult·max(1, log₁₀ n)·T': got %v", tc.mult, tc.n, got)
	}
}

func TestPiggybackQueue3B(t *testing.T) {
	var q broadcastQueue
	q.add(Update{Member: 1, State: Alive})
	q.add(Update{Member: 2, State: Alive})
	q.add(Update{Member: 3, State: Alive})
	got := q.take(2, 3)
	require.Equal(t, []int{3, 2}, members(got), "newest first among updates sent equally often")
	got = q.take(2, 3)
	require.Equal(t, []int{1, 3}, members(got), "then the one sent fewest times")
	q.add(Update{Member: 2, State: Suspect, Incarnation: 1})
	require.Equal(t, 3, q.Len(), "news about member 2 replaces the old, not added beside it")
	got = q.take(1, 3)
	require.Equal(t, []Update{{Member: 2, State: Suspect, Incarnation: 1}}, got, "the fresh suspicion goes first")
	for i := 0; i < 10; i++ {
		q.take(8, 3)
	}
	require.Zero(t, q.Len(), "every update leaves the queue after its retransmit limit")
	require.Empty(t, q.take(8, 3))
}

func members(us []Update) []int {
	var ids []int
	for _, u := range us {
		ids = append(ids, u.Member)
	}
	return ids
}

// TestMergeRules3B feeds news to one member and checks how its table
// changes: the override rules of SWIM §4.2.
//
// The news is applied by hand at time 0 and nothing else happens, so this
// is a table test, not a simulation: it needs no seed.
func TestMergeRules3B(t *testing.T) {
	{
		w := labrpc.NewWorld(labrpc.Config{Nodes: 4})
		defer w.Close()
		g := newGroup(w, 4, DefaultSwimConfig())
		g.start(0) // n0 alone: the seed, with nobody to join
		s := g.member(0)
		state := func(id int) MemberInfo { m, _ := s.Lookup(id); return m }
		step := func(u Update, want MemberInfo, why string) {
			s.apply(u)
			require.Equal(t, want, state(u.Member), "after %v of n%d at incarnation %d from n%d: %s", u.State, u.Member, u.Incarnation, u.From, why)
		}
		step(Update{Member: 1, State: Alive, Incarnation: 2, From: 2}, MemberInfo{1, Alive, 2}, "a new member joins")
		step(Update{Member: 1, State: Alive, Incarnation: 1, From: 2}, MemberInfo{1, Alive, 2}, "older alive is ignored")
		step(Update{Member: 1, State: Suspect, Incarnation: 1, From: 2}, MemberInfo{1, Alive, 2}, "older suspicion is ignored")
		step(Update{Member: 1, State: Suspect, Incarnation: 2, From: 2}, MemberInfo{1, Suspect, 2}, "Suspect(i) overrides Alive(i)")
		step(Update{Member: 1, State: Alive, Incarnation: 2, From: 3}, MemberInfo{1, Suspect, 2}, "Alive(i) does not override Suspect(i): only a refutation does")
		step(Update{Member: 1, State: Alive, Incarnation: 3, From: 1}, MemberInfo{1, Alive, 3}, "the refutation, Alive(i+1), overrides Suspect(i)")
		step(Update{Member: 1, State: Dead, Incarnation: 2, From: 2}, MemberInfo{1, Alive, 3}, "an older verdict is ignored")
		step(Update{Member: 1, State: Dead, Incarnation: 3, From: 2}, MemberInfo{1, Dead, 3}, "Dead(i) overrides Alive(i)")
		step(Update{Member: 1, State: Alive, Incarnation: 3, From: 2}, MemberInfo{1, Dead, 3}, "a dead member does not come back at the same incarnation")
		step(Update{Member: 1, State: Suspect, Incarnation: 4, From: 2}, MemberInfo{1, Dead, 3}, "a dead member cannot be suspected")
		step(Update{Member: 1, State: Alive, Incarnation: 4, From: 1}, MemberInfo{1, Alive, 4}, "it rejoins with a higher incarnation")
		step(Update{Member: 2, State: Alive, Incarnation: 0, From: 2}, MemberInfo{2, Alive, 0}, "another joins")
		step(Update{Member: 2, State: Left, Incarnation: 1, From: 2}, MemberInfo{2, Left, 1}, "and leaves")
		require.Equal(t, []int{0, 1}, s.Members(), "members: alive and suspect, not dead or left")

		// News about n0 itself.
		s.apply(Update{Member: 0, State: Suspect, Incarnation: 0, From: 1})
		require.Equal(t, uint64(1), s.Incarnation(), "suspected at incarnation 0, n0 refutes with 1")
		require.Equal(t, MemberInfo{0, Alive, 1}, state(0))
		s.apply(Update{Member: 0, State: Dead, Incarnation: 5, From: 1})
		require.Equal(t, uint64(6), s.Incarnation(), "declared dead at 5, n0 refutes with 6")
		s.apply(Update{Member: 0, State: Suspect, Incarnation: 2, From: 1})
		require.Equal(t, uint64(6), s.Incarnation(), "an old suspicion needs no refutation")
		require.Equal(t, Update{Member: 0, State: Alive, Incarnation: 6, From: 0}, s.queue.take(1, 100)[0], "the refutation is queued first")
	}
}

// TestJoinThroughSeed3B: sixteen members start one after another and join
// through n0; within 15 s of the last join, everyone knows everyone.
func TestJoinThroughSeed3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 16
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.checkFalse = true
		for id := 0; id < n; id++ {
			g.start(id)
			w.Sleep(time.Duration(w.Rand().IntN(500)) * time.Millisecond)
		}
		ok := w.WaitUntil(g.converged, 100*time.Millisecond, 15*time.Second)
		require.True(t, ok, "15 s after the last join, views differ:\n%s", g.views())
		for id := 1; id < n; id++ {
			require.True(t, g.member(id).joined, "n%d never joined", id)
		}
	})
}

// TestCrashDetected3B: a crashed member is suspected, then declared dead by
// every other member within detectionBound, and nobody else is.
func TestCrashDetected3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, victim = 16, 5
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.checkFalse = true
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "no full view to start from:\n%s", g.views())

		g.crash(victim)
		crashed := w.Now()
		bound := detectionBound(g.cfg, n)
		ok := w.WaitUntil(func() bool { _, all := g.allDeclaredDead(victim, crashed); return all }, 10*time.Millisecond, bound)
		require.True(t, ok, "%v after n%d crashed (the bound: first probe, one period, the suspicion timeout, dissemination), not everyone has declared it dead:\n%s", bound, victim, g.views())
		last, _ := g.allDeclaredDead(victim, crashed)
		w.Note("n%d declared dead by all %v after its crash (bound %v)", victim, last-crashed, bound)
		require.Positive(t, g.suspected[victim], "n%d was declared dead without being suspected first (SWIM §4.2)", victim)
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 5*time.Second), "views differ:\n%s", g.views())
	})
}

// TestNoFalseDeathsUnderLoss3B: 32 members, 10% of all messages lost, 10
// virtual minutes: members are suspected now and then, and must always
// refute in time. A declared death of a running member fails at once.
func TestNoFalseDeathsUnderLoss3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 32
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.checkFalse = true
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 30*time.Second), "views differ:\n%s", g.views())
		w.SetProfile(lossyNet(0.10))
		w.Sleep(10 * time.Minute)
		suspicions, refutations := 0, 0
		for id := 0; id < n; id++ {
			suspicions += g.suspected[id]
			refutations += g.refuted[id]
		}
		w.Note("10 minutes at 10%% loss: %d suspicions, %d refutations, no deaths", suspicions, refutations)
		require.Positive(t, suspicions, "nobody was ever suspected: the loss did not reach the detector, so this test proves nothing")
		require.Positive(t, refutations, "suspected members never refuted")
		w.SetProfile(labrpc.MustProfile("reliable"))
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 30*time.Second), "views differ after the loss stopped:\n%s", g.views())
	})
}

// TestSuspectRefutes3B: one member starts to suspect another that is
// alive (as if its probe had failed); the news spreads, the suspect hears
// it, refutes with a higher incarnation, and nobody declares it dead.
func TestSuspectRefutes3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, accuser, victim = 8, 1, 3
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.checkFalse = true
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())

		w.Note("n%d suspects n%d", accuser, victim)
		g.member(accuser).suspectNode(Update{Member: victim, State: Suspect, Incarnation: 0, From: accuser})
		require.Equal(t, 1, g.suspected[victim])

		timeout := suspicionTimeout(g.cfg.SuspicionMult, n, g.cfg.ProbeInterval)
		ok := w.WaitUntil(func() bool {
			for _, id := range g.live() {
				if m, _ := g.member(id).Lookup(victim); m.State != Alive || m.Incarnation == 0 {
					return false
				}
			}
			return true
		}, 10*time.Millisecond, timeout)
		require.True(t, ok, "within the suspicion timeout (%v), not every member sees n%d alive at a new incarnation (it has %d):\n%s", timeout, victim, g.member(victim).Incarnation(), g.views())
		require.Equal(t, 1, g.refuted[victim], "n%d refutes once", victim)
		w.Sleep(2 * timeout) // and no timer fires late
	})
}

// TestPartitionHeals3B: two halves cut apart for a minute declare each
// other dead; after the heal, periodic push-pull (which may pick a member
// believed dead) brings them back together within four push-pull
// intervals.
func TestPartitionHeals3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 10
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())

		left, right := seq(5), []int{5, 6, 7, 8, 9}
		w.Partition(left, right)
		w.Sleep(time.Minute)
		for _, a := range left {
			for _, b := range right {
				require.Contains(t, g.deadAt, [2]int{a, b}, "after a minute apart, n%d has not declared n%d dead", a, b)
			}
		}
		w.Heal()
		bound := 4 * g.cfg.PushPullInterval
		ok := w.WaitUntil(g.converged, 100*time.Millisecond, bound)
		require.True(t, ok, "%v after the heal, views differ:\n%s", bound, g.views())
	})
}

// TestChurn3B: for two minutes members join, leave (announcing it), crash
// and restart (rejoining with a higher incarnation); once it stops, every
// live member's view must be exactly the live members, those who left must
// be seen as left, and those who crashed as dead.
func TestChurn3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 14
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.start(seq(8)...)
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())

		rng := w.Rand()
		gone := map[int]State{} // node → how it went (Left or Dead), while down
		for step := 0; step < 24; step++ {
			w.Sleep(time.Duration(2000+rng.IntN(4000)) * time.Millisecond)
			id := 1 + rng.IntN(n-1) // n0, the seed, stays
			switch s := g.member(id); {
			case s == nil:
				w.Note("churn: n%d (re)joins", id)
				delete(gone, id)
				g.start(id)
			case rng.IntN(2) == 0:
				w.Note("churn: n%d leaves", id)
				s.Leave()
				gone[id] = Left
				w.Sleep(3 * time.Second) // let the news go out on its messages
				g.crash(id)
			default:
				w.Note("churn: n%d crashes", id)
				gone[id] = Dead
				g.crash(id)
			}
		}
		w.Note("churn over")
		bound := detectionBound(g.cfg, n) + 2*g.cfg.PushPullInterval
		ok := w.WaitUntil(g.converged, 100*time.Millisecond, bound)
		require.True(t, ok, "%v after the churn stopped, views differ:\n%s", bound, g.views())
		for _, id := range g.live() {
			for _, down := range slices.Sorted(mapKeys(gone)) {
				m, known := g.member(id).Lookup(down)
				if known {
					require.Equal(t, gone[down], m.State, "n%d's view of n%d, which went away as %v", id, down, gone[down])
				}
			}
		}
	})
}

// TestRejoinLeavesAgain3B: a member that leaves, rejoins, crashes, rejoins
// and leaves again is seen as Left by everyone. Its first rejoin had to
// refute "left" with a higher incarnation; its second life starts again at
// 0 and must take that number back from the group (aliveNode), or its
// second Left carries an incarnation everyone has already passed, is
// ignored as old news, and the member ends up suspected and declared dead
// instead (the failure seed 215 of TestChurn3B found).
func TestRejoinLeavesAgain3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, victim = 5, 3
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, DefaultSwimConfig())
		g.startAll()
		settle := func(what string) {
			t.Helper()
			require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "%s: views differ:\n%s", what, g.views())
		}
		settle("at the start")
		leave := func() {
			g.member(victim).Leave()
			w.Sleep(3 * time.Second) // let the news go out on its messages
			g.crash(victim)
		}
		leave()
		settle("after the first leave")
		g.start(victim) // refutes "left" with a higher incarnation
		settle("after the first rejoin")
		g.crash(victim)
		g.start(victim) // a new life at incarnation 0
		settle("after the second rejoin")
		leave()
		settle("after the second leave")
		for _, id := range g.live() {
			m, known := g.member(id).Lookup(victim)
			require.True(t, known, "n%d has forgotten n%d", id, victim)
			require.Equal(t, Left, m.State, "n%d's view of n%d, which left (incarnation %d)", id, victim, m.Incarnation)
		}
	})
}

// TestSwimDeterministic3B: the same seed gives the same run under loss and
// a crash (tests.RunTwice).
func TestSwimDeterministic3B(t *testing.T) {
	tests.RunTwice(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 8, Profile: lossyNet(0.1)})
		g := newGroup(w, 8, DefaultSwimConfig())
		g.startAll()
		w.Sleep(10 * time.Second)
		g.crash(4)
		w.Sleep(20 * time.Second)
	})
}
