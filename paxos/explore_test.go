package paxos

import (
	"testing"
	"time"

	"protolab/explore"
	"protolab/tests"
)

// Schedule searches (docs/explore.md) for agreement: at most one value is
// decided per instance, and only a proposed one (the synods' check, after
// every event). Every peer proposes its own value for the same instances
// at once, so the proposers duel and the network's choices decide who wins.

func TestSearchAgreement5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 60, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newSynods(t, 3, reliable)
		for seq := 0; seq < 3; seq++ {
			for i := 0; i < 3; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		t.World().Sleep(time.Second)
	})
}

// With a crash and a restart in the middle of the duel: what an acceptor
// promised and accepted must survive it.
func TestSearchAgreementRestart5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 60, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newSynods(t, 3, reliable)
		for i := 0; i < 3; i++ {
			c.start(i, 0, 10+i)
		}
		w := t.World()
		w.Sleep(3 * time.Millisecond)
		w.Crash(1)
		w.Sleep(20 * time.Millisecond)
		w.Restart(1)
		c.start(1, 0, 99)
		w.Sleep(time.Second)
	})
}
