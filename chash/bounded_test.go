package chash

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Part 2B: bounded loads. Run with: go test ./chash -run 2B

func TestBoundedCapacityCeiling2B(t *testing.T) {
	for _, tc := range []struct {
		keys, members, cMilli, want int
		why                         string
	}{
		{0, 3, 1250, 0, "no keys, no capacity needed"},
		{1, 2, 1250, 1, "0.625 rounds up: a single key must fit somewhere"},
		{8, 2, 1250, 5, "1.25·4 = 5 exactly"},
		{10, 4, 1250, 4, "1.25·2.5 = 3.125 rounds up"},
		{10, 1, 1100, 11, "1.1·10 is 11 exactly; floating point would say 12"},
		{100, 8, 1000, 13, "c = 1: 12.5 rounds up"},
		{96, 8, 1000, 12, "c = 1 and an even split: no slack at all"},
		{7, 3, 2000, 5, "2·7/3 = 4.67"},
		{5, 0, 1250, 0, "no members"},
	} {
		require.Equal(t, tc.want, capacity(tc.keys, tc.members, tc.cMilli),
			"capacity(keys=%d, members=%d, c=%.3f): %s", tc.keys, tc.members, float64(tc.cMilli)/1000, tc.why)
	}
}

// boundedChecker follows a Bounded through changes: it applies the reported
// moves to its own copy of the placement, and checks after each change
// that the copy agrees and that no load exceeds ⌈c·m/n⌉, computed here
// independently.
type boundedChecker struct {
	t       *testing.T
	b       *Bounded
	cPct    int               // c in hundredths
	shadow  map[string]string // key → member, as the moves report it
	members []string
	atCap   int // how many checks found a member exactly at capacity
}

func (c *boundedChecker) applyMoves(what string, moves []Move) {
	for _, mv := range moves {
		require.Equal(c.t, c.shadow[mv.Key], mv.From, "%s: move %+v does not start where the key was", what, mv)
		require.NotEqual(c.t, mv.From, mv.To, "%s: move %+v goes nowhere", what, mv)
		c.shadow[mv.Key] = mv.To
	}
}

func (c *boundedChecker) check(what string) {
	t, b := c.t, c.b
	m, n := len(c.shadow), len(c.members)
	limit := 0
	if n > 0 {
		limit = (c.cPct*m + 100*n - 1) / (100 * n)
	}
	require.Equal(t, m, b.Len(), "%s: key count", what)
	load := map[string]int{}
	for key, want := range c.shadow {
		// Plain comparisons in the loops: require.Equal per key would
		// dominate the test's time.
		if got := b.Lookup(key); got != want {
			require.Failf(t, "moves do not match", "%s: key %q is at %q but the reported moves put it at %q", what, key, got, want)
		}
		load[want]++
	}
	peak := 0
	for _, member := range c.members {
		require.Equal(t, load[member], b.Load(member), "%s: Load(%q)", what, member)
		require.LessOrEqual(t, load[member], limit,
			"%s: member %q holds %d keys, above ⌈%.2f·%d/%d⌉ = %d", what, member, load[member], float64(c.cPct)/100, m, n, limit)
		peak = max(peak, load[member])
	}
	for member := range load {
		require.Contains(t, c.members, member, "%s: a key sits on %q, which is not a member", what, member)
	}
	if peak == limit && m > 0 {
		c.atCap++
	}
}

