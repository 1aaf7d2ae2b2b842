package chash

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// naiveBounded is bounded loads the plain way: every join looks at every
// key, in the order of their names. Bounded keeps an index so that a join
// and a leave cost time in the keys they can move; the index must not
// change a single move.
type naiveBounded struct {
	t      testing.TB
	ring   *Ring
	cMilli int
	owner  map[string]string
	load   map[string]int
}

func (n *naiveBounded) capacity() int { return capacity(len(n.owner), len(n.load), n.cMilli) }

// walk returns the first member from h's point on that satisfies ok.
func (n *naiveBounded) walk(h uint64, ok func(string) bool) string {
	r := n.ring
	start := r.search(h)
	for k := 0; k < len(r.points); k++ {
		at := (start + k) % len(r.points)
		if m := r.names[r.owners[at]]; ok(m) {
			return m
		}
	}
	return ""
}

func (n *naiveBounded) move(key, to string, moves []Move) []Move {
	from := n.owner[key]
	n.load[from]--
	n.load[to]++
	n.owner[key] = to
	return append(moves, Move{key, from, to})
}

// requireRoom stops the test when the model's walk found no member with
// room: the capacity, from the code under test, leaves none, and shedding
// would go on forever.
func (n *naiveBounded) requireRoom(to string, c int) {
	n.t.Helper()
	if to == "" {
		n.t.Fatalf("no member has a load below the capacity %d (%d keys, %d members, c = %d/1000): the capacity must be at least the mean load, rounded up", c, len(n.owner), len(n.load), n.cMilli)
	}
}

func (n *naiveBounded) shed(moves []Move) []Move {
	c := n.capacity()
	for _, m := range slices.Sorted(maps.Keys(n.load)) {
		for n.load[m] > c {
			// The smallest overflowed key, else the smallest key.
			best, bestHome := "", true
			for key, at := range n.owner {
				if at != m {
					continue
				}
				home := n.ring.Lookup(key) == m
				if best == "" || (!home && bestHome) || (home == bestHome && key < best) {
					best, bestHome = key, home
				}
			}
			n.load[m]--
			to := n.walk(HashKey(best), func(x string) bool { return x != m && n.load[x] < c })
			n.load[m]++
			n.requireRoom(to, c)
			moves = n.move(best, to, moves)
		}
	}
	return moves
}

// requireSameMoves checks that two changes moved the same keys from and to
// the same members. The order of the list is not part of the result: a key
// moves at most once in a change (a member that receives keys ends at or
// below the capacity, and only members above it pass keys on), so the
// moves, sorted by key, must be equal.
func requireSameMoves(t *testing.T, want, got []Move, msgAndArgs ...any) {
	t.Helper()
	byKey := func(moves []Move) []Move {
		s := append([]Move{}, moves...)
		slices.SortFunc(s, func(x, y Move) int { return strings.Compare(x.Key, y.Key) })
		return s
	}
	require.Equal(t, byKey(want), byKey(got), msgAndArgs...)
}

func TestBoundedIndexMatchesNaive2B(t *testing.T) {
	// Random churn of keys and members, at a tight and a loose capacity
	// and with few points (long walks, many overflowed keys): every
	// change must give exactly the moves of the naive version. At c = 1.05
	// the keys' names share their first eight bytes, so ordering them by
	// name takes more than a word of each.
	for _, c := range []float64{1.0, 1.05, 1.25} {
		rng := rand.New(rand.NewPCG(7, uint64(c*1000)))
		keyFormat := "k%d"
		if c == 1.05 {
			keyFormat = "shared-prefix/%d"
		}
		b, err := NewBounded(c, 8)
		require.NoError(t, err)
		n := &naiveBounded{t: t, ring: NewRing(8), cMilli: b.cMilli, owner: map[string]string{}, load: map[string]int{}}
		var members []string
		next := 0
		join := func() {
			name := fmt.Sprintf("m%d", next)
			next++
			got, err := b.AddMember(name)
			require.NoError(t, err)
			require.NoError(t, n.ring.Add(name))
			n.load[name] = 0
			c := n.capacity()
			var want []Move
			for _, key := range slices.Sorted(maps.Keys(n.owner)) {
				if n.load[name] >= c {
					break
				}
				from := n.owner[key]
				if n.walk(HashKey(key), func(x string) bool { return x == name || x == from }) == name {
					want = n.move(key, name, want)
				}
			}
			requireSameMoves(t, n.shed(want), got, "c=%v: join of %s", c, name)
			members = append(members, name)
		}
		for range 6 {
			join()
		}
		for step := range 3000 {
			switch k := rng.IntN(100); {
			case k < 60:
				key := fmt.Sprintf(keyFormat, rng.IntN(4000))
				to, err := b.AddKey(key)
				require.NoError(t, err)
				if _, ok := n.owner[key]; !ok {
					n.owner[key] = ""
					c := n.capacity()
					n.owner[key] = n.walk(HashKey(key), func(x string) bool { return n.load[x] < c })
					n.requireRoom(n.owner[key], c)
					n.load[n.owner[key]]++
				}
				require.Equal(t, n.owner[key], to, "c=%v step %d: AddKey(%s)", c, step, key)
			case k < 85:
				key := fmt.Sprintf(keyFormat, rng.IntN(4000))
				var want []Move
				if from, ok := n.owner[key]; ok {
					delete(n.owner, key)
					n.load[from]--
					want = n.shed(nil)
				}
				requireSameMoves(t, want, b.RemoveKey(key), "c=%v step %d: RemoveKey(%s)", c, step, key)
				require.Empty(t, b.Lookup(key), "c=%v step %d: a removed key has no member", c, step)
				require.Equal(t, len(n.owner), b.Len(), "c=%v step %d: Len after RemoveKey(%s)", c, step, key)
			case k < 93 || len(members) < 3:
				join()
			default:
				i := rng.IntN(len(members))
				name := members[i]
				members = slices.Delete(members, i, i+1)
				got, err := b.RemoveMember(name)
				require.NoError(t, err)
				require.NoError(t, n.ring.Remove(name))
				delete(n.load, name)
				c := n.capacity()
				var want []Move
				for _, key := range slices.Sorted(maps.Keys(n.owner)) {
					if n.owner[key] == name {
						n.load[name]++ // counted until it moves
						want = n.move(key, n.walk(HashKey(key), func(x string) bool { return x != name && n.load[x] < c }), want)
						delete(n.load, name)
					}
				}
				requireSameMoves(t, want, got, "c=%v step %d: leave of %s", c, step, name)
			}
			require.NoError(t, b.checkIndex(), "c=%v step %d: the index after the change", c, step)
		}
	}
}
