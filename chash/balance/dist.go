package balance

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// A Dist is a distribution of service times: how long a server at nominal
// speed takes over one request.
type Dist struct {
	Kind string        // "exponential" or "fixed"
	Mean time.Duration // the mean service time
}

// Exponential is the memoryless service time of queueing theory's M/M/c:
// most requests are quick, a few take several times the mean.
func Exponential(mean time.Duration) Dist { return Dist{Kind: "exponential", Mean: mean} }

// Fixed is a service time that is always d.
func Fixed(d time.Duration) Dist { return Dist{Kind: "fixed", Mean: d} }

func (d Dist) validate() error {
	if d.Kind != "exponential" && d.Kind != "fixed" {
		return fmt.Errorf("balance: service time distribution %q; use Exponential(mean) or Fixed(d)", d.Kind)
	}
	if d.Mean <= 0 {
		return fmt.Errorf("balance: service time mean %v; it must be positive, as in Exponential(10*time.Millisecond)", d.Mean)
	}
	return nil
}

// Sample draws one service time from r (the server's own stream).
func (d Dist) Sample(r *rand.Rand) time.Duration {
	if d.Kind == "fixed" {
		return d.Mean
	}
	return time.Duration(r.ExpFloat64() * float64(d.Mean))
}

func (d Dist) String() string { return fmt.Sprintf("%s(%v)", d.Kind, d.Mean) }
