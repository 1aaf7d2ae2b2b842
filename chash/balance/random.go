package balance

import "math/rand/v2"

// Random sends each request to a server chosen uniformly among those that
// are up. Like round robin it ignores load, but its choices are
// independent: a server's share is right on average, and its queue is
// that of a server with random (Poisson) arrivals, longer than round
// robin's evenly spaced ones.
type Random struct {
	view *View
	rand *rand.Rand
	up   []int // scratch: the servers up at this Pick
}

// NewRandom returns a balancer that picks uniformly at random, drawing from
// r (the client's own stream).
func NewRandom(v *View, r *rand.Rand) *Random { return &Random{view: v, rand: r} }

// Pick returns a server chosen uniformly among those up, or -1.
func (b *Random) Pick(string) int {
	//lab:solution 2E
	b.up = b.view.AppendUp(b.up[:0])
	if len(b.up) == 0 {
		return -1
	}
	return b.up[b.rand.IntN(len(b.up))]
	//lab:stub
	// TODO(2E): draw one of the servers that are up (b.view.AppendUp),
	// each with the same chance, from b.rand.
	//> return -1
	//lab:end
}

// Sent, Replied and Failed: random choice needs no feedback.
func (b *Random) Sent(int)         {}
func (b *Random) Replied(int, int) {}
func (b *Random) Failed(int)       {}