func TestBoundedCapacityExact2B(t *testing.T) {
	// Random churn of keys and members; after every change no member may
	// hold more than ⌈1.25·average⌉, exactly, and the reported moves must
	// account for every key that changed member.
	b, err := NewBounded(1.25, 40)
	require.NoError(t, err)
	c := &boundedChecker{t: t, b: b, cPct: 125, shadow: map[string]string{}}
	rng := rand.New(rand.NewPCG(1, 2))
	var keys []string // the keys present, in the order they were added
	nextMember, nextKey := 0, 0
	addMember := func() {
		name := fmt.Sprintf("m%d", nextMember)
		nextMember++
		moves, err := b.AddMember(name)
		require.NoError(t, err)
		c.members = append(c.members, name)
		c.applyMoves("AddMember "+name, moves)
		c.check("AddMember " + name)
	}
	for range 4 {
		addMember()
	}
	for step := range 4000 {
		switch p := rng.IntN(100); {
		case p < 55 || len(c.shadow) < 20:
			key := fmt.Sprintf("k%d", nextKey)
			nextKey++
			to, err := b.AddKey(key)
			require.NoError(t, err)
			c.shadow[key] = to
			keys = append(keys, key)
			c.check(fmt.Sprintf("step %d: AddKey %s", step, key))
		case p < 90:
			i := rng.IntN(len(keys))
			key := keys[i]
			keys = slices.Delete(keys, i, i+1)
			moves := b.RemoveKey(key)
			delete(c.shadow, key)
			c.applyMoves("RemoveKey "+key, moves)
			c.check(fmt.Sprintf("step %d: RemoveKey %s", step, key))
		case p < 95 && len(c.members) < 15:
			addMember()
		case len(c.members) > 2:
			name := c.members[rng.IntN(len(c.members))]
			moves, err := b.RemoveMember(name)
			require.NoError(t, err)
			c.members = slices.DeleteFunc(c.members, func(s string) bool { return s == name })
			for _, mv := range moves {
				require.Equal(t, name, mv.From, "RemoveMember %s moved a key of another member: %+v", name, mv)
			}
			c.applyMoves("RemoveMember "+name, moves)
			c.check(fmt.Sprintf("step %d: RemoveMember %s", step, name))
		}
	}
	require.Positive(t, c.atCap, "the bound was never reached: the test did not exercise it")
}

func TestBoundedPerfectBalanceAtC1_2B(t *testing.T) {
	// With c = 1 and 800 keys on 8 members the capacity is exactly 100:
	// every member must hold exactly 100 keys, whatever the ring says.
	b, err := NewBounded(1, 0)
	require.NoError(t, err)
	names := memberNames(8)
	for _, n := range names {
		_, err := b.AddMember(n)
		require.NoError(t, err)
	}
	for i := range 800 {
		_, err := b.AddKey(fmt.Sprintf("key-%d", i))
		require.NoError(t, err)
	}
	require.Equal(t, 100, b.Capacity())
	for _, n := range names {
		require.Equal(t, 100, b.Load(n), "member %s", n)
	}
	// A ninth member lowers the capacity to ⌈800/9⌉ = 89: the eight
	// others must shed down to it.
	moves, err := b.AddMember("node-8")
	require.NoError(t, err)
	require.Equal(t, 89, b.Capacity())
	total := 0
	for _, n := range append(names, "node-8") {
		require.LessOrEqual(t, b.Load(n), 89, "member %s after the join", n)
		total += b.Load(n)
	}
	require.Equal(t, 800, total)
	require.GreaterOrEqual(t, len(moves), 800-8*89, "the old members had to shed at least %d keys", 800-8*89)
}

func TestBoundedRoomyIsRing2B(t *testing.T) {
	// With a capacity factor so large that no member is ever full, bounded
	// loads are the plain ring: same placement, and a join moves keys only
	// to the new member.
	b, err := NewBounded(1000, 30)
	require.NoError(t, err)
	ring := NewRing(30)
	for _, n := range memberNames(6) {
		_, err := b.AddMember(n)
		require.NoError(t, err)
		require.NoError(t, ring.Add(n))
	}
	keys := make([]string, 3000)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
		_, err := b.AddKey(keys[i])
		require.NoError(t, err)
	}
	for _, k := range keys {
		require.Equal(t, ring.Lookup(k), b.Lookup(k), "key %s", k)
	}
	moves, err := b.AddMember("late")
	require.NoError(t, err)
	require.NoError(t, ring.Add("late"))
	require.NotEmpty(t, moves)
	for _, mv := range moves {
		require.Equal(t, "late", mv.To, "with room everywhere only the new member takes keys: %+v", mv)
	}
	for _, k := range keys {
		require.Equal(t, ring.Lookup(k), b.Lookup(k), "after the join, key %s", k)
	}
}

