package balance

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Weighted sends each request to server i with probability
//
//	w_i = c_i / Σ c_j
//
// over the servers that are up, where c_i is server i's configured
// capacity (its speed times how many requests it serves at once). A server
// twice as fast gets twice the requests, so each runs at the same
// utilisation. The capacities are configuration, not measurement: a server
// that slows down after it was configured keeps its share, and its queue
// grows.
type Weighted struct {
	view     *View
	rand     *rand.Rand
	capacity []float64 // c_i, > 0
}

// NewWeighted returns a weighted balancer with capacity[i] for server i.
func NewWeighted(v *View, r *rand.Rand, capacity []float64) (*Weighted, error) {
	if len(capacity) != v.N() {
		return nil, fmt.Errorf("balance: %d capacities for %d servers; give one per server (Spec.Capacities)", len(capacity), v.N())
	}
	for i, c := range capacity {
		if !(c > 0) || math.IsInf(c, 0) {
			return nil, fmt.Errorf("balance: server %d has capacity %v; capacities must be positive and finite (1 is a server of nominal speed)", i, c)
		}
	}
	return &Weighted{view: v, rand: r, capacity: append([]float64(nil), capacity...)}, nil
}

// weight is server i's weight: its configured capacity c_i. Its share of
// the requests is weight(i) over the sum of the weights of the servers up.
func (b *Weighted) weight(i int) float64 {
	//lab:solution 2E
	return b.capacity[i]
	//lab:stub
	// TODO(2E): the weight that gives server i the share c_i / Σc_j.
	//> return 0
	//lab:end
}

// Pick draws a server that is up with probability proportional to its
// weight, or returns -1.
func (b *Weighted) Pick(string) int {
	//lab:solution 2E
	total, last := 0.0, -1
	for i := range b.view.N() {
		if b.view.Up(i) {
			total += b.weight(i)
			last = i
		}
	}
	if last < 0 {
		return -1
	}
	// u falls in server i's slice of [0, total) with probability
	// weight(i)/total.
	u := b.rand.Float64() * total
	for i := range b.view.N() {
		if !b.view.Up(i) {
			continue
		}
		if u -= b.weight(i); u < 0 {
			return i
		}
	}
	return last // u was within rounding of total
	//lab:stub
	// TODO(2E): sum the weights of the servers that are up, draw u uniform
	// in [0, total) from b.rand, and return the server whose slice of
	// [0, total) holds u.
	//> return -1
	//lab:end
}

// Sent, Replied and Failed: weighted choice needs no feedback.
func (b *Weighted) Sent(int)         {}
func (b *Weighted) Replied(int, int) {}
func (b *Weighted) Failed(int)       {}
