package chash

import (
	"math"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// Placement checked against fixed vectors: a few values other
// implementations publish, and values the papers' algorithms give, pinned
// (issue 10). Rendezvous, whose definition is one line, is also checked
// against a naive version. The property tests (balance, moves) hold for any good hash:
// a jump hash with another random stream is just as balanced, but it puts
// every key somewhere else than every other jump hash does, so a client
// written in another language, or a cache filled by the last version,
// looks in the wrong place. Only fixed vectors catch that.

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

// Jump hash's buckets for keys across eight bucket counts, as the paper's
// algorithm (Lamping and Veach, 2014, Figure 1) computes them; they were
// checked against a transcription of that algorithm over 24,000 keys when
// they were pinned. The test holds values, not the algorithm, so that the
// learner's copy does not hand out part 2C.
func TestJumpPinnedVectors2C(t *testing.T) {
	for _, v := range []struct {
		key     uint64
		buckets int
		want    int
	}{
		{0xc4f5a58656eef510, 1, 0},
		{0x9dcec3ad077dec6c, 1, 0},
		{0x730ad2626b1c2f8e, 2, 0},
		{0x21ff2330f4a0ad99, 2, 1},
		{0x657651da3ac4115e, 3, 0},
		{0xc8987376b65a157b, 3, 2},
		{0xa3f6e4a38fef3477, 10, 1},
		{0x3511c6f618e5ce2d, 10, 2},
		{0xf5627d984f77405c, 57, 8},
		{0x75f51f7555362bea, 57, 31},
		{0xf27c36ba3135dd38, 100, 7},
		{0xb2f8040bf3db2caf, 100, 94},
		{0xb2ea9f4a3641bce0, 1000, 32},
		{0xdaa842c4130b474, 1000, 702},
		{0xd2f0b424e7090b87, 65536, 17346},
		{0xd4168dd7c554e776, 65536, 56408},
	} {
		require.Equal(t, v.want, jumpBucket(v.key, v.buckets),
			"jumpBucket(%#x, %d): the paper's algorithm gives %d", v.key, v.buckets, v.want)
	}
}

// Maglev's table for fixed preference lists, filled as Pseudocode 1 of the
// paper fills it (Eisenbud et al., NSDI 2016, §3.4): backends take turns,
// each taking the next free entry of its list permutation[i][j] =
// (offset + j × skip) mod M. TestMaglevPopulateExample2C works the paper's
// own example; these are two more, pinned.
func TestMaglevPopulatePinned2C(t *testing.T) {
	for _, v := range []struct {
		m              int
		offsets, skips []int
		want           []int32
	}{
		{7, []int{2, 1}, []int{4, 3}, []int32{1, 1, 0, 0, 1, 0, 0}},
		{13, []int{8, 9}, []int{3, 4}, []int32{1, 0, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0, 1}},
	} {
		require.Equal(t, v.want, maglevPopulate(v.offsets, v.skips, v.m),
			"M=%d, offsets %v, skips %v: the table differs from Pseudocode 1's", v.m, v.offsets, v.skips)
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
		// The pair's hash: xorshift64*'s output step on the xor of the
		// key's and the member's hashes.
		h := HashKey(key) ^ HashKey(n)
		h ^= h >> 12
		h ^= h << 25
		h ^= h >> 27
		h *= 2685821657736338717
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

// placementDigest folds a sequence of answers into one number, so that a
// test can pin millions of them: any answer that changes changes it.
type placementDigest uint64

func (d *placementDigest) add(x uint64) { *d = placementDigest(mix64(uint64(*d)*0x100000001b3 ^ x)) }

// The owners that jump and rendezvous hashing compute are pinned here over
// many keys and member sets, as digests taken from the code before its
// loops were tuned (issue 14): lab 7's controller and the sharded cache of
// 2D place shards with them, so a faster lookup must give every key the
// same owner, not only a balanced one.
func TestJumpDigest2C(t *testing.T) {
	var d placementDigest
	keys := testKeys(3000)
	for _, n := range []int{1, 2, 3, 5, 8, 9, 31, 64, 100, 257, 512, 1000, 4096, 65537, 1 << 24} {
		for _, k := range keys {
			d.add(uint64(jumpBucket(k, n)))
		}
	}
	require.Equal(t, placementDigest(0x9f829dc1d91b86f6), d, "jump's buckets changed for some key (the digest of 45,000 lookups differs)")
}

func TestRendezvousDigest2C(t *testing.T) {
	var d placementDigest
	keys := testKeys(4000)
	names := memberNames(600)
	sets := [][]string{names[:1], names[:2], names[:3], names[:7], names[:8], names[:9], names[:33], names[:64], names[:100], names[:600]}
	reversed := slices.Clone(names[:50])
	slices.Reverse(reversed)
	sets = append(sets, reversed, []string{"a", "b", "c", "d", "e"})
	for _, set := range sets {
		r, err := NewRendezvous(set...)
		require.NoError(t, err)
		for _, k := range keys {
			d.add(HashKey(r.LookupHash(k)))
		}
		for i := range 500 {
			d.add(HashKey(r.Lookup("key-" + strconv.Itoa(i))))
		}
	}
	w, err := NewRendezvousWeighted(map[string]float64{"a": 1, "b": 2, "c": 0.5, "d": 7, "e": 1})
	require.NoError(t, err)
	for _, k := range keys {
		d.add(HashKey(w.LookupHash(k)))
	}
	require.Equal(t, placementDigest(0x96f4faf185d67ec1), d, "rendezvous's owners changed for some key (the digest of 56,000 lookups differs)")
}
