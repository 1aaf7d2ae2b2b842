package chash

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// Scenarios written for the survivors of chash's full mutation run (see the
// triage notes): each meets a learner's bug that the other tests let pass.

// collidingKeys returns two different 16-byte keys with the same HashKey.
// HashKey folds 8-byte words into its state as FNV-1a does, h = (h ^ w) · p,
// so after the first words differ, a second word can be chosen to bring
// both states together again; the final mix then maps them alike.
func collidingKeys() (string, string) {
	const (
		offset = 0xcbf29ce484222325
		prime  = 0x100000001b3
		golden = 0x9e3779b97f4a7c15
	)
	word := func(w uint64) string {
		var le [8]byte
		for at := range le {
			le[at] = byte(w >> (8 * at))
		}
		return string(le[:])
	}
	length, g := uint64(16), uint64(golden)
	h0 := uint64(offset) ^ length*g
	w1, w2, v1 := uint64(0x6161616161616161), uint64(0x6262626262626262), uint64(0x6363636363636363)
	x, y := (h0^w1)*prime, (h0^v1)*prime
	v2 := x ^ w2 ^ y // then y ^ v2 == x ^ w2
	return word(w1) + word(w2), word(v1) + word(v2)
}

// TestBoundedHashCollision2B: Bounded tells keys apart by their 64-bit
// hash, so a key whose hash equals a placed key's must be refused, and
// looking it up must not answer with the other key's member.
func TestBoundedHashCollision2B(t *testing.T) {
	k1, k2 := collidingKeys()
	require.NotEqual(t, k1, k2)
	require.Equal(t, HashKey(k1), HashKey(k2), "the test's colliding keys do not collide")

	b, err := NewBounded(1.25, 0)
	require.NoError(t, err)
	_, err = b.AddMembers("a", "b", "c")
	require.NoError(t, err)
	owner, err := b.AddKey(k1)
	require.NoError(t, err)
	require.Equal(t, "", b.Lookup(k2), "a key never added has no member, even if its hash is a placed key's")
	_, err = b.AddKey(k2)
	require.Error(t, err, "a key with the same 64-bit hash as a placed key must be refused")
	require.Equal(t, 1, b.Len(), "the refused key must not be counted")
	require.Equal(t, "", b.Lookup(k2))
	require.Equal(t, owner, b.Lookup(k1), "the placed key stays where it was")
}

// TestBoundedReAddEveryKey2B: adding a key already present returns where
// it is and changes nothing, wherever in the table the key happens to sit.
func TestBoundedReAddEveryKey2B(t *testing.T) {
	b, err := NewBounded(1.25, 0)
	require.NoError(t, err)
	_, err = b.AddMembers("a", "b", "c", "d")
	require.NoError(t, err)
	const n = 300
	for i := range n {
		_, err := b.AddKey(fmt.Sprintf("key-%d", i))
		require.NoError(t, err)
	}
	loads := map[string]int{}
	for _, m := range b.Members() {
		loads[m] = b.Load(m)
	}
	for i := range n {
		key := fmt.Sprintf("key-%d", i)
		was := b.Lookup(key)
		got, err := b.AddKey(key)
		require.NoError(t, err)
		require.Equal(t, was, got, "adding %s again must return its member", key)
		require.Equal(t, n, b.Len(), "adding %s again must not count it twice", key)
	}
	for _, m := range b.Members() {
		require.Equal(t, loads[m], b.Load(m), "member %s's load after re-adding every key", m)
	}
	require.NoError(t, b.checkIndex())
}

// TestBoundedCapacityJustOverWhole2B: the capacity is the ceiling of
// c·keys/members even when that lies just above a whole number (c = 1.001,
// one key a member: 1.001 rounds up to 2).
func TestBoundedCapacityJustOverWhole2B(t *testing.T) {
	for _, members := range []int{1, 3} {
		b, err := NewBounded(1.001, 0)
		require.NoError(t, err)
		for m := range members {
			_, err := b.AddMember(fmt.Sprintf("m%d", m))
			require.NoError(t, err)
		}
		for k := range members {
			_, err := b.AddKey(fmt.Sprintf("k%d", k))
			require.NoError(t, err)
		}
		require.Equal(t, 2, b.Capacity(), "%d keys on %d members at c = 1.001: ⌈1.001⌉ = 2", members, members)
	}
}

