package gossip

import (
	"testing"
	"time"

	"protolab/explore"
	"protolab/labrpc"
	"protolab/tests"
)

// A schedule search (docs/explore.md) for SWIM's accuracy: with no fault at
// all (no crash, no message lost or held past the profile's delays), no
// member may be declared dead. The search varies only the delays within the
// profile's range and the order of events due at once (Options.NoFaults),
// so it looks for a race in the protocol itself: a probe answered just too
// late, a refutation that loses to an older suspicion.
func TestSearchNoFalseDeath3B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, NoFaults: true, Runs: 30, Budget: 10 * time.Second}, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 5})
		g := newGroup(w, 5, DefaultSwimConfig())
		g.checkFalse = true
		g.startAll()
		w.Sleep(20 * time.Second)
	})
}
