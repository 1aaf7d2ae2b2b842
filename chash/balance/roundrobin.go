package balance

// RoundRobin sends each request to the next server in turn: 0, 1, 2, …,
// N−1, 0, …, passing over the servers that are down. It uses no load
// information at all, so it is only as good as the servers are alike: a
// server at half speed gets as many requests as the others, and its queue
// grows whenever the load is above half its share.
type RoundRobin struct {
	view *View
	next int // the server to try first at the next Pick
}

// NewRoundRobin returns a round-robin balancer over v's servers, starting
// at server 0.
func NewRoundRobin(v *View) *RoundRobin { return &RoundRobin{view: v} }

// Pick returns the next server in turn that is up, and moves the turn past
// it; -1 if every server is down.
func (b *RoundRobin) Pick(string) int {
	//lab:solution 2E
	n := b.view.N()
	for j := range n {
		i := (b.next + j) % n
		if b.view.Up(i) {
			b.next = (i + 1) % n
			return i
		}
	}
	return -1
	//lab:stub
	// TODO(2E): starting at b.next, find the first server that is up
	// (b.view.Up), wrapping past the last one; set b.next just after it.
	//> return -1
	//lab:end
}

// Sent, Replied and Failed: round robin needs no feedback.
func (b *RoundRobin) Sent(int)         {}
func (b *RoundRobin) Replied(int, int) {}
func (b *RoundRobin) Failed(int)       {}
