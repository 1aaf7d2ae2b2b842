package chash

import (
	"fmt"
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
