package chash

import (
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
)

// Rendezvous is rendezvous or highest-random-weight hashing (Thaler and
// Ravishankar, "Using Name-Based Mappings to Increase Hit Rates", 1998):
// every member scores the key with a hash of (key, member), and the highest
// score wins. No ring, no table: any member can join or leave, and the only
// keys that move are those it wins or held, so movement is minimal by
// construction. The price is a lookup in O(N), fine for tens of members and
// the slowest of the lot for thousands.
//
// With weights, a member's score is −w/ln(u) for u = hash(key, member)
// mapped into (0, 1) (Schindelhauer and Schomaker, "Weighted Distributed
// Hash Tables", 2005; the "logarithmic method"): since −ln(u) is an
// exponential variable E, the winner is the member with the smallest E/w,
// which is member i with probability exactly w_i/Σw. Multiplying u by the
// weight instead, a common mistake, does not give proportional shares.
type Rendezvous struct {
	names   []string  // in the order given; sorted for weighted members
	seeds   []uint64  // seeds[i] = HashKey(names[i]), computed once
	weights []float64 // weights[i] > 0; nil when uniform
	uniform bool      // all weights equal: the largest hash wins, no logarithm needed
}

// NewRendezvous returns rendezvous hashing over names, all of weight 1.
func NewRendezvous(names ...string) (*Rendezvous, error) {
	return newRendezvous(names, HashKey)
}

// newRendezvous builds over names with seedOf as the names' hash (HashKey,
// or a colliding one in a test). The names keep the order they are given
// in: sorting them cost more than the rest of the build, and the order
// cannot change a lookup. Two members score a key alike only if their
// seeds are equal (score is a bijection of the seed for a given key), and
// then the one first in the list wins: so if two seeds are equal, the
// members are put in name order, and equal scores go to the smaller name,
// as in the weighted form (whose names come sorted out of a map).
func newRendezvous(names []string, seedOf func(string) uint64) (*Rendezvous, error) {
	r := &Rendezvous{names: slices.Clone(names), seeds: make([]uint64, len(names)), uniform: true}
	for i, n := range r.names {
		if n == "" {
			return nil, checkNames(names)
		}
		r.seeds[i] = seedOf(n)
	}
	if !distinct(r.seeds) {
		if err := checkNames(names); err != nil {
			return nil, err // a name listed twice
		}
		slices.Sort(r.names) // two names hash alike: the smaller first
		for i, n := range r.names {
			r.seeds[i] = seedOf(n)
		}
	}
	return r, nil
}

// distinct reports whether no two seeds are equal: pair by pair for a few
// (no allocation), and for more with a set of the seeds (open addressing
// over the top bits, which are uniform), in time linear in their number:
// sorting a copy cost more than hashing the names.
func distinct(seeds []uint64) bool {
	if len(seeds) <= 32 {
		for i, a := range seeds {
			if slices.Contains(seeds[i+1:], a) {
				return false
			}
		}
		return true
	}
	bitCount := bits.Len(uint(len(seeds))) + 1 // at most half full
	set := make([]uint64, 1<<bitCount)
	mask := len(set) - 1
	zero := false // 0 marks an empty slot, so a seed of 0 is noted apart
	for _, s := range seeds {
		if s == 0 {
			if zero {
				return false
			}
			zero = true
			continue
		}
		i := int(s >> (64 - bitCount))
		for set[i] != 0 {
			if set[i] == s {
				return false
			}
			i = (i + 1) & mask
		}
		set[i] = s
	}
	return true
}

// NewRendezvousWeighted returns rendezvous hashing in which member m owns a
// share weights[m]/Σweights of the keys.
func NewRendezvousWeighted(weights map[string]float64) (*Rendezvous, error) {
	r := &Rendezvous{names: slices.Sorted(maps.Keys(weights)), uniform: true}
	for _, n := range r.names {
		w := weights[n]
		if n == "" {
			return nil, fmt.Errorf("chash: a member needs a non-empty name")
		}
		if !(w > 0) || math.IsInf(w, 1) {
			return nil, fmt.Errorf("chash: member %q has weight %v; a weight must be positive and finite", n, w)
		}
		r.seeds = append(r.seeds, HashKey(n))
		r.weights = append(r.weights, w)
		r.uniform = r.uniform && w == r.weights[0]
	}
	if r.uniform {
		r.weights = nil
	}
	return r, nil
}

