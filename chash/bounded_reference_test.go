package chash

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The reference's self-check of its private table (checkIndex), tested on
// tables broken one invariant at a time. This file reads fields that only
// the reference's Bounded has, so it stays out of the learner's copy (a
// file named *_reference_test.go; see docs/markers.md). The other tests
// trust checkIndex to say "nil" only of a sound table: here it must name
// each kind of damage.

// indexedBounded is a Bounded with five members and 400 keys at c = 1.1,
// tight enough that some keys overflow past their first member.
func indexedBounded(t *testing.T) *Bounded {
	t.Helper()
	b, err := NewBounded(1.1, 0)
	require.NoError(t, err)
	_, err = b.AddMembers("a", "b", "c", "d", "e")
	require.NoError(t, err)
	for i := range 400 {
		_, err := b.AddKey(fmt.Sprintf("key-%d", i))
		require.NoError(t, err)
	}
	require.NoError(t, b.checkIndex(), "the table as Bounded builds it")
	return b
}

// overflowedSlot is the slot of a key that overflowed into a member with at
// least two overflowed keys.
func overflowedSlot(t *testing.T, b *Bounded) int {
	t.Helper()
	for i, s := range b.slots {
		if s.at != 0 && s.over >= 0 && len(b.members[s.at].over) >= 2 {
			return i
		}
	}
	require.FailNow(t, "no member has two overflowed keys: the table is too loose for the test")
	return -1
}

// homeSlot is the slot of a key that is at home, with an empty slot after
// it: it can move without changing any other key's probe.
func homeSlot(t *testing.T, b *Bounded) int {
	t.Helper()
	mask := len(b.slots) - 1
	for i, s := range b.slots {
		if s.at != 0 && int(s.h>>b.shift) == i && b.slots[(i+1)&mask].at == 0 {
			return i
		}
	}
	require.FailNow(t, "no key sits at home before an empty slot")
	return -1
}

func TestCheckIndexNamesTheDamage2B(t *testing.T) {
	for _, tc := range []struct {
		damage string
		apply  func(t *testing.T, b *Bounded)
		want   string // a phrase of checkIndex's error
	}{
		{"a name that is not on the ring", func(t *testing.T, b *Bounded) {
			b.ids["f"] = b.byRing[0]
		}, "by name"},
		{"a ring index pointing at another member", func(t *testing.T, b *Bounded) {
			b.byRing[0], b.byRing[1] = b.byRing[1], b.byRing[0]
		}, "ring member"},
		{"a member record renamed", func(t *testing.T, b *Bounded) {
			b.members[b.byRing[0]].name = "z"
		}, "ring member"},
		{"a name mapped to another member's id", func(t *testing.T, b *Bounded) {
			name := b.ring.names[0]
			b.ids[name] = b.byRing[1]
		}, "ring member"},
		{"a key its probe cannot reach", func(t *testing.T, b *Bounded) {
			i := homeSlot(t, b)
			mask := len(b.slots) - 1
			// Back from its home, over the run before it, to an empty slot:
			// the probe starts after it and never wraps around to it.
			j := (i - 1) & mask
			for b.slots[j].at != 0 {
				j = (j - 1) & mask
			}
			b.slots[j], b.slots[i] = b.slots[i], keySlot{}
		}, "a probe for its hash finds"},
		{"an overflowed key recorded as at home", func(t *testing.T, b *Bounded) {
			i := overflowedSlot(t, b)
			b.slots[i].over = -1
		}, "overflowed is true, but its record says false"},
		{"a key at home recorded as overflowed", func(t *testing.T, b *Bounded) {
			i := homeSlot(t, b)
			require.Negative(t, b.slots[i].over)
			b.slots[i].over = 0
		}, "overflowed is false, but its record says true"},
		{"an overflow record one past its member's list", func(t *testing.T, b *Bounded) {
			i := overflowedSlot(t, b)
			b.slots[i].over = int32(len(b.members[b.slots[i].at].over))
		}, "which do not hold it there"},
		{"an overflow record at another key's place", func(t *testing.T, b *Bounded) {
			i := overflowedSlot(t, b)
			m := &b.members[b.slots[i].at]
			b.slots[i].over = (b.slots[i].over + 1) % int32(len(m.over))
		}, "which do not hold it there"},
		{"an overflowed key's entry with another hash", func(t *testing.T, b *Bounded) {
			i := overflowedSlot(t, b)
			m := &b.members[b.slots[i].at]
			m.over[b.slots[i].over].h ^= 1
		}, "which do not hold it there"},
		{"an overflowed key's landing moved", func(t *testing.T, b *Bounded) {
			i := overflowedSlot(t, b)
			m := &b.members[b.slots[i].at]
			m.over[b.slots[i].over].landing++
		}, "overflowed into"},
		{"a member's load one too high", func(t *testing.T, b *Bounded) {
			b.members[b.byRing[2]].load++
		}, "but its load says"},
		{"a member's load one too low", func(t *testing.T, b *Bounded) {
			b.members[b.byRing[2]].load--
		}, "but its load says"},
		{"the key count one too high", func(t *testing.T, b *Bounded) {
			b.count++
		}, "keys in the table"},
		{"an overflow entry that no key records", func(t *testing.T, b *Bounded) {
			m := &b.members[b.byRing[0]]
			m.over = append(m.over, overflowed{h: 1, landing: 1})
		}, "keys in the table"},
	} {
		t.Run(tc.damage, func(t *testing.T) {
			b := indexedBounded(t)
			tc.apply(t, b)
			err := b.checkIndex()
			require.Error(t, err, "checkIndex must notice %s", tc.damage)
			require.Contains(t, err.Error(), tc.want, "checkIndex must name the damage (%s)", tc.damage)
		})
	}
}

