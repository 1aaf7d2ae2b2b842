package explore

import (
	"math/rand/v2"
	"time"

	"protolab/labrpc"
)

// PCT is probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi
// and Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of
// Finding Bugs", ASPLOS 2010), carried over from threads to messages. Each
// endpoint gets a random priority, and its messages travel faster the
// higher it is: so in one schedule the high-priority nodes' messages win
// every race. At d-1 change points, drawn uniformly among the run's k delay
// choices, the sender of the message at hand drops below everyone, and its
// messages are held past the profile's longest delay (Options.Long) from
// then on: a node that falls behind, whose stale messages arrive late.
//
// The paper's bound: a bug of depth d (d ordering constraints between
// events) in a program of n threads and k steps is found by one run with
// probability at least 1/(n·k^(d-1)). Here the threads are the endpoints and
// the steps the delay choices; losses and time-outs stay the seed's (the
// profile's), and events due at once keep their order.
func (s *search) pct() {
	k := s.o.Steps
	for i := 0; !s.over(); i++ {
		rng := rand.New(rand.NewPCG(uint64(s.o.Seed), uint64(i)))
		p := newPCT(rng, s.o.Depth, max(k, 1), s.o.Long)
		p.noFaults = s.o.NoFaults
		r := &recorder{plan: Plan{Rest: RestSeeded}, policy: p.choose}
		s.try(s.o.Seed+int64(i), r)
		s.rep.Depth = s.o.Depth - 1
		if s.o.Steps == 0 {
			k = p.delays // the next schedule draws its change points over this run's length
		}
	}
}

type pctPolicy struct {
	rng     *rand.Rand
	d       int
	prio    map[int]float64 // endpoint → priority; initial ones are in [d, d+1)
	changes map[int]int     // delay choice number → change point number (1..d-1)
	delays  int             // delay choices so far
	long    time.Duration
	// noFaults: a demoted sender's messages take the longest delay in the
	// profile's range, not longer, and nothing is lost (Options.NoFaults).
	noFaults bool
}

func newPCT(rng *rand.Rand, d, k int, long time.Duration) *pctPolicy {
	p := &pctPolicy{rng: rng, d: d, prio: map[int]float64{}, changes: map[int]int{}, long: long}
	for i := 1; i < d; i++ {
		p.changes[rng.IntN(k)] = i
	}
	return p
}

func (p *pctPolicy) priority(e int) float64 {
	if v, ok := p.prio[e]; ok {
		return v
	}
	v := float64(p.d) + p.rng.Float64()
	p.prio[e] = v
	return v
}

func (p *pctPolicy) choose(pos int, c *labrpc.Choice) (int64, bool) {
	if c.Kind == labrpc.ChoiceLoss && p.noFaults {
		return 0, true
	}
	if c.Kind != labrpc.ChoiceDelay {
		return 0, false // losses and time-outs: the seed's; ties: in order
	}
	j := p.delays
	p.delays++
	me := p.priority(c.From)
	if cp, ok := p.changes[j]; ok {
		me = float64(cp) / float64(p.d) // below every initial priority
		p.prio[c.From] = me
	}
	if me < float64(p.d) {
		if p.noFaults {
			return int64(c.Hi), true // demoted: its messages come last
		}
		return int64(c.Hi + p.long), true // demoted: its messages come late
	}
	higher, n := 0, 0
	for _, v := range p.prio { // counting: the order of the map does not matter
		if v >= float64(p.d) {
			n++
			if v > me {
				higher++
			}
		}
	}
	d := c.Lo
	if n > 1 {
		d += time.Duration(int64(c.Hi-c.Lo) * int64(higher) / int64(n-1))
	}
	return int64(d), true
}
