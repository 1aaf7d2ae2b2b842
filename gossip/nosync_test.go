package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// TestPeriodicSyncOff3B: PushPullInterval zero turns periodic push-pull off
// (a deployment that relies on gossip alone, as the SWIM paper does). The
// group must still form through the joins and detect a crash by probing
// and piggybacked news; a member that took zero as "sync continuously"
// would never let time move on.
func TestPeriodicSyncOff3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, victim = 5, 3
		// A budget of events far above this run's needs: a member that
		// syncs "every 0 s" spins at one instant, and the world stops it
		// with a clear error instead of hanging the test.
		w := t.NewWorld(labrpc.Config{Nodes: n, MaxEvents: 100_000})
		cfg := DefaultSwimConfig()
		cfg.PushPullInterval = 0
		g := newGroup(w, n, cfg)
		g.startAll()
		require.True(t, w.WaitUntil(g.converged, 100*time.Millisecond, 20*time.Second), "with periodic sync off, views differ:\n%s", g.views())
		g.crash(victim)
		crashed := w.Now()
		bound := detectionBound(cfg, n)
		ok := w.WaitUntil(func() bool { _, all := g.allDeclaredDead(victim, crashed); return all }, 10*time.Millisecond, bound)
		require.True(t, ok, "%v after n%d crashed, with periodic sync off, not everyone has declared it dead:\n%s", bound, victim, g.views())
	})
}