// sortFirstByName must order keys as their names compare, whatever bytes
// they hold and however long a prefix they share: it compares 16-byte
// prefixes read as two big-endian words, then whole names, and selects the
// n smallest before sorting only those. Names here draw bytes from a small
// alphabet that includes 0x00, 0x7f, 0x80 and 0xff, at lengths 0 to 24,
// and share most of their bytes, so that they tie on prefixes of every
// length and differ at every byte.
func TestSortFirstByNameIsByteOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0x7f, 0x80, 0xfe, 0xff}
	for round := range 300 {
		seen := map[string]bool{}
		var names []string
		// Each name is one base name with one to three bytes changed and
		// cut at a random length, so two names often agree up to the
		// byte where one of them was changed.
		base := make([]byte, 24)
		for i := range base {
			base[i] = alphabet[rng.IntN(len(alphabet))]
		}
		for count := 1 + rng.IntN(60); len(names) < count; {
			name := slices.Clone(base[:rng.IntN(25)])
			for range 1 + rng.IntN(3) {
				if len(name) > 0 {
					name[rng.IntN(len(name))] = alphabet[rng.IntN(len(alphabet))]
				}
			}
			if !seen[string(name)] {
				seen[string(name)] = true
				names = append(names, string(name))
			}
		}
		b := &Bounded{slots: make([]keySlot, len(names))}
		slots := make([]int, len(names))
		for i, name := range names {
			b.slots[i].name = name
			slots[i] = i
		}
		n := rng.IntN(len(names) + 1)
		b.sortFirstByName(slots, n)
		got := make([]string, n)
		for i, s := range slots[:n] {
			got[i] = b.slots[s].name
		}
		want := slices.Sorted(slices.Values(names))[:n]
		require.Equal(t, want, got, "round %d: the %d smallest of %d names, in order", round, n, len(names))
		require.ElementsMatch(t, names, func() []string {
			all := make([]string, len(slots))
			for i, s := range slots {
				all[i] = b.slots[s].name
			}
			return all
		}(), "round %d: every slot is still there", round)
	}
}
