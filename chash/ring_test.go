package chash

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// Part 2A: the ring. Run with: go test ./chash -run 2A

func TestHashKeySpreads2A(t *testing.T) {
	// Similar keys must land far apart, and a key must not hash like the
	// same key with a zero byte appended.
	require.NotEqual(t, HashKey("a"), HashKey("a\x00"), "length must be part of the hash")
	require.NotEqual(t, HashKey(""), HashKey("\x00"))
	require.NotEqual(t, HashKey("node-1"), HashKey("node-2"))

	// Each output bit is set for about half of consecutive keys.
	const n = 1 << 14
	var ones [64]int
	for i := range n {
		h := HashKey(fmt.Sprintf("key-%d", i))
		for b := range 64 {
			ones[b] += int(h >> b & 1)
		}
	}
	for b, c := range ones {
		require.InDelta(t, 0.5, float64(c)/n, 0.03, "bit %d of HashKey is biased on keys key-0…key-%d", b, n-1)
	}
}

func TestRingLookupBasics2A(t *testing.T) {
	r := NewRing(0)
	require.Equal(t, "", r.Lookup("k"), "an empty ring has no owner")
	require.Empty(t, r.Owners("k", 3))

	require.NoError(t, r.Add("solo"))
	for i := range 100 {
		require.Equal(t, "solo", r.Lookup(fmt.Sprintf("key-%d", i)), "a ring of one member owns every key")
	}

	require.NoError(t, r.Add("duo"))
	seen := map[string]int{}
	for i := range 1000 {
		seen[r.Lookup(fmt.Sprintf("key-%d", i))]++
	}
	require.Len(t, seen, 2, "with two members both should own keys: %v", seen)
	require.Equal(t, []string{"duo", "solo"}, r.Members())
}

func TestRingSuccessorWraps2A(t *testing.T) {
	points := []uint64{10, 20, 20, 30}
	for _, tc := range []struct {
		h    uint64
		want int
		why  string
	}{
		{0, 0, "before the first point"},
		{10, 0, "exactly on a point: that point owns it"},
		{11, 1, "between points: the next one clockwise"},
		{20, 1, "on a duplicated position: the first of the two"},
		{29, 3, "just before the last point"},
		{30, 3, "on the last point"},
		{31, 0, "past the last point: wrap to the first"},
		{math.MaxUint64, 0, "top of the ring: wrap to the first"},
	} {
		require.Equal(t, tc.want, successor(points, tc.h), "successor(%v, %d): %s", points, tc.h, tc.why)
	}
	require.Equal(t, 0, successor([]uint64{5}, 6), "a ring of one point wraps to it")
	require.Equal(t, 0, successor([]uint64{5}, 4))
}

func TestRingLowerBoundMatchesSortSearch2A(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 1; n <= 70; n++ {
		a := make([]uint64, n)
		for i := range a {
			a[i] = rng.Uint64N(50) // small values, so duplicates and exact hits occur
		}
		slices.Sort(a)
		for x := uint64(0); x <= 51; x++ {
			want := sort.Search(n, func(i int) bool { return a[i] >= x })
			require.Equal(t, want, lowerBound(a, x), "lowerBound(%v, %d)", a, x)
		}
	}
}

func TestRingSearchMatchesSuccessor2A(t *testing.T) {
	// The bucket index is only a shortcut: it must give successor's answer
	// everywhere, above all on the points themselves, next to them, and
	// past the last one.
	rng := rand.New(rand.NewPCG(1, 2))
	for _, size := range []struct{ members, vnodes int }{{1, 1}, {1, 3}, {3, 7}, {50, 100}} {
		r := NewRing(size.vnodes)
		require.NoError(t, r.Add(memberNames(size.members)...))
		probes := []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1}
		for _, p := range r.points {
			probes = append(probes, p-1, p, p+1)
		}
		for range 1000 {
			probes = append(probes, rng.Uint64())
		}
		for _, h := range probes {
			if got, want := r.search(h), successor(r.points, h); got != want {
				require.Failf(t, "search disagrees with successor", "%d members × %d points, h=%#x: search %d, successor %d", size.members, size.vnodes, h, got, want)
			}
		}
	}
}

func TestRingVnodeNamesDistinct2A(t *testing.T) {
	require.NotEqual(t, vnodeName("node1", 10), vnodeName("node11", 0),
		"point 10 of node1 and point 0 of node11 must not share a name: use a separator")
	seen := map[string]string{}
	for _, name := range []string{"n", "n1", "n11", "n1#1", "n#", "1", "11", "a#1#2"} {
		for i := range 120 {
			v := vnodeName(name, i)
			who := fmt.Sprintf("(%q, %d)", name, i)
			require.NotContains(t, seen, v, "vnodeName collision: %s and %s both give %q", seen[v], who, v)
			seen[v] = who
		}
	}
}

