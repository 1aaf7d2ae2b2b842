package chash

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// The reference ring changes its arrays in place on a single join (insert)
// and a leave (drop), and shifts its bucket index instead of building it
// again. This file checks those against rebuild, the plain construction of
// 2A, after every change of a long random history. It reads the reference's
// private helpers, so it stays out of the learner's copy (a file named
// *_reference_test.go; see docs/markers.md).

// rebuiltLike is a ring with r's members in r's order, built from scratch.
func rebuiltLike(r *Ring) *Ring {
	f := &Ring{vnodes: r.vnodes, hash: r.hash, members: slices.Clone(r.members)}
	f.rebuild()
	return f
}

func TestRingInPlaceChangesMatchRebuild(t *testing.T) {
	// coarse keeps 6 bits of a hash, so that points often share a position
	// and the order by name among them is exercised too.
	coarse := func(s string) uint64 { return HashKey(s) &^ (1<<58 - 1) }
	for _, hash := range []func(string) uint64{HashKey, coarse} {
		for _, vnodes := range []int{1, 3, 20} {
			rng := rand.New(rand.NewPCG(uint64(vnodes), 7))
			r := NewRingWithHash(vnodes, hash)
			var on []string
			next := 0
			for step := range 400 {
				switch {
				case len(on) == 0 || rng.IntN(3) > 0:
					name := fmt.Sprintf("m%d", next)
					next++
					if rng.IntN(4) == 0 {
						require.NoError(t, r.AddWeighted(name, 0.5+rng.Float64()*2))
					} else {
						require.NoError(t, r.Add(name))
					}
					on = append(on, name)
				default:
					k := 1 + rng.IntN(min(3, len(on)))
					var gone []string
					for range k {
						i := rng.IntN(len(on))
						gone = append(gone, on[i])
						on = slices.Delete(on, i, i+1)
					}
					if rng.IntN(5) == 0 {
						gone = append(gone, gone[0]) // a name listed twice
					}
					require.NoError(t, r.Remove(gone...))
				}
				f := rebuiltLike(r)
				where := fmt.Sprintf("vnodes %d, step %d, %d members", vnodes, step, len(on))
				require.Equal(t, f.points, r.points, "points after in-place changes, %s", where)
				require.Equal(t, f.owners, r.owners, "owners, %s", where)
				require.Equal(t, f.names, r.names, "names, %s", where)
				require.Equal(t, f.shift, r.shift, "bucket shift, %s", where)
				require.Equal(t, f.buckets, r.buckets, "bucket index, %s", where)
			}
		}
	}
}

func TestRingRemoveNothingOrTwice(t *testing.T) {
	r := NewRing(10)
	require.NoError(t, r.Add("a", "b", "c"))
	before := slices.Clone(r.points)
	require.NoError(t, r.Remove(), "removing no member")
	require.Equal(t, before, r.points, "removing no member changes nothing")
	require.NoError(t, r.Remove("a", "a"), "a member listed twice")
	require.Equal(t, []string{"b", "c"}, r.Members())
	require.Equal(t, rebuiltLike(r).points, r.points)
}
