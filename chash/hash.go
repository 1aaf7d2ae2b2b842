package chash

import "math/bits"

// HashKey is the 64-bit hash every placement in this package starts from:
// keys are hashed with it, and so are the names of virtual nodes and members.
//
// Consistent hashing assumes the hash behaves like a random function: points
// spread uniformly, and two similar names ("node-1", "node-2") land far apart.
// A cryptographic hash gives that but costs hundreds of nanoseconds; a weak
// one (the sum of the bytes, FNV without a finalizer) leaves structure that
// shows up as unbalanced load. This one takes FNV-1a's step (xor in the data,
// multiply by a large odd constant) a word at a time instead of a byte at a
// time, then runs the splitmix64 finalizer so that every input bit affects
// every output bit. It does not allocate, which keeps Lookup allocation-free.
func HashKey(key string) uint64 {
	const (
		offset = 0xcbf29ce484222325 // FNV-1a 64-bit offset basis
		prime  = 0x100000001b3      // FNV-1a 64-bit prime
	)
	// Mixing the length in first tells "a" from "a\x00", whose padded last
	// words are the same.
	h := uint64(offset) ^ uint64(len(key))*0x9e3779b97f4a7c15
	for len(key) >= 8 {
		h = (h ^ le64(key)) * prime
		key = key[8:]
	}
	if len(key) > 0 {
		var tail uint64
		for i := len(key) - 1; i >= 0; i-- {
			tail = tail<<8 | uint64(key[i])
		}
		h = (h ^ tail) * prime
	}
	return mix64(h)
}

// le64 reads the first 8 bytes of s as a little-endian word. The compiler
// turns the shifts into one load, with no copy of the string.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// mix64 is the splitmix64 finalizer (Steele, Lea and Flood 2014): a bijection
// on 64-bit words with full avalanche. Rendezvous and Maglev use it to derive
// further independent-looking hashes from one.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// reduce maps a uniform 64-bit hash onto [0, n) without a division: it is
// the high word of h·n (Lemire's "fast range"). A modulo costs 20 to 40
// cycles; this costs one multiplication, which matters for Maglev's lookup.
func reduce(h uint64, n int) int {
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}
