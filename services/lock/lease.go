package lock

import (
	"fmt"
	"math"
	"time"
)

// Leases under drifting clocks (Chubby §2.8).
//
// The server keeps a session alive for Lease after it applies the session's
// latest KeepAlive, measured on its own clock. The client believes its
// session (and so its locks) alive for ClientLease after it sent that
// KeepAlive, measured on its own clock. Every clock runs at a rate within
// [1-ρ, 1+ρ] of true time.
//
// In true time the server's lease lasts at least Lease/(1+ρ) (its clock at
// its fastest) and starts after the client sent the KeepAlive (the server
// applied it after it was sent). The client's lease lasts at most
// ClientLease/(1-ρ) (its clock at its slowest) from the send. So the client
// stops believing before the server can expire the session whenever
//
//	ClientLease/(1-ρ) ≤ Lease/(1+ρ),  that is  ClientLease ≤ Lease·(1-ρ)/(1+ρ).
//
// Measuring from the send, not from the reply, is what makes network delay
// harmless; measuring from a retry's send would not be (the first copy may
// have been applied before the retry left).

// ClientLease is the longest local lease a client may keep for a server
// lease of lease, when clocks drift by at most rho: lease·(1-ρ)/(1+ρ),
// rounded down. rho must be in [0, 1).
func ClientLease(lease time.Duration, rho float64) time.Duration {
	if rho < 0 || rho >= 1 || math.IsNaN(rho) {
		panic(fmt.Sprintf("lock: ClientLease(%v, ρ=%v): the drift bound ρ must be in [0, 1)", lease, rho))
	}
	//lab:solution 6C
	return time.Duration(math.Floor(float64(lease) * (1 - rho) / (1 + rho)))
	//lab:stub
	// TODO(6C): the client's lease must end, in true time, before the
	// server's can; derive the margin for a drift bound of rho (Chubby §2.8).
	//> return lease
	//lab:end
}
