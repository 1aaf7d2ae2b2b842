package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Part 3C: Lifeguard. Run with: go test ./gossip -run 3C

func TestAwarenessScore3C(t *testing.T) {
	a := awareness{max: 8}
	for _, tc := range []struct{ delta, want int }{
		{-1, 0}, // never below zero
		{1, 1},
		{3, 4},
		{10, 7}, // at most max-1
		{1, 7},
		{-2, 5},
		{-9, 0},
	} {
		before := a.score
		a.apply(tc.delta)
		require.Equal(t, tc.want, a.score, "score %d %+d with max %d: kept in [0, max-1]", before, tc.delta, a.max)
	}
	a.score = 3
	require.Equal(t, 4*time.Second, a.scale(time.Second), "score 3 stretches timeouts 4 times")
	a.score = 0
	require.Equal(t, 500*time.Millisecond, a.scale(500*time.Millisecond), "a healthy member keeps its timeouts")
}

func TestProbeHealthDelta3C(t *testing.T) {
	for _, tc := range []struct {
		p    probeRun
		want int
		why  string
	}{
		{probeRun{acked: true, direct: true}, -1, "a direct ack on time: healthy"},
		{probeRun{acked: true, helpers: 3}, 0, "an indirect ack: no news about us"},
		{probeRun{helpers: 3, nacks: 3}, 0, "all helpers nacked: the target is the problem, not us"},
		{probeRun{helpers: 3, nacks: 1}, 2, "two nacks missing: we may be the slow one"},
		{probeRun{helpers: 3}, 3, "no nack at all"},
		{probeRun{}, 1, "no ack and nobody to ask"},
	} {
		require.Equal(t, tc.want, probeHealthDelta(&tc.p), "%+v: %s", tc.p, tc.why)
	}
}

func TestRemainingSuspicionTime3C(t *testing.T) {
	s := time.Second
	min, max := 6*s, 36*s
	for _, tc := range []struct {
		n, k    int
		elapsed time.Duration
		want    time.Duration
		why     string
	}{
		{0, 0, 0, min, "nothing to wait for: the minimum"},
		{0, 0, 2 * s, 4 * s, "minus what has elapsed"},
		{0, 0, 7 * s, 0, "never below zero"},
		{0, 1, 0, max, "one confirmation expected (SuspicionMult 3), none in: the maximum"},
		{1, 1, 0, min, "the one confirmation expected is in: the minimum"},
		{0, 2, 0, max, "no confirmation yet: the maximum"},
		{1, 2, 0, 17072 * time.Millisecond, "one of two: 36 - 30·log 2/log 3"},
		{2, 2, 0, min, "all confirmations in: the minimum"},
		{3, 2, 0, min, "never below the minimum"},
		{1, 2, 10 * s, 7072 * time.Millisecond, "one of two, 10 s in"},
		{1, 3, 0, 21 * s, "one of three: 36 - 30·log 2/log 4 = 21"},
	} {
		require.Equal(t, tc.want, remainingSuspicionTime(tc.n, tc.k, tc.elapsed, min, max),
			"remainingSuspicionTime(n=%d, k=%d, elapsed=%v, %v, %v): %s", tc.n, tc.k, tc.elapsed, min, max, tc.why)
	}
}

// TestConfirmationsShortenSuspicion3C: under Lifeguard a suspicion starts
// at the maximum timeout and expects SuspicionMult-2 confirmations; each
// independent confirmation shortens it, and repeated ones from the same
// member do not.
func TestConfirmationsShortenSuspicion3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 8
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
		max := time.Duration(cfg.SuspicionMaxTimeoutMult) * min

		s.apply(Update{Member: 5, State: Suspect, Incarnation: 1, From: 1})
		sus := s.suspicions[5]
		require.NotNil(t, sus, "suspecting n5 starts a timer")
		require.Equal(t, cfg.SuspicionMult-2, sus.k, "a suspicion expects SuspicionMult-2 confirmations")
		require.Equal(t, max, sus.max, "and may last SuspicionMaxTimeoutMult times the minimum")

		// The mechanism alone, on a timer of its own (no probe of n0's
		// can confirm it, unlike the live one above).
		var fired time.Duration
		start := w.Now()
		lone := &suspicion{env: s.env, k: 2, min: min, max: max, start: start, confirmers: []int{1}}
		lone.expire = func() { fired = w.Now() }
		lone.cancel = s.env.After(remainingSuspicionTime(0, lone.k, 0, min, max), lone.expire)
		require.False(t, lone.confirm(1), "the accuser again is no confirmation")
		require.True(t, lone.confirm(2), "another member's suspicion is")
		w.Sleep(min / 2)
		require.False(t, lone.confirm(2), "the same confirmer twice counts once")
		require.True(t, lone.confirm(3), "a second confirmer")
		require.False(t, lone.confirm(4), "k confirmations are all it waits for")
		w.Sleep(max)
		require.Equal(t, start+min, fired, "with k = 2 confirmations in, the timeout is the minimum, %v", min)
	})
}

