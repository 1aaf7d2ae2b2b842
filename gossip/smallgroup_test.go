package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// TestLifeguardSmallGroupDetection3C: detection time in a group of four,
// under Lifeguard. A member's suspicion there can be confirmed by at most
// n-2 = 2 others (everyone but itself and the suspect), fewer than the
// SuspicionMult-2 = 4 confirmations that bring the timeout down from its
// maximum. So Lifeguard expects none in a group that small (memberlist does
// the same), and a crash is detected as fast as plain SWIM detects it: the
// victim's first probe within n-1 periods, one more for the probe to fail,
// the minimum suspicion timeout, and two periods to tell everyone (12 s; 50
// seeds took at most 10 s). Waiting for confirmations that cannot come
// leaves a crashed member in the group for most of the maximum timeout,
// 2.5 times as long.
func TestLifeguardSmallGroupDetection3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, victim = 4, 2
		w := t.NewWorld(labrpc.Config{Nodes: n})
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		g := newGroup(w, n, cfg)
		g.checkFalse = true
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "views differ:\n%s", g.views())

		g.crash(victim)
		crashed := w.Now()
		T := cfg.ProbeInterval
		bound := time.Duration(n-1)*T + T + suspicionTimeout(cfg.SuspicionMult, n, T) + 2*T
		ok := w.WaitUntil(func() bool { _, all := g.allDeclaredDead(victim, crashed); return all }, 10*time.Millisecond, bound)
		require.True(t, ok, "%v after n%d crashed in a group of %d, not everyone has declared it dead: does the suspicion wait for more confirmations than the group can give?\n%s", bound, victim, n, g.views())
		last, _ := g.allDeclaredDead(victim, crashed)
		t.Logf("n%d declared dead by all %v after its crash (bound %v)", victim, last-crashed, bound)
	})
}

// TestLifeguardExpectsConfirmationsWhenTheGroupCanGiveThem3C: the other
// side of the small-group rule above. In a group of exactly SuspicionMult
// members, n-2 = SuspicionMult-2 others (everyone but the accused and the
// member itself) can confirm a suspicion: exactly as many as Lifeguard
// expects. So the suspicion still starts at the maximum and waits for
// them; treating this group as too small makes a lone accuser's
// suspicion, which may be its own slowness, final after the minimum.
func TestLifeguardExpectsConfirmationsWhenTheGroupCanGiveThem3C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		cfg := DefaultSwimConfig()
		cfg.Lifeguard = true
		n := cfg.SuspicionMult
		w := t.NewWorld(labrpc.Config{Nodes: n})
		g := newGroup(w, n, cfg)
		g.start(0)
		s := g.member(0)
		for id := 1; id < n; id++ {
			s.apply(Update{Member: id, State: Alive, Incarnation: 1, From: id})
		}
		min := suspicionTimeout(cfg.SuspicionMult, n, cfg.ProbeInterval)
		s.apply(Update{Member: n - 1, State: Suspect, Incarnation: 1, From: 1})
		sus := s.suspicions[n-1]
		require.NotNil(t, sus, "suspecting n%d starts a timer", n-1)
		require.Equal(t, cfg.SuspicionMult-2, sus.k,
			"in a group of %d, %d members can confirm a suspicion, as many as Lifeguard expects (SuspicionMult-2): the group is not too small (only n-2 < SuspicionMult-2 is)", n, n-2)
		require.Equal(t, time.Duration(cfg.SuspicionMaxTimeoutMult)*min, sus.max, "the suspicion starts at the maximum")
		w.Sleep(min + cfg.ProbeInterval)
		info, _ := s.Lookup(n - 1)
		require.Equal(t, Suspect, info.State,
			"%v after n1's lone accusation (n0's own failed probe is at most one more confirmation), n0 holds n%d %v: a suspicion waiting for %d confirmations cannot be over after the minimum timeout, %v", min+cfg.ProbeInterval, n-1, info.State, n-2, min)
	})
}