// Lookup returns the member that owns key.
func (r *Rendezvous) Lookup(key string) string {
	//lab:solution 2C
	// LookupHash's common case written out here: one call fewer per
	// lookup, which at a few members is a tenth of its time.
	h := HashKey(key)
	if r.uniform && len(r.seeds) > 0 {
		return r.names[highest(h, r.seeds)]
	}
	return r.LookupHash(h)
	//lab:stub
	//> return r.LookupHash(HashKey(key))
	//lab:end
}

// LookupHash returns the member with the highest score for h.
func (r *Rendezvous) LookupHash(h uint64) string {
	//lab:solution 2C
	if len(r.names) == 0 {
		return ""
	}
	if r.uniform {
		// −w/ln(u) grows with u when w is the same for all: compare the
		// hashes themselves and skip N logarithms.
		return r.names[highest(h, r.seeds)]
	}
	return r.names[r.highestWeighted(h)]
	//lab:stub
	// TODO(2C): score every member with score(h, seed) and return the
	// highest; with weights, map the score to u in (0, 1) and use
	// −w/ln(u).
	//> return ""
	//lab:end
}

//lab:solution 2C

// highest is the index of the seed with the highest score for h, the first
// of equal ones. seeds must not be empty. The loop is the hot path of every
// uniform lookup, and how it is written matters more than its few
// instructions suggest. Written as below, the compiler makes the update of
// the best a pair of conditional moves: no branch, but each comparison
// waits for the previous one's result. With a branch instead (highestMany)
// the processor guesses "no new best" and runs ahead, and pays a
// misprediction each time a new best comes, about ln N times in N. For a
// few members the mispredictions dominate (the conditional moves are 2.7
// times faster at 8 members, 1.4 at 64), for thousands the waiting does
// (the branch is 10% faster at 4096); at 512 they are level.
func highest(h uint64, seeds []uint64) int {
	if len(seeds) > 512 {
		return highestMany(h, seeds)
	}
	best, bestScore := 0, score(h, seeds[0])
	for i, seed := range seeds[1:] {
		if s := score(h, seed); s > bestScore {
			best, bestScore = i+1, s
		}
	}
	return best
}

// highestMany is highest with a branch that is nearly always predicted:
// the common case (no new best) runs straight through, and the rare update
// comes after a continue.
func highestMany(h uint64, seeds []uint64) int {
	best, bestScore := 0, score(h, seeds[0])
	for i, seed := range seeds[1:] {
		s := score(h, seed)
		if s <= bestScore {
			continue
		}
		best, bestScore = i+1, s
	}
	return best
}

// highestWeighted is the index of the member with the highest −w/ln(u).
func (r *Rendezvous) highestWeighted(h uint64) int {
	best, bestScore := 0, math.Inf(-1)
	for i, seed := range r.seeds {
		u := (float64(score(h, seed)>>11) + 0.5) / (1 << 53) // in (0, 1), never 0 or 1
		if s := -r.weights[i] / math.Log(u); s > bestScore {
			best, bestScore = i, s
		}
	}
	return best
}

//lab:end

// score is the random-looking hash of the pair (key, member). Both inputs
// are already uniform hashes, so their xor needs no full finalizer, only
// enough mixing that different members give independent-looking scores for
// the same key: three xorshifts and one multiplication, the output step of
// Vigna's xorshift64* generator ("An experimental exploration of
// Marsaglia's xorshift generators, scrambled", 2016). The high bits of the
// product depend on every input bit, and the comparison of scores is
// decided by the high bits. One multiply instead of splitmix64's two is a
// quarter of the lookup's time at every N.
func score(h, seed uint64) uint64 {
	x := h ^ seed
	x ^= x >> 12
	x ^= x << 25
	x ^= x >> 27
	return x * 2685821657736338717
}

// Members returns the member names, sorted.
func (r *Rendezvous) Members() []string { return slices.Sorted(slices.Values(r.names)) }