// TestBoundedAddMembersAfterKeys2B: AddMembers on a placement that already
// holds keys must move them as adding the members one at a time does; and
// a name already present (or given twice) is an error, on an empty
// placement too.
func TestBoundedAddMembersAfterKeys2B(t *testing.T) {
	for _, keys := range []int{1, 2, 200} {
		build := func() *Bounded {
			b, err := NewBounded(1.25, 0)
			require.NoError(t, err)
			_, err = b.AddMember("m0")
			require.NoError(t, err)
			for k := range keys {
				_, err := b.AddKey(fmt.Sprintf("k%d", k))
				require.NoError(t, err)
			}
			return b
		}
		var names []string
		for m := 1; m <= 12; m++ {
			names = append(names, fmt.Sprintf("m%d", m))
		}
		one := build()
		var want []Move
		for _, name := range names {
			moves, err := one.AddMember(name)
			require.NoError(t, err)
			want = append(want, moves...)
		}
		all := build()
		got, err := all.AddMembers(names...)
		require.NoError(t, err)
		require.NotEmpty(t, want, "with %d keys, some must move to 12 new members", keys)
		requireSameMoves(t, want, got, "AddMembers after %d keys are placed", keys)
		for k := range keys {
			key := fmt.Sprintf("k%d", k)
			require.Equal(t, one.Lookup(key), all.Lookup(key), "key %s after AddMembers", key)
		}
		require.NoError(t, all.checkIndex())
	}

	b, err := NewBounded(1.25, 0)
	require.NoError(t, err)
	_, err = b.AddMembers("a", "a")
	require.Error(t, err, "AddMembers with a name twice, before any key")
	b, err = NewBounded(1.25, 0)
	require.NoError(t, err)
	_, err = b.AddMembers("a", "b")
	require.NoError(t, err)
	_, err = b.AddMembers("c", "a")
	require.Error(t, err, "AddMembers with a name already a member, before any key")
}

// inverseOdd is the inverse of an odd a modulo 2⁶⁴ (Newton's iteration;
// each step doubles the bits that are right).
func inverseOdd(a uint64) uint64 {
	v := a
	for range 6 {
		v *= 2 - a*v
	}
	return v
}

// unxorshift inverts y = x ^ x>>k.
func unxorshift(y uint64, k uint) uint64 {
	x := y
	for range 64/k + 1 {
		x = y ^ x>>k
	}
	return x
}

// secondWord is the second word of a 16-byte key with first word w1 and
// HashKey h: the final mix is a bijection, undone step by step, and the
// second word brings the FNV state to what the mix needs.
func secondWord(h, w1 uint64) uint64 {
	const (
		offset = 0xcbf29ce484222325
		prime  = 0x100000001b3
		golden = 0x9e3779b97f4a7c15
	)
	x := unxorshift(h, 31) * inverseOdd(0x94d049bb133111eb)
	x = unxorshift(x, 27) * inverseOdd(0xbf58476d1ce4e5b9)
	x = unxorshift(x, 30)
	length, g := uint64(16), uint64(golden)
	return x*inverseOdd(prime) ^ (uint64(offset)^length*g^w1)*prime
}

// keyWithHash returns a 16-byte key whose HashKey is h. Its bytes are any
// of the 256.
func keyWithHash(h uint64) string {
	g := uint64(0x9e3779b97f4a7c15)
	// Any first word will do; one that varies with h, over all 256 byte
	// values, makes the keys' order by name depend on every bit of it.
	w1 := h * g
	w2 := secondWord(h, w1)
	var le [16]byte
	for at := range 8 {
		le[at], le[8+at] = byte(w1>>(8*at)), byte(w2>>(8*at))
	}
	return string(le[:])
}

