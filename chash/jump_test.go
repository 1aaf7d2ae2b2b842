package chash

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Part 2C: jump consistent hash.

func mustJump(t testing.TB, names []string) Hasher {
	j, err := NewJump(names...)
	require.NoError(t, err)
	return j
}

func TestJumpBucketRange2C(t *testing.T) {
	// Every key lands in [0, n), and growing n by one either keeps a key
	// in its bucket or moves it to the new bucket n: the property the
	// whole algorithm is built on.
	keys := testKeys(2000)
	for n := 1; n <= 300; n++ {
		for _, k := range keys {
			b := jumpBucket(k, n)
			if b < 0 || b >= n {
				require.Failf(t, "bucket out of range", "jumpBucket(%#x, %d) = %d", k, n, b)
			}
			if n > 1 {
				if prev := jumpBucket(k, n-1); b != prev && b != n-1 {
					require.Failf(t, "key moved between old buckets", "jumpBucket(%#x, %d) = %d but with %d buckets it was %d", k, n, b, n-1, prev)
				}
			}
		}
	}
	require.Equal(t, 0, jumpBucket(12345, 1), "one bucket holds everything")
	used := map[int]bool{}
	for _, k := range keys {
		used[jumpBucket(k, 10)] = true
	}
	require.Len(t, used, 10, "2000 keys over 10 buckets should use every bucket")
}

func TestJumpBalance2C(t *testing.T) {
	// Jump hash is balanced in expectation, so what remains is the
	// sampling noise of the keys, √(N/K) = 1% here.
	keys := testKeys(1_000_000)
	for _, n := range []int{7, 100} {
		checkBalance(t, mustJump(t, memberNames(n)), keys, 0.015, 1.05)
	}
}

func TestJumpMoves2C(t *testing.T) {
	checkMoves(t, mustJump, 50, 1.1, true)
}

func TestJumpLookupHashesAsHashKey2C(t *testing.T) {
	// Lookup may hash the key its own way for speed, but the member must
	// be the one of jumpBucket(HashKey(key)), for keys of every length
	// (whole 8-byte words, a tail of 1 to 7 bytes, or both) and any byte.
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 2, 7, 64, 1000} {
		j, err := NewJump(memberNames(n)...)
		require.NoError(t, err)
		for length := 0; length <= 64; length++ {
			for range 50 {
				b := make([]byte, length)
				for i := range b {
					b[i] = byte(rng.UintN(256))
				}
				key := string(b)
				if got, want := j.Lookup(key), j.LookupHash(HashKey(key)); got != want {
					require.Failf(t, "Lookup differs from LookupHash(HashKey)", "N=%d, key %q (%d bytes): %s, want %s", n, key, length, got, want)
				}
			}
		}
	}
}
