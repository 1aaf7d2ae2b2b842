package chash

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/tests"
)

// Scenarios for the last survivors of chash's full mutation run, all in the
// move between configurations (migrate.go): a newcomer that is gone before
// the move to it starts, an acknowledgement that arrives after its sender
// has moved on, and acknowledgements that never arrive at all.

// A newcomer crashes the moment it joins (epoch 2), before anyone has
// handed it a key; the controller then hears of the crash (epoch 3). n2
// and n3 have started the move to epoch 2 and retry their handoffs to the
// dead node: on hearing of epoch 3 they must abandon them, or their move
// never ends. n1, whose link to the controller was down meanwhile, hears
// of both epochs at once: it starts the move to epoch 2 already knowing the
// newcomer is gone, and sends it nothing. Either way the keys for the
// newcomer are lost, and each member counts them in KeysDropped.
func TestCacheNewcomerGoneBeforeMove2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 5, 3)
		keys := cacheKeys(300)
		c.load(keys, 3)

		const late = 1 // hears of epochs 2 and 3 together
		c.w.Cut(late, ctrlNode)
		c.w.Sleep(200 * time.Millisecond) // its query in flight is answered or lost
		newcomer := c.next
		c.next++
		c.w.Start(newcomer, bootCache)
		c.crashed[newcomer] = true
		c.w.Crash(newcomer) // before it has done anything
		joined, err := c.admin.Join(newcomer)
		require.NoError(t, err)
		require.True(t, c.w.WaitUntil(func() bool { return c.cache(2).Epoch() == joined && c.cache(3).Epoch() == joined }, time.Millisecond, time.Second),
			"n2 and n3 must start the move to epoch %d", joined)
		c.w.Sleep(200 * time.Millisecond) // their handoffs to the newcomer go unanswered
		require.Equal(t, []int{1, 1, 1}, []int{c.cache(1).Done(), c.cache(2).Done(), c.cache(3).Done()},
			"no member can have put epoch %d in place: n2 and n3 have keys for the dead n%d, and n1 has not heard of the epoch", joined, newcomer)

		_, err = c.admin.Fail(newcomer)
		require.NoError(t, err)
		c.w.Uncut(late, ctrlNode)
		c.settle("the configuration without the crashed newcomer (a move must not wait on a handoff to a member that is gone)")

		before, during := c.view(joined-1), c.view(joined)
		dropped, lost := map[int]int{}, 0
		for _, key := range keys {
			if during.owner(key) == newcomer {
				dropped[before.owner(key)]++
				lost++
			}
		}
		for id := 1; id <= 3; id++ {
			how := "abandoning its handoff to it on hearing it is gone"
			if id == late {
				how = "starting the move to epoch 2 knowing it is gone already"
			}
			require.Equal(t, dropped[id], c.cache(id).Stats().KeysDropped,
				"n%d held %d keys that the crashed n%d owns in epoch %d; it loses them by %s, and KeysDropped must count each once", id, dropped[id], newcomer, joined, how)
		}
		require.Positive(t, dropped[late], "the test needs keys of n%d's that the newcomer takes", late)
		require.Equal(t, lost, c.readAll(keys), "exactly the keys that the crashed newcomer owned in epoch %d are lost", joined)
	})
}

// The newcomer's replies to n1 are slow (200ms), slower than the
// controller: n1 learns that the newcomer has put epoch 2 in place, and so
// has its handoff, before the acknowledgement of that handoff arrives. n1
// then leaves (epoch 3) and hands the newcomer more keys, which it refuses
// for now: it has not heard of epoch 3 (its link to the controller is
// down). The late acknowledgement of the epoch-2 handoff arrives while the
// epoch-3 one is pending: it answers another handoff, and must not be taken
// for this one, or n1 forgets keys it never sent.
func TestCacheLateAckAfterNextEpoch2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 5, 3)
		keys := cacheKeys(300)
		c.load(keys, 3)

		const leaver, slow = 1, 200 * time.Millisecond
		newcomer := c.next
		c.w.SetLinkDelay(newcomer, leaver, slow, slow)
		joined := c.latest().Epoch + 1
		c.join()
		require.True(t, c.w.WaitUntil(func() bool { return c.controller().DoneEpoch(newcomer) >= joined }, time.Millisecond, 2*time.Second),
			"n%d must put epoch %d in place", newcomer, joined)
		c.w.Cut(newcomer, ctrlNode) // it hears of nothing newer for now
		left, err := c.admin.Leave(leaver)
		require.NoError(t, err)
		require.True(t, c.w.WaitUntil(func() bool { return c.cache(leaver).Epoch() == left }, time.Millisecond, slow/2),
			"n%d must take up epoch %d as soon as it hears that n%d has its epoch-%d handoff", leaver, left, newcomer, joined)
		require.Equal(t, joined, c.cache(newcomer).Epoch(), "n%d must not have heard of epoch %d yet", newcomer, left)

		c.w.Sleep(2 * slow) // the acknowledgement of the epoch-2 handoff arrives
		require.Less(t, c.cache(leaver).Done(), left,
			"n%d has put epoch %d in place, yet n%d, still at epoch %d, has refused its epoch-%d handoff: an acknowledgement that arrives after its epoch answers that epoch's handoff, not the one now pending to the same member",
			leaver, left, newcomer, joined, left)

		c.w.Uncut(newcomer, ctrlNode)
		c.settle("n1's leave")
		c.stop(leaver)
		require.Zero(t, c.readAll(keys), "no acknowledged write may be lost across a join and a leave")
		s := c.stats()
		require.Equal(t, s.KeysIn, s.KeysOut, "with no crash every key handed off (KeysOut) is installed once (KeysIn)")
	})
}

// n1 leaves while the links from the other members back to it are down:
// every handoff it sends is installed, and no acknowledgement comes back.
// The receivers put the leave's epoch in place and stay there, since
// nothing else changes. The controller says so: n1 must take that as the
// acknowledgement and finish its leave, not retry until the links heal.
func TestCacheLostAcksReceiversStay2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 4, 3)
		keys := cacheKeys(300)
		c.load(keys, 3)

		const leaver = 1
		for _, id := range []int{2, 3} {
			c.w.Cut(id, leaver)
		}
		left, err := c.admin.Leave(leaver)
		require.NoError(t, err)
		settled := c.w.WaitUntil(func() bool { return c.controller().Settled() }, time.Millisecond, time.Second)
		require.True(t, settled, "n2 and n3 installed n%d's handoffs and put epoch %d in place, so n%d must finish its leave within a second, though no acknowledgement reaches it: members %s",
			leaver, left, leaver, c.doneEpochs())
		require.Equal(t, left, c.controller().Latest().Epoch, "nothing changes after the leave: the receivers report exactly its epoch")

		for _, id := range []int{2, 3} {
			c.w.Uncut(id, leaver)
		}
		c.stop(leaver)
		require.Zero(t, c.readAll(keys), "no acknowledged write may be lost across the leave")
	})
}
