package lock

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
	"protolab/services/rsm"
	"protolab/tests"
)

// Scenarios written from the triage of lab 6C's full mutation run
// (docs/mutation.md, 6C).

// A client asks before its first session has opened, or gives back a lock
// it does not hold: TryAcquire answers ErrNoSession and Release ErrNotHeld,
// each exactly once and from a later event, without waiting for the
// servers. A client library that never answers leaves its application
// waiting for ever; one that answers twice runs the application's
// callback twice.
func TestAskWithoutSessionOrLock6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		w := t.NewWorld(labrpc.Config{Nodes: 3 + 1 + 1, ClockDrift: DefaultConfig.Rho})
		c, err := NewCell(w, e, 3, DefaultConfig)
		require.NoError(t, err)
		var tried, released []Err
		c.App = func(env labrpc.Env, cl *Client) {
			// At boot: the session is being opened, none is open yet.
			inside := true
			cl.TryAcquire("L", func(seq Sequencer, err Err) {
				if inside {
					w.Fail(fmt.Errorf("TryAcquire answered inside the call; answers come from later events"))
				}
				tried = append(tried, err)
			})
			cl.Release("L", func(err Err) { released = append(released, err) })
			inside = false
		}
		c.StartAll()
		cl := c.Clients[0]
		require.True(t, w.WaitUntil(func() bool { return c.Client(cl).Session() != 0 }, 10*time.Millisecond, 5*time.Second),
			"the client should open a session within 5 s")
		w.Sleep(time.Second)
		require.Equal(t, []Err{ErrNoSession}, tried, "TryAcquire before any session opened: one answer, ErrNoSession")
		require.Equal(t, []Err{ErrNotHeld}, released, "Release of a lock never granted: one answer, ErrNotHeld")

		// With a session open: Release of a lock it does not hold.
		released = nil
		c.Client(cl).Release("M", func(err Err) { released = append(released, err) })
		w.Sleep(time.Second)
		require.Equal(t, []Err{ErrNotHeld}, released, "Release of a lock not held, in an open session")
	})
}

// A holder writes to the storage server several times under one grant: a
// sequencer as new as the newest the storage has seen is current, and only
// an older one is stale (Chubby §2.4). A storage that refuses the second
// write of the same grant makes a lock good for one write.
func TestHolderWritesTwice6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 1, DefaultConfig, labrpc.Config{})
		a := c.Clients[0]
		seq := acquire(t, c, a, "L", 5*time.Second)
		require.Equal(t, OK, write(t, c, a, "file", "first", seq))
		require.Equal(t, OK, write(t, c, a, "file", "second", seq), "the holder's second write under the same grant %v", seq)
		require.Equal(t, "second", c.Store().Get("file"))
	})
}

// A Release names the grant it gives back (its generation). A late Release
// of an earlier grant, given back and since granted again to the same
// session, must not free the new grant: the client believes it holds the
// lock, and another could take it too.
func TestMachineStaleReleaseKeepsNewGrant6C(t *testing.T) {
	m := NewMachine()
	a := m.Apply(OpenSession{}).Session
	b := m.Apply(OpenSession{}).Session
	require.Equal(t, Sequencer{"L", 1}, m.Apply(Acquire{Session: a, Lock: "L"}).Seq)
	require.Equal(t, OK, m.Apply(Release{Session: a, Lock: "L", Gen: 1}).Err)
	require.Equal(t, Sequencer{"L", 2}, m.Apply(Acquire{Session: a, Lock: "L"}).Seq)

	require.Equal(t, ErrNotHeld, m.Apply(Release{Session: a, Lock: "L", Gen: 1}).Err, "a Release of generation 1 while the session holds generation 2")
	holder, gen := m.Holder("L")
	require.Equal(t, a, holder, "the stale Release freed the new grant")
	require.Equal(t, uint64(2), gen)
	require.Equal(t, ErrBusy, m.Apply(Acquire{Session: b, Lock: "L", Try: true}).Err, "another session took a lock that is still held")
}