// slowMember is the nemesis of 3C: every message to member id (requests
// and the replies to its own calls) is held back by a delay in [lo, hi],
// so its handlers and callbacks run late, as on a member starved of CPU.
// Its timers still fire on time: it keeps probing, and keeps timing out.
func slowMember(w *labrpc.World, n, id int, lo, hi time.Duration) {
	w.Note("nemesis: n%d is slow: everything it receives is %v..%v late", id, lo, hi)
	for from := 0; from < n; from++ {
		if from != id {
			w.SetLinkDelay(from, id, lo, hi)
		}
	}
}

// slowMemberRun runs 32 members for 10 minutes with one slow member and
// returns the false declarations of death of the healthy ones, and of the
// slow one.
func slowMemberRun(w *labrpc.World, cfg SwimConfig) (healthy, slow int, g *group) {
	const n, victim = 32, 7
	g = newGroup(w, n, cfg)
	g.exempt[victim] = true
	g.startAll()
	w.Sleep(30 * time.Second)
	slowMember(w, n, victim, slowLo, slowHi)
	w.Sleep(10 * time.Minute)
	for _, e := range g.falseDeaths {
		if e.Member != victim {
			healthy++
		}
	}
	for id := 0; id < n; id++ {
		if _, ok := g.deadAt[[2]int{id, victim}]; ok {
			slow++
		}
	}
	return healthy, slow, g
}

// The slow member's lateness.
const (
	slowLo = 5 * time.Second
	slowHi = 15 * time.Second
)

// TestLifeguardCutsFalseDeaths3C: with one slow member among 32 for ten
// minutes, plain SWIM declares healthy members dead over and over (the
// slow member's own probes time out, and it is too slow to hear the
// refutations before its suspicion timers fire). Lifeguard must cut those
// false declarations at least tenfold.
func TestLifeguardCutsFalseDeaths3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		plain, lifeguard := DefaultSwimConfig(), DefaultSwimConfig()
		lifeguard.Lifeguard = true
		plainFalse, plainSlow, _ := slowMemberRun(t.NewWorld(labrpc.Config{Nodes: 32}), plain)
		lgFalse, lgSlow, g := slowMemberRun(t.NewWorld(labrpc.Config{Nodes: 32}), lifeguard)
		t.Logf("10 min, 1 slow member of 32: false declarations of healthy members: SWIM %d, Lifeguard %d; of the slow member: SWIM %d, Lifeguard %d",
			plainFalse, lgFalse, plainSlow, lgSlow)
		require.GreaterOrEqual(t, plainFalse, 10, "plain SWIM made too few false declarations for the comparison to mean anything")
		require.LessOrEqual(t, 10*lgFalse, plainFalse, "Lifeguard must cut the false declarations of healthy members at least tenfold (SWIM %d, Lifeguard %d)", plainFalse, lgFalse)
		require.Greater(t, g.member(7).Health(), 0, "under Lifeguard the slow member knows it is unhealthy")
	})
}

