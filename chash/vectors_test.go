package chash

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// Placement checked against the papers' algorithms, written out again here
// as plainly as the papers give them, and against a few published values
// (issue 10). The property tests (balance, moves) hold for any good hash:
// a jump hash with another random stream is just as balanced, but it puts
// every key somewhere else than every other jump hash does, so a client
// written in another language, or a cache filled by the last version,
// looks in the wrong place. Only fixed vectors catch that.

// paperJump is jump consistent hash as Lamping and Veach give it (A Fast,
// Minimal Memory, Consistent Hash Algorithm, 2014, Figure 1): follow the
// key's jumps, drawing each from a 64-bit linear congruential generator,
// until a jump lands past the last bucket.
func paperJump(key uint64, numBuckets int32) int32 {
	var b, j int64 = -1, 0
	for j < int64(numBuckets) {
		b = j
		key = key*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((key>>33)+1)))
	}
	return int32(b)
}

func TestJumpPublishedVectors2C(t *testing.T) {
	// Values that other implementations of the paper's algorithm publish
	// in their tests: any jump hash must agree with them.
	for _, v := range []struct {
		key     uint64
		buckets int
		want    int
	}{
		{1, 1, 0},
		{42, 57, 43},
		{0xDEAD10CC, 1, 0},
		{0xDEAD10CC, 666, 361},
		{256, 1024, 520},
	} {
		require.Equal(t, v.want, jumpBucket(v.key, v.buckets),
			"jumpBucket(%#x, %d): the paper's algorithm gives %d; a different random stream (the LCG's multiplier, its +1, or the 31 bits taken from it) balances as well but puts keys elsewhere", v.key, v.buckets, v.want)
	}
}

func TestJumpMatchesPaper2C(t *testing.T) {
	keys := testKeys(3000)
	for _, n := range []int{1, 2, 3, 10, 57, 100, 1000, 65536} {
		for _, k := range keys {
			if got, want := jumpBucket(k, n), int(paperJump(k, int32(n))); got != want {
				require.Failf(t, "jump hash differs from the paper's", "jumpBucket(%#x, %d) = %d, the paper's algorithm gives %d", k, n, got, want)
			}
		}
	}
}

// paperMaglevTable is Pseudocode 1 of the Maglev paper (Eisenbud et al.,
// NSDI 2016, §3.4), with each backend's whole preference list written out
// first: permutation[i][j] = (offset + j × skip) mod M.
func paperMaglevTable(offsets, skips []int, m int) []int32 {
	n := len(offsets)
	permutation := make([][]int, n)
	for i := range permutation {
		permutation[i] = make([]int, m)
		for j := 0; j < m; j++ {
			permutation[i][j] = (offsets[i] + j*skips[i]) % m
		}
	}
	next := make([]int, n)
	entry := make([]int32, m)
	for j := range entry {
		entry[j] = -1
	}
	filled := 0
	for {
		for i := 0; i < n; i++ {
			c := permutation[i][next[i]]
			for entry[c] >= 0 {
				next[i]++
				c = permutation[i][next[i]]
			}
			entry[c] = int32(i)
			next[i]++
			filled++
			if filled == m {
				return entry
			}
		}
	}
}

func TestMaglevPopulateMatchesPaper2C(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, m := range []int{7, 13, 101, 251, 1009} {
		for trial := 0; trial < 20; trial++ {
			n := 1 + rng.IntN(min(m, 12))
			offsets, skips := make([]int, n), make([]int, n)
			for i := range offsets {
				offsets[i], skips[i] = rng.IntN(m), 1+rng.IntN(m-1)
			}
			require.Equal(t, paperMaglevTable(offsets, skips, m), maglevPopulate(offsets, skips, m),
				"M=%d, offsets %v, skips %v: the table differs from Pseudocode 1's", m, offsets, skips)
		}
	}
	// The permutation of each name is the paper's: an offset in [0, M) and
	// a skip in [1, M-1], so that every preference list covers the table.
	for _, name := range memberNames(50) {
		for _, m := range []int{7, 101, 65537} {
			offset, skip := maglevPermutation(name, m)
			require.True(t, offset >= 0 && offset < m && skip >= 1 && skip <= m-1, "%s, M=%d: offset %d, skip %d", name, m, offset, skip)
		}
	}
}

// naiveRendezvous is highest random weight (Thaler and Ravishankar, 1998):
// score every member for the key and take the highest; here equal scores go
// to the smaller name. Weighted, a member's score is -w / ln(u), with u its
// hash mapped into (0, 1) (Schindelhauer and Schomaker's logarithmic
// method), so that it wins in proportion to its weight.
func naiveRendezvous(key string, weights map[string]float64) string {
	names := make([]string, 0, len(weights))
	for n := range weights {
		names = append(names, n)
	}
	slices.Sort(names)
	best, bestScore := "", math.Inf(-1)
	for _, n := range names {
		h := mix64(HashKey(key) ^ HashKey(n))
		u := (float64(h>>11) + 0.5) / (1 << 53)
		if s := -weights[n] / math.Log(u); s > bestScore {
			best, bestScore = n, s
		}
	}
	return best
}

func TestRendezvousMatchesNaive2C(t *testing.T) {
	uniform := map[string]float64{}
	for _, n := range memberNames(9) {
		uniform[n] = 1
	}
	weighted := map[string]float64{"a": 1, "b": 2, "c": 0.5, "d": 7}
	for _, weights := range []map[string]float64{uniform, weighted} {
		r, err := NewRendezvousWeighted(weights)
		require.NoError(t, err)
		for i := 0; i < 20000; i++ {
			key := "key-" + strconv.Itoa(i)
			if got, want := r.Lookup(key), naiveRendezvous(key, weights); got != want {
				require.Failf(t, "rendezvous differs from the naive version", "key %q, weights %v: Lookup gives %s, highest random weight gives %s", key, weights, got, want)
			}
		}
	}
}