// TestBoundedKeysOnArcEnds2B: a key whose hash lies exactly on a member's
// point belongs to that point's arc, and a key one past a point to the next
// arc. Keys are made with exactly those hashes (one before, on and one after
// every point, in both insertion orders, so that some sit at their home slot
// and some were pushed past it), and members join and leave, among them the
// one whose arc wraps past zero: every change must move exactly the keys
// that bounded loads, worked out the plain way, moves (and, the keys' bytes
// being any of the 256, take them in the order of their names as bytes).
func TestBoundedKeysOnArcEnds2B(t *testing.T) {
	const vnodes = 8
	var names []string
	for m := range 10 {
		names = append(names, fmt.Sprintf("m%d", m))
	}
	// The member of the smallest point owns the arc that wraps past zero.
	wrap, lowest := "", uint64(0)
	var keys []string
	seen := map[uint64]bool{}
	for m, name := range names {
		for i := range vnodes {
			p := HashKey(vnodeName(name, i))
			if wrap == "" || p < lowest {
				wrap, lowest = name, p
			}
			order := []uint64{p - 1, p, p + 1}
			if (m+i)%2 == 1 {
				order = []uint64{p, p - 1, p + 1}
			}
			for _, h := range order {
				if !seen[h] {
					seen[h] = true
					key := keyWithHash(h)
					require.Equal(t, h, HashKey(key), "the test's key made for hash %#x", h)
					keys = append(keys, key)
				}
			}
		}
	}
	for k := range 100 {
		keys = append(keys, fmt.Sprintf("plain-%d", k))
	}
	// Six members at first, never the wrapping one, which joins later.
	var first, later []string
	for _, name := range names {
		if len(first) < 6 && name != wrap {
			first = append(first, name)
		} else {
			later = append(later, name)
		}
	}
	for _, c := range []float64{1.0, 1.25} {
		tw := newTwin(t, c, vnodes)
		b, n, join, leave := tw.b, tw.n, tw.join, tw.leave
		for _, name := range first {
			join(name)
		}
		for _, key := range keys {
			tw.addKey(key)
		}
		steps := []func(){}
		for _, name := range later {
			steps = append(steps, func() { join(name) })
		}
		for _, name := range []string{wrap, first[1], first[3], later[0]} {
			steps = append(steps, func() { leave(name) })
		}
		steps = append(steps, func() { join(wrap) }, func() { join(first[1]) })
		for i, step := range steps {
			step()
			require.NoError(t, b.checkIndex(), "c=%v step %d: the index after the change", c, i)
			for _, key := range keys {
				require.Equal(t, n.owner[key], b.Lookup(key), "c=%v step %d: Lookup(%q)", c, i, key)
			}
		}
	}
}

// twin is a Bounded and the plain model beside it: each change is made to
// both, and the moves must be the same.
type twin struct {
	t *testing.T
	c float64
	b *Bounded
	n *naiveBounded
}

func newTwin(t *testing.T, c float64, vnodes int) *twin {
	b, err := NewBounded(c, vnodes)
	require.NoError(t, err)
	n := &naiveBounded{t: t, ring: NewRing(vnodes), cMilli: b.cMilli, owner: map[string]string{}, load: map[string]int{}}
	return &twin{t, c, b, n}
}

func (tw *twin) addKey(key string) {
	t, b, n := tw.t, tw.b, tw.n
	to, err := b.AddKey(key)
	require.NoError(t, err)
	n.owner[key] = ""
	capNow := n.capacity()
	n.owner[key] = n.walk(HashKey(key), func(x string) bool { return n.load[x] < capNow })
	n.requireRoom(n.owner[key], capNow)
	n.load[n.owner[key]]++
	require.Equal(t, n.owner[key], to, "c=%v: AddKey(%q)", tw.c, key)
}

