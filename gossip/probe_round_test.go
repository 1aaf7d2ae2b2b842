package gossip

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/tests"
)

// TestProbeRoundsVisitEveryone3B: SWIM's time-bounded completeness (§4.3).
// A member probes the others round-robin over a random order that is
// reshuffled at the end of every pass, so each member is probed once a
// round: two probes of the same member are at most 2(n-1)-1 periods apart,
// and any 2(n-1)-1 consecutive probes reach every member. Member 0 of a
// steady group of five probes for 20 rounds on a tests.HandNet (every
// probe answered), and the test reads whom it probes, period after period.
// A pass that is not started afresh (the old order kept, the members
// appended again) probes some members several times a pass and leaves
// others waiting for many periods: a crash there is detected late, and the
// order grows without bound.
func TestProbeRoundsVisitEveryone3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, rounds = 5, 20
		hn, _ := newHandSwims(t, n)
		var targets []int
		for len(targets) < rounds*(n-1) {
			targets = append(targets, nextProbe(t, hn))
			hn.Flush() // the probe succeeds
		}
		window := 2*(n-1) - 1
		for i := 0; i+window <= len(targets); i++ {
			seen := map[int]bool{}
			for _, id := range targets[i : i+window] {
				seen[id] = true
			}
			for id := 1; id < n; id++ {
				require.True(t, seen[id],
					"n0 did not probe n%d in its probes %d..%d %v, %d in a row: in a group of %d every member is probed once a round of %d periods, so any %d consecutive probes reach everyone (SWIM §4.3: at the end of a pass, start a new one over a fresh, shuffled list of the members)\nall probes: %v",
					id, i, i+window-1, targets[i:i+window], window, n, n-1, window, fmt.Sprint(targets))
			}
		}
	})
}
