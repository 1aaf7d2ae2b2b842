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

// Under loss and slowness but no crash: 10% of messages lost, and PCT
// holding a demoted member's messages 300 ms (Options.Long), so that its
// probes time out and it is suspected. Suspicion with refutation (SWIM §4.2)
// must keep every member alive: a member that is slow, not dead, refutes
// long before its suspicion times out.
func TestSearchNoFalseDeathUnderLoss3B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Long: 300 * time.Millisecond, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 8, Profile: lossyNet(0.10)})
		g := newGroup(w, 8, DefaultSwimConfig())
		g.checkFalse = true
		g.startAll()
		w.Sleep(30 * time.Second)
	})
}