// TestHealthRecovers3C: the slow member's health score rises while it is
// slow and comes back to zero once it is not; healthy members stay healthy.
func TestHealthRecovers3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, victim = 12, 4
		w := t.NewWorld(labrpc.Config{Nodes: n})
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		g := newGroup(w, n, cfg)
		g.exempt[victim] = true
		g.startAll()
		w.Sleep(20 * time.Second)
		slowMember(w, n, victim, slowLo, slowHi)
		// Sample every member's score while the victim is slow. A healthy
		// member may be marked down now and then (a ping-req through the slow
		// member misses its nack, §IV.A of the Lifeguard paper), but on
		// average the healthy stay near 0 while the slow one climbs.
		peak, samples, healthySum := 0, 0, 0
		w.WaitUntil(func() bool {
			peak = max(peak, g.member(victim).Health())
			for id := 0; id < n; id++ {
				if id != victim {
					healthySum += g.member(id).Health()
				}
			}
			samples++
			return false
		}, 100*time.Millisecond, 2*time.Minute)
		require.GreaterOrEqual(t, peak, cfg.AwarenessMax/2, "the slow member's health score peaked at %d", peak)
		healthyMean := float64(healthySum) / float64(samples*(n-1))
		require.LessOrEqual(t, healthyMean, 0.5, "the healthy members' mean health score while n%d was slow", victim)
		for from := 0; from < n; from++ {
			if from != victim {
				w.SetLinkDelay(from, victim, time.Millisecond, 5*time.Millisecond)
			}
		}
		w.Note("n%d is fast again", victim)
		ok := w.WaitUntil(func() bool { return g.member(victim).Health() == 0 }, 100*time.Millisecond, 2*time.Minute)
		require.True(t, ok, "two minutes after it is fast again, n%d's health score is %d, not 0", victim, g.member(victim).Health())
	})
}

// TestLifeguardDetectsCrash3C: Lifeguard does not make a crash undetected:
// enough members suspect the crashed one to bring its timeout down, and
// every member declares it dead within the plain bound plus the
// difference between the maximum and minimum timeouts.
func TestLifeguardDetectsCrash3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, victim = 16, 9
		w := t.NewWorld(labrpc.Config{Nodes: n})
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		g := newGroup(w, n, cfg)
		g.checkFalse = true
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())
		g.crash(victim)
		crashed := w.Now()
		min := suspicionTimeout(cfg.SuspicionMult, n, cfg.ProbeInterval)
		bound := detectionBound(cfg, n) + time.Duration(cfg.SuspicionMaxTimeoutMult-1)*min
		ok := w.WaitUntil(func() bool { _, all := g.allDeclaredDead(victim, crashed); return all }, 10*time.Millisecond, bound)
		require.True(t, ok, "%v after n%d crashed, not everyone has declared it dead:\n%s", bound, victim, g.views())
		last, _ := g.allDeclaredDead(victim, crashed)
		t.Logf("declared dead by all %v after the crash", last-crashed)
	})
}

// TestOneConfirmationTakesItsShare3C: Lifeguard §4.2 counts the
// confirmations that come after the first suspicion; the first accuser's
// own suspicion is not one. With k = 2 expected and exactly one other
// member's suspicion in, the timeout is max - (max-min)·log 2/log 3, about
// 43% of the way from the maximum to the minimum, not the minimum: a suspect
// that one slow accuser and one other member cannot reach gets the time to
// refute that two independent confirmations would take from it.
func TestOneConfirmationTakesItsShare3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 8
		w := t.NewWorld(labrpc.Config{Nodes: n})
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		g := newGroup(w, n, cfg)
		g.start(0)
		s := g.member(0)
		min := suspicionTimeout(cfg.SuspicionMult, n, cfg.ProbeInterval)
		max := time.Duration(cfg.SuspicionMaxTimeoutMult) * min

		var fired time.Duration
		start := w.Now()
		sus := &suspicion{env: s.env, k: 2, min: min, max: max, start: start, confirmers: []int{1}}
		recordFiring := func() { fired = w.Now() }
		sus.expire = recordFiring
		first := remainingSuspicionTime(0, sus.k, 0, min, max) // no confirmation yet
		sus.cancel = s.env.After(first, sus.expire)
		w.Sleep(min / 3)
		require.True(t, sus.confirm(2), "another member's suspicion is a confirmation")
		w.Sleep(max)
		want := start + remainingSuspicionTime(1, 2, 0, min, max)
		require.Equal(t, want, fired,
			"accused by n1 and confirmed by n2 alone, of k = 2 expected, the suspicion must time out after max - (max-min)·log 2/log 3 = %v (min %v, max %v): count the confirmations after the first accuser, not the accuser too",
			want-start, min, max)
	})
}
