package chash

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Part 2C: the alternatives to the ring, behind one interface. Run with:
// go test ./chash -run 2C

// checkMoves builds the hasher for names[:n], then for names[:n+1] (a
// join) and names[:n-1] (the last member leaves), and checks that a join
// moves keys only to the new member, a leave only from the member that
// left, and each about the ideal 1/(n+1) or 1/n: at least 0.9 times it (a
// new member takes its share) and at most maxRatio times it.
// With onlyToNew false (Maglev) keys may also move between old members.
func checkMoves(t *testing.T, build func(testing.TB, []string) Hasher, n int, maxRatio float64, onlyToNew bool) {
	t.Helper()
	keys := testKeys(400_000)
	names := memberNames(n + 1)
	before := assign(keys, build(t, names[:n]).LookupHash)

	join := movementTo(before, assign(keys, build(t, names[:n+1]).LookupHash), names[n])
	ideal := float64(len(keys)) / float64(n+1)
	t.Logf("N=%d→%d: %d keys moved, %.3f× ideal, all to the new member: %v", n, n+1, join.moved, float64(join.moved)/ideal, join.onlyThatMember)
	require.LessOrEqual(t, float64(join.moved), maxRatio*ideal, "join N=%d→%d moved %d keys; ideal %.0f", n, n+1, join.moved, ideal)
	require.GreaterOrEqual(t, float64(join.moved), 0.9*ideal, "join N=%d→%d moved %d keys; ideal %.0f", n, n+1, join.moved, ideal)
	if onlyToNew {
		require.True(t, join.onlyThatMember, "join N=%d→%d moved keys between old members", n, n+1)
	}

	leave := movementFrom(before, assign(keys, build(t, names[:n-1]).LookupHash), names[n-1])
	ideal = float64(len(keys)) / float64(n)
	t.Logf("N=%d→%d: %d keys moved, %.3f× ideal, all from the one that left: %v", n, n-1, leave.moved, float64(leave.moved)/ideal, leave.onlyThatMember)
	require.LessOrEqual(t, float64(leave.moved), maxRatio*ideal, "leave N=%d→%d moved %d keys; ideal %.0f", n, n-1, leave.moved, ideal)
	require.GreaterOrEqual(t, float64(leave.moved), 0.9*ideal, "leave N=%d→%d moved %d keys; ideal %.0f", n, n-1, leave.moved, ideal)
	if onlyToNew {
		require.True(t, leave.onlyThatMember, "leave N=%d→%d moved keys the leaver did not hold", n, n-1)
	}
}

// checkBalance requires the loads of keys over n members to deviate by
// at most maxStddev and peak at most maxPeak times the mean.
func checkBalance(t *testing.T, h Hasher, keys []uint64, maxStddev, maxPeak float64) {
	t.Helper()
	b := balanceOf(t, assign(keys, h.LookupHash), h.Members())
	t.Logf("N=%d, %d keys: %v", len(h.Members()), len(keys), b)
	require.LessOrEqual(t, b.stddev, maxStddev, "N=%d: %v", len(h.Members()), b)
	require.LessOrEqual(t, b.peakOverMean, maxPeak, "N=%d: %v", len(h.Members()), b)
}

func TestLookupsDoNotAllocate2C(t *testing.T) {
	names := memberNames(20)
	weighted, err := NewRendezvousWeighted(map[string]float64{"a": 1, "b": 3})
	require.NoError(t, err)
	for _, h := range []Hasher{mustJump(t, names), mustRendezvous(t, names), weighted, mustMaglev(t, names)} {
		var sink string
		allocs := testing.AllocsPerRun(100, func() {
			sink = h.LookupHash(0x1234567890abcdef)
			sink = h.Lookup("a-key")
		})
		require.Zero(t, allocs, "%T lookups allocate", h)
		require.NotEmpty(t, sink, "%T returned no member", h)
	}
}

func TestModNMovesNearlyEverything2C(t *testing.T) {
	// The negative control: mod N moves about N/(N+1) of the keys.
	keys := testKeys(100_000)
	names := memberNames(11)
	a, err := NewModN(names[:10]...)
	require.NoError(t, err)
	b, err := NewModN(names...)
	require.NoError(t, err)
	m := movementTo(assign(keys, a.LookupHash), assign(keys, b.LookupHash), "node-10")
	require.InDelta(t, 10.0/11, float64(m.moved)/float64(len(keys)), 0.01)
	require.False(t, m.onlyThatMember)
}

func TestEmptyHashers2C(t *testing.T) {
	for _, h := range []Hasher{mustJump(t, nil), mustRendezvous(t, nil), mustMaglev(t, nil), NewRing(0)} {
		require.Equal(t, "", h.Lookup("k"), "%T with no members", h)
		require.Empty(t, h.Members())
	}
}
