package chash

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// Part 2C: rendezvous (highest random weight) hashing.

func mustRendezvous(t testing.TB, names []string) Hasher {
	r, err := NewRendezvous(names...)
	require.NoError(t, err)
	return r
}

func TestRendezvousBalance2C(t *testing.T) {
	keys := testKeys(1_000_000)
	for _, n := range []int{7, 100} {
		checkBalance(t, mustRendezvous(t, memberNames(n)), keys, 0.015, 1.05)
	}
}

func TestRendezvousMoves2C(t *testing.T) {
	checkMoves(t, mustRendezvous, 50, 1.1, true)
}

func TestRendezvousWeights2C(t *testing.T) {
	// With −w/ln(u) each member's share is exactly w/Σw in expectation.
	weights := map[string]float64{"a": 1, "b": 2, "c": 3, "d": 4, "e": 0.5}
	r, err := NewRendezvousWeighted(weights)
	require.NoError(t, err)
	keys := testKeys(500_000)
	load := map[string]int{}
	for _, k := range keys {
		load[r.LookupHash(k)]++
	}
	for name, w := range weights {
		share := float64(load[name]) / float64(len(keys))
		require.InEpsilon(t, w/10.5, share, 0.03, "member %q of weight %v: share %.4f, want %.4f", name, w, share, w/10.5)
	}

	// Raising one weight moves keys only to that member.
	before := assign(keys, r.LookupHash)
	weights["a"] = 2
	r2, err := NewRendezvousWeighted(weights)
	require.NoError(t, err)
	require.True(t, movementTo(before, assign(keys, r2.LookupHash), "a").onlyThatMember,
		"a member that gains weight takes keys from others; no one else should")

	_, err = NewRendezvousWeighted(map[string]float64{"x": 0})
	require.Error(t, err)
	_, err = NewRendezvousWeighted(map[string]float64{"x": math.Inf(1)})
	require.Error(t, err)
	_, err = NewRendezvous("x", "x")
	require.Error(t, err)
}