// Sessions lists the live sessions in id order: the leader proposes the
// Expires of the sessions due at one tick in that order, so an order that
// follows Go's map iteration would differ from run to run (DESIGN.md:
// determinism).
func TestMachineSessionsInOrder6C(t *testing.T) {
	m := NewMachine()
	var want []SessionID
	for k := 0; k < 40; k++ {
		id := m.Apply(OpenSession{}).Session
		if k%3 == 0 {
			require.Equal(t, OK, m.Apply(Expire{Session: id}).Err)
			continue
		}
		want = append(want, id)
	}
	require.True(t, slices.IsSorted(want))
	for range 5 { // one pass could come out sorted by chance; five in a row do not
		require.Equal(t, want, m.Sessions(), "the live sessions, in id order")
	}
}

// The answer to a TryAcquire that the servers granted reaches the client
// only after the client has learned that the session it asked in expired
// (the answer was slow, and the client was cut off long enough for the
// servers to expire the session). The grant belonged to the lost session,
// whose locks are gone: the client must answer ErrNoSession, never OK (and
// never OK with an empty sequencer).
func TestGrantAnsweredAfterSessionLost6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 1, DefaultConfig, labrpc.Config{})
		b := c.Clients[0]
		cl := c.Client(b)
		sess := cl.Session()
		leader := -1
		require.True(t, c.W.WaitUntil(func() bool {
			for _, id := range c.Servers {
				if ls := c.Server(id); ls != nil && ls.IsLeader() {
					leader = id
					return true
				}
			}
			return false
		}, time.Millisecond, 5*time.Second), "no lock server leads")

		// Just after a KeepAlive is answered (the next is a third of a local
		// lease away), the leader's answers to b become slow, and b asks.
		end := cl.LeaseEnd()
		require.True(t, c.W.WaitUntil(func() bool { return cl.LeaseEnd() != end }, time.Millisecond, 2*time.Second), "no KeepAlive answered within 2 s")
		c.W.SetLinkDelay(leader, b, 3*time.Second, 3*time.Second)
		var answers []Err
		var got Sequencer
		cl.TryAcquire("L", func(seq Sequencer, err Err) { answers = append(answers, err); got = seq })
		require.True(t, c.W.WaitUntil(func() bool {
			holder, _ := c.Server(leader).Machine().Holder("L")
			return holder == sess
		}, time.Millisecond, 2*time.Second), "the leader did not grant L within 2 s")

		// The grant's answer is on its way (3 s). b is cut off until the
		// servers expire its session, then learns so and opens another.
		c.W.SetLinkDelay(leader, b, time.Millisecond, 5*time.Millisecond)
		for _, id := range c.Servers {
			c.W.Cut(b, id)
		}
		require.True(t, c.W.WaitUntil(func() bool {
			live, _ := c.Server(leader).Machine().Live(sess)
			return !live
		}, 5*time.Millisecond, 3*time.Second), "the servers did not expire b's session")
		require.Empty(t, answers, "the grant's answer came before the session expired (the scenario needs it slower)")
		for _, id := range c.Servers {
			c.W.Uncut(b, id)
		}
		require.True(t, c.W.WaitUntil(func() bool { return len(answers) > 0 }, 5*time.Millisecond, 5*time.Second), "TryAcquire not answered within 5 s")
		require.NotEqual(t, sess, cl.Session(), "the client should have learned its session expired before the grant's answer came")
		require.Equal(t, []Err{ErrNoSession}, answers, "a grant to a session the client has lost, answered after it learned so (sequencer %v)", got)
		_, holds := cl.Holds("L")
		require.False(t, holds, "a grant to a lost session")
	})
}

// commitFromPeer commits cmd at index from an event of the peer's node, as
// an engine's apply runs, not from the test's driver.
func commitFromPeer(p *harness.ScriptedPeer, index int, cmd any) {
	p.Env.After(0, func() { p.Commit(index, cmd) })
}