// ringState is what a ring decides: the owner of each key, and its
// replicas.
func ringState(r *Ring, keys []uint64) []string {
	var out []string
	for _, k := range keys {
		out = r.AppendOwners(append(out, r.LookupHash(k)), k, 3)
	}
	return out
}

func TestRingSameMembersAnyOrder2A(t *testing.T) {
	keys := testKeys(2000)
	names := memberNames(12)

	ref := NewRing(20)
	require.NoError(t, ref.Add(names...))
	want := ringState(ref, keys)
	require.NotContains(t, want, "", "a ring of 12 members left keys without owner")

	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 10 {
		order := slices.Clone(names)
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		r := NewRing(20)
		// Add one at a time, with a stranger that comes and goes in the
		// middle, then the rest in one call.
		for _, n := range order[:5] {
			require.NoError(t, r.Add(n))
		}
		require.NoError(t, r.AddWeighted("stranger", 3))
		require.NoError(t, r.Add(order[5:]...))
		require.NoError(t, r.Remove("stranger"))
		require.Equal(t, want, ringState(r, keys), "trial %d: adding %v (and removing a stranger) gave another ring than adding them in order", trial, order)
	}
}

func TestRingTieBreaksByName2A(t *testing.T) {
	// A hash under which every virtual node lands on the same position:
	// every key then belongs to whichever member wins the tie, and that
	// must be the smaller name, whatever the order of the Adds.
	collide := func(string) uint64 { return 1 << 63 }
	for _, order := range [][]string{{"alpha", "beta"}, {"beta", "alpha"}} {
		r := NewRingWithHash(1, collide)
		for _, n := range order {
			require.NoError(t, r.Add(n))
		}
		for _, h := range []uint64{0, 1 << 63, math.MaxUint64} {
			require.Equal(t, "alpha", r.LookupHash(h), "added in order %v: a tie on the ring must go to the smaller name, not the first added", order)
		}
		require.Equal(t, []string{"alpha", "beta"}, r.Owners("k", 2))
	}
}

func TestRingRemoveMiddle2A(t *testing.T) {
	keys := testKeys(5000)
	r := NewRing(50)
	require.NoError(t, r.Add("a", "b", "c", "d"))
	before := assign(keys, r.LookupHash)

	require.NoError(t, r.Remove("b"))
	after := assign(keys, r.LookupHash)
	require.NotContains(t, after, "b", "a removed member still owns keys")
	m := movementFrom(before, after, "b")
	require.True(t, m.onlyThatMember, "removing b moved keys that b did not own")
	require.Positive(t, m.moved)

	fresh := NewRing(50)
	require.NoError(t, fresh.Add("a", "c", "d"))
	require.Equal(t, assign(keys, fresh.LookupHash), after, "removing b should leave the ring of {a, c, d}")

	require.Error(t, r.Remove("b"), "removing a member twice is a misuse")
	require.NoError(t, r.Remove("a", "c", "d"))
	require.Equal(t, "", r.LookupHash(keys[0]), "the ring is empty again")
}

func TestRingAddErrors2A(t *testing.T) {
	r := NewRing(0)
	require.NoError(t, r.Add("a"))
	require.ErrorContains(t, r.Add("a"), "already")
	require.ErrorContains(t, r.Add("b", "b"), "twice")
	require.Error(t, r.Add(""))
	require.Error(t, r.AddWeighted("c", 0))
	require.Error(t, r.AddWeighted("c", -1))
	require.Error(t, r.AddWeighted("c", math.NaN()))
	require.Error(t, r.Remove("zz", "a"), "one unknown name fails the whole Remove")
	require.Equal(t, []string{"a"}, r.Members(), "a failed call must change nothing")
}

func TestRingDefaultWeightManyPoints2A(t *testing.T) {
	// With a single point each, ten members' loads would differ by factors
	// of two or more; the default must already spread them well.
	keys := testKeys(200_000)
	names := memberNames(10)
	r := NewRing(0)
	require.NoError(t, r.Add(names...))
	b := balanceOf(t, assign(keys, r.LookupHash), names)
	require.LessOrEqual(t, b.stddev, 1.2/math.Sqrt(DefaultVnodes), "default ring: %v", b)
	require.GreaterOrEqual(t, DefaultVnodes, 100)
}

func TestRingWeights2A(t *testing.T) {
	keys := testKeys(200_000)
	r := NewRing(500)
	weights := map[string]float64{"light": 1, "double": 2, "heavy": 3.5, "tiny": 0.5}
	for _, name := range []string{"light", "double", "heavy", "tiny"} {
		require.NoError(t, r.AddWeighted(name, weights[name]))
	}
	load := map[string]int{}
	for _, k := range keys {
		load[r.LookupHash(k)]++
	}
	total := 0.0
	for _, w := range weights {
		total += w
	}
	for name, w := range weights {
		share := float64(load[name]) / float64(len(keys))
		require.InEpsilon(t, w/total, share, 0.10, "member %q of weight %v: share %.3f, want about %.3f", name, w, share, w/total)
	}
}