func (tw *twin) join(name string) {
	t, b, n := tw.t, tw.b, tw.n
	got, err := b.AddMember(name)
	require.NoError(t, err)
	require.NoError(t, n.ring.Add(name))
	n.load[name] = 0
	capNow := n.capacity()
	var want []Move
	for _, key := range slices.Sorted(maps.Keys(n.owner)) {
		if n.load[name] >= capNow {
			break
		}
		from := n.owner[key]
		if n.walk(HashKey(key), func(x string) bool { return x == name || x == from }) == name {
			want = n.move(key, name, want)
		}
	}
	requireSameMoves(t, n.shed(want), got, "c=%v: join of %q", tw.c, name)
}

func (tw *twin) leave(name string) {
	t, b, n := tw.t, tw.b, tw.n
	got, err := b.RemoveMember(name)
	require.NoError(t, err)
	require.NoError(t, n.ring.Remove(name))
	delete(n.load, name)
	capNow := n.capacity()
	var want []Move
	for _, key := range slices.Sorted(maps.Keys(n.owner)) {
		if n.owner[key] == name {
			n.load[name]++ // counted until it moves
			want = n.move(key, n.walk(HashKey(key), func(x string) bool { return x != name && n.load[x] < capNow }), want)
			delete(n.load, name)
		}
	}
	requireSameMoves(t, want, got, "c=%v: leave of %q", tw.c, name)
}

// memberOnPoint returns a member name of 14 bytes, starting with "A" (so
// that it sorts before the "m…" names), whose first point, the hash of
// name+"#0", lies exactly at h: the second word of that 16-byte string is
// solved for, and first words are tried until it ends in "#0".
func memberOnPoint(h uint64) string {
	for c := uint64(0); ; c++ {
		w1 := uint64('A') | c<<8
		w2 := secondWord(h, w1)
		if byte(w2>>48) != '#' || byte(w2>>56) != '0' {
			continue
		}
		var le [16]byte
		for at := range 8 {
			le[at], le[8+at] = byte(w1>>(8*at)), byte(w2>>(8*at))
		}
		return string(le[:14])
	}
}

// TestBoundedMembersSharingAPosition2B: two members' points can lie on one
// position of the ring (names may be anything, so their points' hashes can
// be equal); the smaller name then comes first there. A member joins with a
// point on the position of another's, where keys overflowed from the member
// before land: the keys that now meet it first, and only those, must move.
func TestBoundedMembersSharingAPosition2B(t *testing.T) {
	const vnodes = 8
	var names []string
	for m := range 6 {
		names = append(names, fmt.Sprintf("m%d", m))
	}
	// A point of m0 whose previous point is another member's.
	r := NewRing(vnodes)
	require.NoError(t, r.Add(names...))
	at := -1
	for i := range r.points {
		prev := (i + len(r.points) - 1) % len(r.points)
		if r.names[r.owners[i]] == "m0" && r.names[r.owners[prev]] != "m0" {
			at = i
			break
		}
	}
	require.GreaterOrEqual(t, at, 0)
	pos, prev := r.points[at], r.points[(at+len(r.points)-1)%len(r.points)]
	shared := memberOnPoint(pos)
	require.Equal(t, pos, HashKey(vnodeName(shared, 0)), "the test's member made to share a position")

	var keys []string
	for k := range 40 { // they start at prev's member, and many overflow on to m0
		keys = append(keys, keyWithHash(prev-uint64(k)))
	}
	keys = append(keys, keyWithHash(pos-1), keyWithHash(pos), keyWithHash(pos+1))
	for k := range 100 {
		keys = append(keys, fmt.Sprintf("plain-%d", k))
	}
	for _, c := range []float64{1.0, 1.25} {
		tw := newTwin(t, c, vnodes)
		for _, name := range names {
			tw.join(name)
		}
		for _, key := range keys {
			tw.addKey(key)
		}
		steps := []func(){
			func() { tw.join(shared) },
			func() { tw.leave("m0") },
			func() { tw.join("m0") },
			func() { tw.leave(shared) },
			func() { tw.join(shared) },
		}
		for i, step := range steps {
			step()
			require.NoError(t, tw.b.checkIndex(), "c=%v step %d: the index after the change", c, i)
			for _, key := range keys {
				require.Equal(t, tw.n.owner[key], tw.b.Lookup(key), "c=%v step %d: Lookup(%q)", c, i, key)
			}
		}
	}
}