// expires lists the Expire operations among the commands Start took.
func expires(p *harness.ScriptedPeer) []Expire {
	var es []Expire
	for _, cmd := range p.Started {
		if op, ok := cmd.(rsm.Op); ok {
			if e, ok := op.Op.(Expire); ok {
				es = append(es, e)
			}
		}
	}
	return es
}

// The leader proposes a dead session's Expire, then loses its term before
// the entry commits: the entry is gone from its log, and the term's other
// leader expired no one. When the same server leads again (here in term 3,
// before any other leader has expired the session) it must propose the
// Expire again, and once that applies the session's lock is free. A server
// that still counts the lost Expire as in flight (it forgets a proposal
// only when the proposal is applied) never proposes it again while the
// session's beats stay the same, and the dead session keeps its lock for
// as long as this server leads.
func TestLostExpireProposedAgain6C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		var peer *harness.ScriptedPeer
		e := replog.Engine{Name: "scripted", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
			peer = &harness.ScriptedPeer{Env: env, Apply: apply, Term: 1, Leader: true, Next: 1}
			return peer
		}}
		w := t.NewWorld(labrpc.Config{Nodes: 1 + 1 + 1})
		c, err := NewCell(w, e, 1, DefaultConfig)
		require.NoError(t, err)
		c.StartServer(0) // the storage and the client stay down: the log is scripted
		ls := c.Server(0)

		// Term 1: a session opens and takes L, then is never kept alive.
		commitFromPeer(peer, 1, rsm.Op{Origin: 9, Id: 1, Request: rsm.Request{Op: OpenSession{}}})
		w.Sleep(time.Millisecond)
		require.Len(t, ls.Machine().Sessions(), 1)
		sess := ls.Machine().Sessions()[0]
		commitFromPeer(peer, 2, rsm.Op{Origin: 9, Id: 2, Request: rsm.Request{Op: Acquire{Session: sess, Lock: "L"}}})
		peer.Next = 3
		w.Sleep(time.Millisecond)
		holder, _ := ls.Machine().Holder("L")
		require.Equal(t, sess, holder)

		// Its lease ends on the leader's clock: the leader proposes its Expire.
		require.True(t, w.WaitUntil(func() bool { return len(expires(peer)) > 0 }, time.Millisecond, 2*DefaultConfig.Lease),
			"the leader did not propose an Expire within %v of the session's last KeepAlive (lease %v)", 2*DefaultConfig.Lease, DefaultConfig.Lease)
		require.Equal(t, []Expire{{Session: sess, Beats: 0}}, expires(peer))

		// Term 1 is lost before the Expire commits; another leader holds
		// term 2 and commits nothing. The entry never applies.
		peer.Leader, peer.Term = false, 2
		w.Sleep(3 * DefaultConfig.Lease / expireTicks)
		require.Len(t, expires(peer), 1, "a peer that does not lead took a command")

		// Term 3: the same server leads again, with the lost entry gone from
		// its log (the next index is the lost Expire's).
		peer.Leader, peer.Term, peer.Next = true, 3, 3
		require.True(t, w.WaitUntil(func() bool { return len(expires(peer)) > 1 }, time.Millisecond, DefaultConfig.Lease/2),
			"the server leads again in term 3, and session %d's Expire (proposed in term 1, lost with the term, never applied) was not proposed again within %v: a lost proposal must not count as in flight (its Submit's done, ErrWrongLeader, ends it), or the dead session keeps its locks while this server leads",
			sess, DefaultConfig.Lease/2)
		again := expires(peer)
		require.Len(t, again, 2, "one Expire for one dead session, proposed again once")
		require.Equal(t, Expire{Session: sess, Beats: 0}, again[1])
		commitFromPeer(peer, 3, peer.Started[len(peer.Started)-1])
		w.Sleep(time.Millisecond)
		live, _ := ls.Machine().Live(sess)
		require.False(t, live, "the Expire applied, yet session %d is live", sess)
		holder, _ = ls.Machine().Holder("L")
		require.Zero(t, holder, "the dead session's Expire applied, yet L is held by session %d", holder)
	})
}
