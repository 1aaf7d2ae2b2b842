package balance

import "math/rand/v2"

// TwoChoices draws two distinct servers at random and sends the request to
// the less loaded of the two (Mitzenmacher, "The Power of Two Choices in
// Randomized Load Balancing", 2001; Envoy's least-request balancer).
//
// Two choices get most of the benefit of looking at every server: with n
// servers and random arrivals, the longest queue drops from about
// log n / log log n (one random choice) to log log n / log 2. And they keep
// it when the information is old: the server that looked least loaded is
// in a request's pair only with probability 2/n, so the clients do not all
// pile onto it. The two must be distinct: drawing the same server twice
// is one random choice, with its longer queues.
type TwoChoices struct {
	view     *View
	rand     *rand.Rand
	source   Source
	inflight []int // this client's requests in flight to each server
	up       []int // scratch: the servers up at this Pick
}

// NewTwoChoices returns a two-choices balancer ranking servers by source.
func NewTwoChoices(v *View, r *rand.Rand, source Source) *TwoChoices {
	return &TwoChoices{view: v, rand: r, source: source, inflight: make([]int, v.N())}
}

// load is server i's load by the balancer's source.
func (b *TwoChoices) load(i int) int {
	if b.source == Reported {
		return b.view.Queue(i)
	}
	return b.inflight[i]
}

// Pick draws two distinct servers among those up and returns the less
// loaded (the first drawn on a tie); the only one if one is up; -1 if none.
func (b *TwoChoices) Pick(string) int {
	//lab:solution 2E
	b.up = b.view.AppendUp(b.up[:0])
	switch len(b.up) {
	case 0:
		return -1
	case 1:
		return b.up[0]
	}
	// The second draw is among the other k-1 servers: skip over the first.
	first := b.rand.IntN(len(b.up))
	second := b.rand.IntN(len(b.up) - 1)
	if second >= first {
		second++
	}
	x, y := b.up[first], b.up[second]
	if b.load(y) < b.load(x) {
		return y
	}
	return x
	//lab:stub
	// TODO(2E): draw two distinct servers among those up (b.view.AppendUp)
	// from b.rand, and return the one with the smaller b.load.
	//> return -1
	//lab:end
}

// Sent counts a request in flight to server.
func (b *TwoChoices) Sent(server int) {
	//lab:solution 2E
	b.inflight[server]++
	//lab:stub
	// TODO(2E): count the request in flight.
	//lab:end
}

// Replied counts the request to server as over.
func (b *TwoChoices) Replied(server int, queue int) {
	//lab:solution 2E
	b.inflight[server]--
	//lab:stub
	// TODO(2E): the request is no longer in flight.
	//lab:end
}

// Failed counts the request to server as over.
func (b *TwoChoices) Failed(server int) {
	//lab:solution 2E
	b.inflight[server]--
	//lab:stub
	// TODO(2E): the request is no longer in flight.
	//lab:end
}
