package chash

import (
	"fmt"
	"slices"
)

// Maglev is the lookup-table hashing of Google's Maglev load balancer
// (Eisenbud et al., "Maglev: A Fast and Reliable Software Network Load
// Balancer", NSDI 2016, §3.4). A table of M entries, M prime, is filled so
// that every member gets ⌊M/N⌋ or ⌈M/N⌉ entries; a lookup is one multiply
// and one load, the fastest of all here, and the balance is nearly perfect.
// The price is movement: a change of membership moves somewhat more than
// the minimal share of keys (the paper trades that for balance), and
// rebuilding the table costs O(M log M).
type Maglev struct {
	names []string // sorted
	table []int32  // table[i] is the index in names of the entry's member
}

// MaglevTableSize is the table size Maglev uses for n members: the smallest
// prime at least 100·n. The paper asks for M prime (so that each member's
// preference list is a permutation of the table) and M ≫ N, and 100·N keeps
// the members' shares of the table within about 1% of each other (§3.4).
func MaglevTableSize(n int) int {
	//lab:solution 2C
	return nextPrime(max(100*n, 2))
	//lab:stub
	// TODO(2C): the smallest prime at least 100·n.
	//> return 100 * n
	//lab:end
}

// NewMaglev builds the lookup table for names. size 0 means
// MaglevTableSize(len(names)); another size must be a prime at least
// len(names).
func NewMaglev(size int, names ...string) (*Maglev, error) {
	if err := checkNames(names); err != nil {
		return nil, err
	}
	if size == 0 {
		size = MaglevTableSize(len(names))
	}
	if size < len(names) || !isPrime(size) {
		return nil, fmt.Errorf("chash: Maglev table size %d must be a prime at least the number of members (%d); 0 picks MaglevTableSize", size, len(names))
	}
	m := &Maglev{names: slices.Sorted(slices.Values(names))}
	offsets := make([]int, len(m.names))
	skips := make([]int, len(m.names))
	for i, n := range m.names {
		offsets[i], skips[i] = maglevPermutation(n, size)
	}
	m.table = maglevPopulate(offsets, skips, size)
	return m, nil
}

// maglevPermutation returns the member's preference list over the table,
// as the paper defines it: entry j of the list is (offset + j·skip) mod M,
// with offset from one hash of the name and skip from another.
func maglevPermutation(name string, size int) (offset, skip int) {
	//lab:solution 2C
	h1 := HashKey(name)
	h2 := mix64(h1 ^ 0x5bd1e9955bd1e995) // a second, independent-looking hash
	// skip is in [1, M−1]: never 0, and coprime with the prime M, so the
	// list visits every entry exactly once.
	return int(h1 % uint64(size)), int(h2%uint64(size-1)) + 1
	//lab:stub
	// TODO(2C): offset = h1 mod M, skip = h2 mod (M−1) + 1 for two
	// independent hashes of the name (§3.4).
	//> return 0, 1
	//lab:end
}

// maglevPopulate fills the table (§3.4, Pseudocode 1): members take turns,
// each claiming the next entry of its preference list that is still free,
// until every entry is taken. The turns are what make the shares differ by
// at most one entry; the preference lists are what make most entries keep
// their member when another member joins or leaves.
func maglevPopulate(offsets, skips []int, size int) []int32 {
	table := make([]int32, size)
	//lab:solution 2C
	if len(offsets) == 0 {
		return table[:0]
	}
	for i := range table {
		table[i] = -1
	}
	next := make([]int, len(offsets)) // how far down its list each member has looked
	for filled := 0; ; {
		for i := range offsets {
			c := (offsets[i] + next[i]*skips[i]) % size
			for table[c] >= 0 {
				next[i]++
				if next[i] >= size {
					panic(fmt.Sprintf("chash: Maglev member %d found no free entry in its whole preference list: the table size %d must be prime", i, size))
				}
				c = (offsets[i] + next[i]*skips[i]) % size
			}
			table[c] = int32(i)
			next[i]++
			if filled++; filled == size {
				return table
			}
		}
	}
	//lab:stub
	// TODO(2C): members take turns; each claims the first free entry
	// further down its preference list (offset + j·skip) mod size.
	//> return table
	//lab:end
}

// Lookup returns the member that owns key.
func (m *Maglev) Lookup(key string) string { return m.LookupHash(HashKey(key)) }

// LookupHash returns the member of the table entry h falls into. The entry
// is the high word of h·M rather than h mod M: the same uniform spread,
// without a division.
func (m *Maglev) LookupHash(h uint64) string {
	//lab:solution 2C
	if len(m.table) == 0 {
		return ""
	}
	return m.names[m.table[reduce(h, len(m.table))]]
	//lab:stub
	// TODO(2C): map h onto an entry (reduce(h, M)) and return its member.
	//> return ""
	//lab:end
}

// Members returns the member names, sorted.
func (m *Maglev) Members() []string { return slices.Clone(m.names) }

// isPrime reports whether n is prime, by trial division: table sizes are
// below a billion, so this takes microseconds.
func isPrime(n int) bool {
	if n < 2 {
		return false
	}
	for d := 2; d*d <= n; d++ {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// nextPrime is the smallest prime at least n.
func nextPrime(n int) int {
	for !isPrime(n) {
		n++
	}
	return n
}
