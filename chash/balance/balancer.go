package balance

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// A Balancer chooses the server for each of one client's requests. The
// client calls Pick, sends the request to the server it names, then tells
// the balancer what happened: Sent when the request leaves, and exactly
// one of Replied (with the queue length the server reported) or Failed
// (no answer, or a refusal) when it is over. A balancer keeps what it needs
// of that feedback; the View gives it the load report and the servers that
// are down.
//
// Every balancer must never Pick a server that the view says is down, and
// must return -1 when every server is down. Balancers are node code: their
// only randomness is the *rand.Rand they are given (the client's own
// stream), and they never iterate a map.
type Balancer interface {
	// Pick returns the index of the server for a request for key (key
	// matters only to BoundedHash), or -1 if no server is up.
	Pick(key string) int
	// Sent says a request is now in flight to server.
	Sent(server int)
	// Replied says a request to server came back; queue is the server's
	// queue length when it replied.
	Replied(server int, queue int)
	// Failed says a request to server got no answer or was refused.
	Failed(server int)
}

// A Source is the load a balancer ranks servers by.
type Source int

const (
	// Outstanding is the client's own requests in flight to each server:
	// always fresh, but blind to every other client's requests.
	Outstanding Source = iota
	// Reported is each server's queue length in the last load report:
	// every client's requests, but as old as the report.
	Reported
)

func (s Source) String() string {
	if s == Reported {
		return "reported"
	}
	return "outstanding"
}

// The balancers' names, as Spec.Kind and the benchmarks spell them.
const (
	KindRoundRobin  = "round-robin"
	KindRandom      = "random"
	KindWeighted    = "weighted"
	KindLeastLoaded = "least-loaded"
	KindTwoChoices  = "two-choices"
	KindBoundedHash = "bounded-hash"
)

// Kinds lists the balancers, in the order the handout and the benchmarks
// show them.
var Kinds = []string{KindRoundRobin, KindRandom, KindWeighted, KindLeastLoaded, KindTwoChoices, KindBoundedHash}

// A Spec names a balancer and its settings, so that a scenario can make one
// per client.
type Spec struct {
	Kind   string
	Source Source // for least-loaded and two choices
	// Capacities are the servers' configured capacities, for Weighted
	// (index i is server i); nil means all equal.
	Capacities []float64
	// C is BoundedHash's capacity factor (at least 1; 0 means 1.25).
	C float64
}

func (s Spec) String() string {
	switch s.Kind {
	case KindLeastLoaded, KindTwoChoices:
		return s.Kind + "/" + s.Source.String()
	}
	return s.Kind
}

// New makes the balancer s names for a client with view v and random
// stream r. Bad settings are an error naming the cause and the fix.
func New(s Spec, v *View, r *rand.Rand) (Balancer, error) {
	switch s.Kind {
	case KindRoundRobin:
		return NewRoundRobin(v), nil
	case KindRandom:
		return NewRandom(v, r), nil
	case KindWeighted:
		caps := s.Capacities
		if caps == nil {
			caps = make([]float64, v.N())
			for i := range caps {
				caps[i] = 1
			}
		}
		return NewWeighted(v, r, caps)
	case KindLeastLoaded:
		return NewLeastLoaded(v, r, s.Source), nil
	case KindTwoChoices:
		return NewTwoChoices(v, r, s.Source), nil
	case KindBoundedHash:
		c := s.C
		if c == 0 {
			c = 1.25
		}
		return NewBoundedHash(v, c)
	}
	return nil, fmt.Errorf("balance: no balancer %q; choose one of %s", s.Kind, strings.Join(Kinds, ", "))
}
