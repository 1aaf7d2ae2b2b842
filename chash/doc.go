// Package chash is lab 2: consistent hashing. It maps keys to members so that
// a change of membership moves few keys, and compares the classic ways to do
// it:
//
//   - ring.go: the ring with virtual nodes and weights (Karger et al. 1997),
//     and the N distinct owners of a key for replication (part 2A);
//   - bounded.go: consistent hashing with bounded loads (Mirrokni, Thorup and
//     Zadimoghaddam 2018): no member holds more than ⌈c·average⌉ keys (2B);
//   - jump.go, rendezvous.go, maglev.go: jump consistent hash (Lamping and
//     Veach 2014), rendezvous or highest-random-weight hashing (Thaler and
//     Ravishankar 1998), and Maglev's lookup table (Eisenbud et al. 2016),
//     behind the Hasher interface of hasher.go (2C);
//   - cache.go, controller.go, shard.go, migrate.go, router.go: a sharded
//     cache on the simulated network, whose members join, leave and crash
//     while routers send each key to its ring owner and keys migrate to
//     their new owners (2D).
//
// Everything here is deterministic: the same members and keys always give
// the same placement, whatever the order in which they were added.
package chash
