package kvsrv

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/tests"
)

// Scenarios where a state-changing request's message is lost and the
// request is retried while another client acts (issue 10). Each one stages
// the loss at a known moment: the links of the client under test get a fixed
// delay, so the test knows when each of its messages is on the wire.

// linkDelay is the fixed one-way delay of the staged client's links.
const linkDelay = 10 * time.Millisecond

// stage fixes the delay of both links between the server and client id, so
// that an operation started at t reaches the server at t+10ms, its reply is
// back at t+20ms, and the next request reaches the server at t+30ms.
func (c *cluster) stage(id int) {
	c.w.SetLinkDelay(id, 0, linkDelay, linkDelay)
	c.w.SetLinkDelay(0, id, linkDelay, linkDelay)
}

// A's Put never reaches the server (its link is down); meanwhile B writes
// the key, so A's retry names a version that is no longer current. The
// retry's ErrVersion says nothing about A's own Put: it did not apply, and
// A must not be told it did.
func TestRetryRefusedAfterAnotherWrite1B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		a, b := c.clerk(), c.clerk()
		require.Equal(t, OK, b.Put("k", "first", 0))

		c.w.Cut(a.clnt.ID(), 0) // every request of A's is lost
		var errA Err
		done := false
		c.w.Go("a", func() { errA = a.Put("k", "from a", 1); done = true })
		require.Equal(t, OK, b.Put("k", "from b", 1), "B's Put at the current version, while A is cut off")
		c.w.Uncut(a.clnt.ID(), 0)
		require.True(t, c.w.WaitUntil(func() bool { return done }, time.Millisecond, time.Second), "A's Put must end once its link is back")

		v, ver, _ := b.Get("k")
		require.Equal(t, "from b", v, "only B's Put applied")
		require.Equal(t, Tversion(2), ver)
		require.Equal(t, ErrMaybe, errA,
			"A's first try was lost and its retry was refused with ErrVersion: the clerk cannot know whether A's Put applied (here it did not), so it must say ErrMaybe, not %s", errA)
	})
}

// A holds the lock and releases it; the Put that frees it applies, but its
// reply is lost. B takes the lock at once. A's retried Put is refused, and
// A must see that the key now names B: releasing again would free B's lock.
func TestReleaseReplyLostWhileAnotherAcquires1C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		a, b := MakeLock(c.clerk(), "l", "a"), MakeLock(c.clerk(), "l", "b")
		aID := a.ck.clnt.ID()
		a.Acquire()

		c.stage(aID)
		released, bGot := false, false
		c.w.Go("a", func() { a.Release(); released = true })
		// A's Get is answered at +20ms; its Put reaches the server at +30ms.
		// Cut the server's replies to A in between: the Put applies, and A
		// does not hear it.
		c.w.At(25*time.Millisecond, func() { c.w.Cut(0, aID) })
		c.w.Go("b", func() { b.Acquire(); bGot = true })
		require.True(t, c.w.WaitUntil(func() bool { return bGot }, time.Millisecond, time.Second),
			"B must take the lock that A's first Put freed")
		c.w.Uncut(0, aID)
		require.True(t, c.w.WaitUntil(func() bool { return released }, time.Millisecond, time.Second),
			"A's Release must end once its replies come back")

		owner, _, err := c.clerk().Get("l")
		require.Equal(t, OK, err)
		require.Equal(t, "b", owner,
			"A's Release freed the lock while B held it: after a lost reply, A must check that it still holds the lock before freeing it again (ownership)")
	})
}

// A's Put that takes the free lock applies, but its reply is lost; the
// retry is refused (ErrMaybe). The key now names A: A holds the lock, and
// Acquire must return rather than wait for itself.
func TestAcquireReplyLost1C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		a := MakeLock(c.clerk(), "l", "a")
		aID := a.ck.clnt.ID()

		c.stage(aID)
		got := false
		c.w.Go("a", func() { a.Acquire(); got = true })
		c.w.At(25*time.Millisecond, func() { c.w.Cut(0, aID) }) // A's Put applies unheard
		c.w.At(200*time.Millisecond, func() { c.w.Uncut(0, aID) })
		require.True(t, c.w.WaitUntil(func() bool { return got }, time.Millisecond, 2*time.Second),
			"A's Put took the lock but its reply was lost: after ErrMaybe the key names A, so A holds the lock; Acquire must see that instead of waiting for itself")
		owner, _, _ := c.clerk().Get("l")
		require.Equal(t, "a", owner)
	})
}