// TestJumpFirstJumpEdges2C: keys whose first random number puts the first
// jump exactly on, or just either side of, a whole number (2³¹/k for small
// k), where a jump computed a little differently, or compared with the
// bucket count before or after truncating in a different way, lands in
// another bucket, or one past the last. The buckets are pinned as a digest
// taken from the paper's loop, run as the paper states it (in floating
// point, truncated before each comparison with the bucket count).
func TestJumpFirstJumpEdges2C(t *testing.T) {
	const mult = 2862933555777941757
	inv := inverseOdd(mult)
	var d placementDigest
	for k := uint64(1); k <= 64; k++ {
		q := (uint64(1) << 31) / k
		for _, x := range []uint64{q - 2, q - 1, q, q + 1} {
			if x >= 1<<31 {
				continue // the generator gives 31 bits
			}
			// The generator's first step gives x in the top 31 bits.
			key := (x<<33 - 1) * inv
			require.Equal(t, x, (key*mult+1)>>33)
			for n := 1; n <= 70; n++ {
				b := jumpBucket(key, n)
				require.True(t, 0 <= b && b < n, "jumpBucket(%#x, %d) = %d, out of range (the first jump is 2³¹/%d)", key, n, b, x+1)
				d.add(uint64(b))
			}
		}
	}
	require.Equal(t, placementDigest(0x880a6ec1e7c27e21), d, "jump's buckets differ from the paper's for keys whose jumps lie on or beside a whole number (the digest of 17,780 lookups)")
}

// TestCacheHandoffsMemberZero2D: node 0 is a member like any other, so
// when it leaves, or gives arcs to a newcomer, the keys it held are handed
// off from it, and when it joins, or takes a leaver's arcs, to it.
func TestCacheHandoffsMemberZero2D(t *testing.T) {
	view := func(epoch int, members ...int) placement {
		return newPlacement(Config{Epoch: epoch, Members: members})
	}
	require.Equal(t, []handoff{{0, 1}, {0, 2}}, handoffs(view(1, 0, 1, 2), view(2, 1, 2)),
		"a leave of node 0: it hands arcs to the others")
	require.Equal(t, []handoff{{0, 3}, {1, 3}, {2, 3}}, handoffs(view(1, 0, 1, 2), view(2, 0, 1, 2, 3)),
		"a join: every old member, node 0 too, hands arcs to the newcomer")
	require.Equal(t, []handoff{{1, 0}, {2, 0}}, handoffs(view(1, 1, 2), view(2, 0, 1, 2)),
		"a join of node 0: the others hand arcs to it")
	require.Equal(t, []handoff{{1, 0}, {1, 2}}, handoffs(view(1, 0, 1, 2), view(2, 0, 2)),
		"a leave: the leaver hands arcs to the others, node 0 among them")
}

// TestCacheWaitsForMemberZero2D: a member still waiting for node 0's
// handoff must not serve the keys node 0 owned before, as for any other
// sender; once node 0 is no longer waited for, it may.
func TestCacheWaitsForMemberZero2D(t *testing.T) {
	prev := newPlacement(Config{Epoch: 1, Members: []int{0, 1}})
	c := &Cache{me: 1, prev: prev, cur: newPlacement(Config{Epoch: 2, Members: []int{1}}), waiting: map[int]bool{0: true}}
	key := ""
	for i := 0; key == ""; i++ {
		if k := fmt.Sprintf("key-%d", i); prev.owner(k) == 0 {
			key = k
		}
	}
	require.False(t, c.arrived(key), "key %q came from node 0, whose handoff has not arrived", key)
	delete(c.waiting, 0)
	require.True(t, c.arrived(key), "node 0's handoff is in: key %q has arrived", key)
}
