package chash

import "slices"

// ModN is the naive placement, hash mod N: perfectly balanced and as fast
// as it gets, and the reason consistent hashing exists. When N changes,
// a key keeps its member only if h mod N = h mod (N±1), which holds for
// about 1/(N+1) of the keys: nearly every key moves, N/(N+1) of them,
// against the 1/(N+1) a consistent scheme moves. The benchmarks show it as
// the negative control.
type ModN struct {
	names []string
}

// NewModN returns the mod-N placement over names, in the given order.
func NewModN(names ...string) (*ModN, error) {
	if err := checkNames(names); err != nil {
		return nil, err
	}
	return &ModN{names: slices.Clone(names)}, nil
}

// Lookup returns the member that owns key.
func (m *ModN) Lookup(key string) string { return m.LookupHash(HashKey(key)) }

// LookupHash returns names[h mod N].
func (m *ModN) LookupHash(h uint64) string {
	if len(m.names) == 0 {
		return ""
	}
	return m.names[h%uint64(len(m.names))]
}

// Members returns the member names, in bucket order.
func (m *ModN) Members() []string { return slices.Clone(m.names) }
