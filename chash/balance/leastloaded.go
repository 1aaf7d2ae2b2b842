package balance

import "math/rand/v2"

// LeastLoaded sends each request to the server with the least load the
// client knows of, a tie going to one of the tied servers at random.
//
// With Source Outstanding, the load is the client's own requests in flight
// to each server: counted up in Sent, down in Replied and Failed. It is
// always up to date, but it sees only this client's share of the traffic.
//
// With Source Reported, the load is each server's queue length in the last
// load report. It sees every client's requests, but as they were when the
// report was taken, and every client sees the same report. Between two
// reports they all send every request to the same server, the one that
// looked least loaded: the herd (Mitzenmacher, "How Useful Is Old
// Information?", 2000). The older the report, the longer the herd lasts
// and the longer that server's queue grows.
type LeastLoaded struct {
	view     *View
	rand     *rand.Rand
	source   Source
	inflight []int // this client's requests in flight to each server
}

// NewLeastLoaded returns a least-loaded balancer ranking servers by source.
func NewLeastLoaded(v *View, r *rand.Rand, source Source) *LeastLoaded {
	return &LeastLoaded{view: v, rand: r, source: source, inflight: make([]int, v.N())}
}

// load is server i's load by the balancer's source.
func (b *LeastLoaded) load(i int) int {
	if b.source == Reported {
		return b.view.Queue(i)
	}
	return b.inflight[i]
}

// Pick returns the server that is up with the least load, a tie broken at
// random, or -1.
func (b *LeastLoaded) Pick(string) int {
	//lab:solution 2E
	best, least, ties := -1, 0, 0
	for i := range b.view.N() {
		if !b.view.Up(i) {
			continue
		}
		switch l := b.load(i); {
		case best < 0 || l < least:
			best, least, ties = i, l, 1
		case l == least:
			// The ties-th server of equal load replaces the choice with
			// probability 1/ties, so each tied server ends up chosen with
			// the same chance. Always taking the first would send every
			// idle client's requests to server 0.
			ties++
			if b.rand.IntN(ties) == 0 {
				best = i
			}
		}
	}
	return best
	//lab:stub
	// TODO(2E): among the servers that are up, return one with the least
	// b.load; choose among equally loaded ones at random (b.rand), each
	// with the same chance.
	//> return -1
	//lab:end
}

// Sent counts a request in flight to server.
func (b *LeastLoaded) Sent(server int) {
	//lab:solution 2E
	b.inflight[server]++
	//lab:stub
	// TODO(2E): count the request in flight.
	//lab:end
}

// Replied counts the request to server as over.
func (b *LeastLoaded) Replied(server int, queue int) {
	//lab:solution 2E
	b.inflight[server]--
	//lab:stub
	// TODO(2E): the request is no longer in flight.
	//lab:end
}

// Failed counts the request to server as over.
func (b *LeastLoaded) Failed(server int) {
	//lab:solution 2E
	b.inflight[server]--
	//lab:stub
	// TODO(2E): the request is no longer in flight.
	//lab:end
}
