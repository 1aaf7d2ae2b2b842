package chash

import "slices"

// Jump is jump consistent hash (Lamping and Veach, "A Fast, Minimal Memory,
// Consistent Hash Algorithm", 2014): no table and no points, a few
// nanoseconds and perfect balance in expectation, and on a change from N to
// N+1 buckets exactly the keys that must move to the new bucket do so.
//
// The price is in the interface: members are numbered buckets 0…N−1, and
// only the last one can leave without reshuffling. It suits storage shards
// that grow and shrink at the end, not a cluster whose any server may fail
// (put a replication layer on top for that, as the paper suggests).
type Jump struct {
	names []string // names[b] is the member of bucket b
}

// NewJump returns jump hashing over names: bucket b is names[b]. Growing
// the cluster appends a name; shrinking it must drop the last.
func NewJump(names ...string) (*Jump, error) {
	if err := checkNames(names); err != nil {
		return nil, err
	}
	return &Jump{names: slices.Clone(names)}, nil
}

// Lookup returns the member that owns key.
func (j *Jump) Lookup(key string) string { return j.LookupHash(HashKey(key)) }

// LookupHash returns the member of bucket jumpBucket(h, N).
func (j *Jump) LookupHash(h uint64) string {
	if len(j.names) == 0 {
		return ""
	}
	return j.names[jumpBucket(h, len(j.names))]
}

// Members returns the member names, in bucket order.
func (j *Jump) Members() []string { return slices.Clone(j.names) }

// jumpBucket returns the bucket in [0, buckets) of the key; buckets must
// be at least 1.
//
// Think of growing the cluster one bucket at a time: when bucket j+1 is
// added, a key moves to it with probability 1/(j+1), which is exactly what
// keeps the buckets balanced and moves no more keys than necessary. Rather
// than flip a coin at every size, the paper computes the next size at which
// the key jumps: if the key last jumped to bucket b, the chance that it has
// not jumped again by size j is (b+1)/j, so with r uniform in (0, 1] the
// next jump is at ⌊(b+1)/r⌋. The loop follows the key's jumps, about ln N
// of them, with a 64-bit linear congruential generator seeded by the key
// supplying r.
func jumpBucket(key uint64, buckets int) int {
	//lab:solution 2C
	// Every key is in bucket 0 at size 1, and its first jump is to
	// ⌊1/r⌋. That step is taken out of the loop: with b = 0 the
	// multiplication by b+1 is by 1.0, exact, so it can be left out, and
	// it sits on the chain of dependent instructions that decides how
	// long a lookup takes (b+1 converted, multiplied, truncated).
	key = key*2862933555777941757 + 1
	b, next := 0, int(float64(1<<31)/float64((key>>33)+1))
	for next < buckets {
		b = next
		key = key*2862933555777941757 + 1
		// (b+1)/r with r = ((key>>33)+1)/2^31 in (0, 1]: the top 31 bits
		// of the generator, its most random ones.
		next = int(float64(b+1) * (float64(1<<31) / float64((key>>33)+1)))
	}
	return b
	//lab:stub
	// TODO(2C): follow the key's jumps while they stay below buckets (see
	// the paper's code); a linear congruential generator seeded by the
	// key gives each jump's random number.
	//> return 0
	//lab:end
}
