package labrpc

import "math/rand/v2"

// Streams of randomness. Every random choice in a run derives from the one
// seed, but through separate streams: the network has its own, and each node
// incarnation and each client has its own, keyed by who it is. So a change in
// how often node 2 draws does not shift what node 3 or the network draws, and
// a learner's fix to one node does not reshuffle the whole run.
const (
	streamNetwork uint64 = iota + 1
	streamNode
	streamClient
	streamHarness
	streamClock // a node's clock rate (clock.go)
)

// randStream returns the world's random stream for (kind, id, incarnation).
// Every draw is counted, so that the run-twice check can tell a run that
// ignores its seed (a bug) from one that never needed randomness.
func (w *World) randStream(kind, id, inc uint64) *rand.Rand {
	a := mix(uint64(w.cfg.Seed) ^ mix(kind))
	b := mix(a ^ mix(id<<20^inc))
	return rand.New(countingSource{rand.NewPCG(a, b), &w.draws})
}

type countingSource struct {
	src   *rand.PCG
	draws *int64
}

func (c countingSource) Uint64() uint64 {
	*c.draws++
	return c.src.Uint64()
}

// Draws is the number of random numbers drawn so far, by the network, the
// nodes, the clients and the harness together.
func (w *World) Draws() int64 { return w.draws }

// mix is SplitMix64's finaliser: consecutive inputs give unrelated outputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