func TestBoundedJoinMovesFew2B(t *testing.T) {
	// A join costs more moves than the ideal 1/(N+1) when the capacity
	// drops below the loads of some members, which must pass keys on; at
	// c = 1.05 many members are full, yet the cost stays below twice the
	// ideal.
	b, err := NewBounded(1.05, 0)
	require.NoError(t, err)
	for _, n := range memberNames(20) {
		_, err := b.AddMember(n)
		require.NoError(t, err)
	}
	const keys = 20_000
	for i := range keys {
		_, err := b.AddKey(fmt.Sprintf("key-%d", i))
		require.NoError(t, err)
	}
	moves, err := b.AddMember("node-20")
	require.NoError(t, err)
	ideal := float64(keys) / 21
	toNew := 0
	for _, mv := range moves {
		if mv.To == "node-20" {
			toNew++
		}
	}
	t.Logf("join at N=20, c=1.05: %d moves (%.2f× ideal), %d to the new member, capacity %d, its load %d",
		len(moves), float64(len(moves))/ideal, toNew, b.Capacity(), b.Load("node-20"))
	require.LessOrEqual(t, float64(len(moves)), 2*ideal)
	require.GreaterOrEqual(t, float64(toNew), 0.8*ideal, "the new member should take about its share")
}

func TestBoundedErrors2B(t *testing.T) {
	for _, c := range []float64{0.99, 0, -1, math.NaN(), math.Inf(1)} {
		_, err := NewBounded(c, 0)
		require.Error(t, err, "capacity factor %v", c)
	}
	b, err := NewBounded(1.5, 0)
	require.NoError(t, err)
	_, err = b.AddKey("k")
	require.ErrorContains(t, err, "no members")
	_, err = b.RemoveMember("ghost")
	require.Error(t, err)

	_, err = b.AddMember("a")
	require.NoError(t, err)
	_, err = b.AddMember("a")
	require.Error(t, err, "a member cannot join twice")
	to, err := b.AddKey("k")
	require.NoError(t, err)
	require.Equal(t, "a", to)
	to, err = b.AddKey("k")
	require.NoError(t, err)
	require.Equal(t, "a", to, "adding a key twice keeps it where it is")
	require.Equal(t, 1, b.Len())
	_, err = b.RemoveMember("a")
	require.ErrorContains(t, err, "last member")
	require.Empty(t, b.RemoveKey("k"))
	require.Empty(t, b.RemoveKey("k"), "removing an absent key is a no-op")
	_, err = b.RemoveMember("a")
	require.NoError(t, err)
	require.Empty(t, b.Members())
}

func TestBoundedDeterministic2B(t *testing.T) {
	// The same changes give the same moves, run after run: nothing may
	// depend on the order in which Go iterates a map.
	run := func() []Move {
		b, err := NewBounded(1.1, 20)
		require.NoError(t, err)
		var all []Move
		for _, n := range memberNames(5) {
			mv, err := b.AddMember(n)
			require.NoError(t, err)
			all = append(all, mv...)
		}
		for i := range 2000 {
			_, err := b.AddKey(fmt.Sprintf("key-%d", i))
			require.NoError(t, err)
		}
		for i := 0; i < 2000; i += 3 {
			all = append(all, b.RemoveKey(fmt.Sprintf("key-%d", i))...)
		}
		mv, err := b.AddMember("node-5")
		require.NoError(t, err)
		all = append(all, mv...)
		mv, err = b.RemoveMember("node-2")
		require.NoError(t, err)
		return append(all, mv...)
	}
	first := run()
	require.NotEmpty(t, first)
	for range 3 {
		require.Equal(t, first, run())
	}
}

func TestBoundedLookupHashesAsHashKey2B(t *testing.T) {
	// Lookup may hash the key its own way for speed, but it must find
	// every key where AddKey put it, for keys of every length (whole 8-byte
	// words, a tail of 1 to 7 bytes, or both) and any byte, and no key
	// that was not added.
	b, err := NewBounded(1.25, 10)
	require.NoError(t, err)
	_, err = b.AddMembers(memberNames(5)...)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(5, 6))
	placed := map[string]string{}
	for length := 0; length <= 64; length++ {
		for range 30 {
			buf := make([]byte, length)
			for i := range buf {
				buf[i] = byte(rng.UintN(256))
			}
			to, err := b.AddKey(string(buf))
			require.NoError(t, err)
			placed[string(buf)] = to
		}
	}
	for key, want := range placed {
		if got := b.Lookup(key); got != want {
			require.Failf(t, "Lookup does not find a placed key", "key %q (%d bytes): Lookup %q, AddKey put it at %q", key, len(key), got, want)
		}
		if _, ok := placed[key+"!"]; !ok {
			require.Empty(t, b.Lookup(key+"!"), "key %q was never added", key+"!")
		}
	}
}
