package chash

// A Hasher maps keys to members. The Ring of part 2A and the alternatives of
// part 2C (Jump, Rendezvous, Maglev, and ModN as the negative control) all
// implement it, so tests and tools can compare them on the same keys.
//
// The interface is for comparing, not for the hot path: a call through an
// interface cannot be inlined, so the benchmarks call each concrete type.
type Hasher interface {
	// Lookup returns the member that owns key, "" if there are no members.
	Lookup(key string) string
	// LookupHash is Lookup for a key already hashed with HashKey.
	LookupHash(h uint64) string
	// Members returns the member names.
	Members() []string
}

var (
	_ Hasher = (*Ring)(nil)
	_ Hasher = (*Jump)(nil)
	_ Hasher = (*Rendezvous)(nil)
	_ Hasher = (*Maglev)(nil)
	_ Hasher = (*ModN)(nil)
)
