package paxos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/tests"
	"protolab/tests/replog"
)

// Part 5B: what is particular to Multi-Paxos. The scenarios it shares with
// Raft are in replog_test.go.

// TestNewLeaderAdoptsChosen5B: a command that a majority accepted is chosen,
// even if its leader fails before anyone else learns so. The next leader
// must find it in phase 1 and keep it in its slot (Paxos Made Simple §3).
func TestNewLeaderAdoptsChosen5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := replog.NewCluster(t, multiPaxos, n, fixedDelay(2*time.Millisecond))
		c.One("a", n, false)
		leader := c.CheckOneLeader()

		index, _, ok := c.Peer(leader).Start("b")
		require.True(t, ok)
		// The Accepts arrive at 2ms, the acceptances at 4ms: the leader knows
		// "b" is chosen, and applies it; the followers would learn so with the
		// next message, which never leaves.
		c.World().Sleep(5 * time.Millisecond)
		require.Equal(t, "b", c.CommandAt(index), "premise: the leader applied b at once")
		c.Crash(leader)

		c.One("c", n-1, true)
		require.Equal(t, "b", c.CommandAt(index), "slot %d", index)
		c.StartNode(leader)
		c.One("d", n, true)
	})
}

// TestHoleFilledWithNoop5B: a leader's Accepts for one slot are lost while
// those for the next slot arrive, and the leader fails. The next leader finds
// no proposal for the first slot in any promise (a hole) and must fill it
// with a no-op, or no later slot could ever be applied.
func TestHoleFilledWithNoop5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := replog.NewCluster(t, multiPaxos, n, fixedDelay(2*time.Millisecond))
		c.One("a", n, false)
		leader := c.CheckOneLeader()

		c.Disconnect(leader)
		hole, _, ok := c.Peer(leader).Start("lost")
		require.True(t, ok)
		c.Connect(leader)
		next, _, ok := c.Peer(leader).Start("kept")
		require.True(t, ok)
		require.Equal(t, hole+1, next)
		c.World().Sleep(10 * time.Millisecond) // "kept" is accepted by all, "lost" by the leader alone
		c.Crash(leader)

		index := c.One("after", n-1, true)
		require.Greater(t, index, next)
		require.Equal(t, Noop{Slot: hole}, c.CommandAt(hole), "slot %d, the hole, must hold a no-op", hole)
		require.Equal(t, "kept", c.CommandAt(next), "slot %d was accepted by a majority: it may have been chosen", next)

		c.StartNode(leader)
		c.Wait(index, n) // the old leader's own "lost" at the hole gives way to the no-op
	})
}

// TestStaleLeaderStepsDown5B: a leader cut off while the others elect a new
// one comes back deaf (it can send, and hears replies, but receives no
// request): the refusals of its Accepts are all it can learn of the higher
// ballot, and they must be enough to make it step down.
func TestStaleLeaderStepsDown5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := replog.NewCluster(t, multiPaxos, n, reliable)
		c.One(1, n, false)
		old := c.CheckOneLeader()
		c.Disconnect(old)
		c.One(2, n-1, true)
		c.World().Deafen(old)
		c.Connect(old)
		ok := c.World().WaitUntil(func() bool { _, isLeader := c.Peer(old).GetState(); return !isLeader }, 10*time.Millisecond, time.Second)
		require.True(t, ok, "n%d still believes it leads, though every Accept it sends is refused for a higher ballot", old)
		c.World().Undeafen(old)
		c.One(3, n, true)
	})
}

// TestPromiseKept5B: a promise of phase 1 covers every slot, and must survive
// a crash. Three peers, 2ms messages; the old leader L reaches A only, over
// a 10ms link, and B does not hear L:
//
//	T     A promises B's higher ballot; B will lead with {A, B}
//	T+1   L, not knowing yet, starts "x" in the next slot: due at A at T+11
//	T+2   A crashes and restarts; B's messages to A now take 20ms
//	T+11  A must refuse L's Accept: if it forgot its promise, "x" would be
//	      chosen by {L, A}, and B's "y" by {B, A} in the same slot
func TestPromiseKept5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := replog.NewCluster(t, multiPaxos, n, fixedDelay(2*time.Millisecond))
		w := c.World()
		c.One("a", n, false)
		l := c.CheckOneLeader()
		a, b := (l+1)%n, (l+2)%n
		w.SetLinkDelay(l, a, 10*time.Millisecond, 10*time.Millisecond)
		w.Partition([]int{l}, []int{b}) // a is in no group: it reaches both
		before, _ := c.Peer(a).GetState()
		require.True(t, w.WaitUntil(func() bool { ballot, _ := c.Peer(a).GetState(); return ballot != before }, time.Millisecond, 5*time.Second),
			"n%d, cut off from the leader, never campaigned", b)
		ix, _, ok := c.Peer(l).Start("x")
		require.True(t, ok, "premise: n%d still leads when n%d has just promised n%d", l, a, b)
		w.Sleep(time.Millisecond)
		c.Restart(a)
		w.SetLinkDelay(b, a, 20*time.Millisecond, 20*time.Millisecond)
		require.True(t, w.WaitUntil(func() bool { _, isLeader := c.Peer(b).GetState(); return isLeader }, time.Millisecond, time.Second))
		iy, _, ok := c.Peer(b).Start("y")
		require.True(t, ok)
		require.Equal(t, ix, iy, "premise: x and y are proposed for the same slot")
		c.Wait(iy, 2)
		require.Equal(t, "y", c.CommandAt(iy))
		w.Heal()
		c.One("z", n, true)
	})
}
