package chash

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
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

// The members keep the order they are given in, which cannot change a
// lookup: equal scores need equal seeds. Shuffled lists give the same
// member for every key; a name listed twice is refused in short and long
// lists; and two names whose seeds collide (a hash made to collide here)
// are put in name order, so the smaller takes the keys they tie on, as the
// naive version does.
func TestRendezvousOrderAndCollisions2C(t *testing.T) {
	names := memberNames(40)
	sorted, err := NewRendezvous(names...)
	require.NoError(t, err)
	shuffled := slices.Clone(names)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	other, err := NewRendezvous(shuffled...)
	require.NoError(t, err)
	require.Equal(t, sorted.Members(), other.Members(), "Members is sorted whatever the order given")
	for i := range 20000 {
		key := "key-" + strconv.Itoa(i)
		require.Equal(t, sorted.Lookup(key), other.Lookup(key), "key %q: the order of the member list changed its owner", key)
	}

	for _, list := range [][]string{{"x", "y", "x"}, append(slices.Clone(names), names[7])} {
		_, err := NewRendezvous(list...)
		require.ErrorContains(t, err, "is listed twice", "%d names", len(list))
	}

	collide := func(n string) uint64 {
		if n == "b" {
			n = "a" // b scores every key exactly as a does
		}
		return HashKey(n)
	}
	r, err := newRendezvous([]string{"c", "b", "a", "d"}, collide)
	require.NoError(t, err)
	for i := range 2000 {
		got := r.Lookup("key-" + strconv.Itoa(i))
		require.NotEqual(t, "b", got, "b ties with a on every key, and a is the smaller name")
	}
}
