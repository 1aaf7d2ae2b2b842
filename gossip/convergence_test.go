package gossip

import (
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// TestAntiEntropyModesConverge3A: push alone and pull alone, with fan-out 1
// on 100 nodes of a reliable network, reach everyone in the rounds theory
// gives (Karp et al. 2000; Demers et al. 1987): push about log₂ n + ln n ≈
// 11, pull about log₂ n plus a few, as it gains speed once most nodes know
// the rumor. The median of 9 rumors must stay within a margin of that: 18
// and 13 rounds (over 30 seeds the medians were at most 16 and 11).
// TestAntiEntropyConvergence3A does the same for push-pull.
func TestAntiEntropyModesConverge3A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 100
		for _, tc := range []struct {
			mode  Mode
			bound int
		}{{Push, 18}, {Pull, 13}} {
			w := t.NewWorld(labrpc.Config{Nodes: n})
			rounds := convergence(w, n, tc.mode, reliableNet, 1, 9)
			require.NoError(t, w.Err(), "%v anti-entropy", tc.mode)
			median := rounds[len(rounds)/2]
			t.Logf("%v: rounds %v", tc.mode, rounds)
			require.LessOrEqual(t, median, tc.bound, "%v anti-entropy on %d nodes: median rounds to reach everyone over %d rumors %v", tc.mode, n, len(rounds), rounds)
		}
	})
}