func TestRingOwnersDistinct2A(t *testing.T) {
	keys := testKeys(3000)
	r := NewRing(30)
	names := memberNames(6)
	require.NoError(t, r.Add(names...))
	for _, k := range keys {
		owners := r.AppendOwners(nil, k, 3)
		require.Len(t, owners, 3)
		require.Equal(t, r.LookupHash(k), owners[0], "the first replica is the owner")
		require.Len(t, slices.Compact(slices.Sorted(slices.Values(owners))), 3, "replicas must be distinct members: %v", owners)
	}
	require.ElementsMatch(t, names, r.Owners("k", 10), "asking for more replicas than members gives every member once")
	for _, key := range []string{"a", "b", "user:42"} {
		require.Equal(t, []string{r.Lookup(key)}, r.Owners(key, 1), "a single copy of %q lives at its owner", key)
	}

	// Removing a replica promotes the next ones: the new list is the old
	// list without it (Dynamo's preference list, §4.3).
	before := make([][]string, len(keys))
	for i, k := range keys {
		before[i] = r.AppendOwners(nil, k, 4)
	}
	require.NoError(t, r.Remove("node-2"))
	for i, k := range keys {
		want := slices.DeleteFunc(slices.Clone(before[i]), func(s string) bool { return s == "node-2" })[:3]
		require.Equal(t, want, r.AppendOwners(nil, k, 3), "key %d: removing node-2 reordered the other replicas", i)
	}
}

func TestRingLookupDoesNotAllocate2A(t *testing.T) {
	r := NewRing(0)
	require.NoError(t, r.Add(memberNames(50)...))
	keys := testKeys(64)
	buf := make([]string, 0, 3)
	var sink string
	allocs := testing.AllocsPerRun(100, func() {
		for i, k := range keys {
			sink = r.LookupHash(k)
			sink = r.Lookup("some-key-of-moderate-length")
			buf = r.AppendOwners(buf[:0], k, 3)
			_ = i
		}
	})
	require.Zero(t, allocs, "Lookup, LookupHash and AppendOwners (with room in dst) must not allocate")
	require.NotEmpty(t, sink)
}

func TestRingBalance2A(t *testing.T) {
	// The ring's load deviation is about 1/√V for V points per member; the
	// bound 1.2/√V leaves room for the sampling noise of a finite key set.
	keys := testKeys(1_000_000)
	names := memberNames(100)
	for _, tc := range []struct {
		vnodes      int
		maxStddev   float64
		maxPeakMean float64
	}{
		{100, 0.12, 1.30},
		{1000, 0.04, 1.12},
	} {
		r := NewRing(tc.vnodes)
		require.NoError(t, r.Add(names...))
		b := balanceOf(t, assign(keys, r.LookupHash), names)
		t.Logf("N=100, V=%d: %v", tc.vnodes, b)
		require.LessOrEqual(t, b.stddev, tc.maxStddev, "N=100, V=%d: load deviation too high (%v); are the points spread by a good hash?", tc.vnodes, b)
		require.LessOrEqual(t, b.peakOverMean, tc.maxPeakMean, "N=100, V=%d: %v", tc.vnodes, b)
	}
}

func TestRingMovesOnlyToNewMember2A(t *testing.T) {
	// A join moves keys to the new member only, about 1/(N+1) of them; a
	// leave moves only the keys of the member that left, about 1/N. One
	// join moves the new member's share, which deviates by about 1/√V from
	// the ideal, so the bound is on the total over ten joins.
	keys := testKeys(200_000)
	r := NewRing(DefaultVnodes)
	names := memberNames(60)
	require.NoError(t, r.Add(names[:50]...))
	moved, ideal := 0, 0.0
	for n := 50; n < 60; n++ {
		before := assign(keys, r.LookupHash)
		require.NoError(t, r.Add(names[n]))
		after := assign(keys, r.LookupHash)
		m := movementTo(before, after, names[n])
		require.True(t, m.onlyThatMember, "join of %s moved keys between old members", names[n])
		moved += m.moved
		ideal += float64(len(keys)) / float64(n+1)
	}
	require.LessOrEqual(t, float64(moved)/ideal, 1.1, "ten joins moved %d keys, ideal %.0f", moved, ideal)
	require.GreaterOrEqual(t, float64(moved)/ideal, 0.9, "ten joins moved %d keys, ideal %.0f: new members should take their share", moved, ideal)

	before := assign(keys, r.LookupHash)
	require.NoError(t, r.Remove("node-7"))
	m := movementFrom(before, assign(keys, r.LookupHash), "node-7")
	require.True(t, m.onlyThatMember, "leave of node-7 moved keys it did not own")
}
