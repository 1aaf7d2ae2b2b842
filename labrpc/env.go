// Package labrpc is protolab's simulated world: a virtual clock, one event
// queue, one seed, a lossy network that carries RPCs between nodes, node
// crashes and restarts, stable storage, and simulated client processes.
//
// Protocol code never sees the World. It sees an Env (below) and is written
// as event handlers: an RPC handler, a timer callback or an RPC completion
// runs to the end before anything else happens, so node code needs no locks,
// and a run is a pure function of the code and the seed.
//
// Tests and clients drive the World directly; see World, Client and the
// guide in docs/simulator.md.
package labrpc

import (
	"math/rand/v2"
	"time"
)

// Env is everything a node may touch. The simulator implements it; a later
// host (goroutines and real time, or real sockets) could implement it too,
// which is why protocol packages import nothing else from labrpc.
//
// Rules for node code (the determinism contract, docs/simulator.md):
// no goroutines, no wall clock (time.Now, time.Sleep), no global randomness
// (math/rand's top-level functions), and no decision that depends on the
// order in which a map is iterated.
type Env interface {
	// Me is this node's id, an index into Peers.
	Me() int
	// Peers lists every node of the group, Me included, in id order.
	// The slice is a fresh copy on every call, the caller's to keep.
	Peers() []int
	// Now is this node's clock: virtual time since the run began, as the
	// node measures it. It is true time unless Config.ClockDrift lets each
	// node's clock run at its own rate (within the bound); the clock is the
	// node's machine's, so it runs on through crashes and pauses.
	Now() time.Duration
	// Rand is this node's own random stream, derived from the run's seed,
	// the node id and its incarnation: another node's draws never shift it.
	Rand() *rand.Rand

	// Call sends an RPC to node `to`, naming the handler "Service.Method"
	// (the service is the handler's receiver type name: "Raft.RequestVote").
	// args is copied through labgob when Call is made; reply must point at a
	// fresh zero value. done runs exactly once, later, as its own event:
	// done(true) after reply has been filled in, or done(false) if the
	// request or the reply was lost, the peer is down or unreachable
	// (after a time-out the network profile sets). If this node crashes
	// first, done never runs: the incarnation that asked is gone.
	Call(to int, method string, args, reply any, done func(ok bool))

	// After runs f once, d from now by this node's clock (see Now), unless
	// cancel is called first or the node crashes. A timer is the only way
	// to make something happen later.
	After(d time.Duration, f func()) (cancel func())

	// Persister is this node's stable storage; it survives crashes.
	Persister() *Persister

	// Logf adds a line to the run's trace, tagged with a topic ("vote",
	// "append", ...). Trace lines appear in the per-node timeline that a
	// failing test prints, and count towards the run's digest.
	Logf(topic string, format string, args ...any)
}
