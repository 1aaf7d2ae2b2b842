package chash

import (
	"testing"

	"protolab/labrpc"
)

// BenchmarkCacheMoves measures the sharded cache of part 2D on the
// simulated network, 1000 keys per member:
//
//	go test ./chash -run '^$' -bench CacheMoves
//
//	join-moved/ideal   keys migrated when member N+1 joins N = 8, over K/(N+1)
//	leave-moved/ideal  keys migrated when a member leaves N = 9, over K/N
//	msgs/migrated-key  Migrate requests per key migrated, retries included
//	bytes/migrated-key Migrate requests and replies, in bytes, per key migrated
//
// The figures are virtual-time counts, the same on every machine and every
// run: the network is reliable, so each change costs one Migrate per pair
// of members that exchange arcs, and a key costs its own bytes plus a
// share of the message.
func BenchmarkCacheMoves(b *testing.B) {
	const n, perMember = 8, 1000
	var join, leave change
	for b.Loop() {
		w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n + 2})
		c := startCache(b, w, n)
		keys := cacheKeys(n * perMember)
		c.load(keys, 16)
		join = c.measure(keys, float64(len(keys))/(n+1), func() { c.join() })
		leave = c.measure(keys, float64(len(keys))/(n+1), func() { c.leave(3) })
		w.Close()
	}
	moved := float64(join.moved + leave.moved)
	b.ReportMetric(join.ratio(), "join-moved/ideal")
	b.ReportMetric(leave.ratio(), "leave-moved/ideal")
	b.ReportMetric(float64(join.migrates+leave.migrates)/moved, "msgs/migrated-key")
	b.ReportMetric(float64(join.bytes+leave.bytes)/moved, "bytes/migrated-key")
	b.ReportMetric(0, "ns/op")
}
