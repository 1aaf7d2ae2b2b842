package rsm

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
	"protolab/tests"
)

// Scenarios written from the triage of the layer's full mutation run
// (docs/mutation.md, lab 6A). Several run the layer on a scripted engine
// peer: an engine that meets the replicated-log contract (replog) in a way
// the lab's two engines happen not to, such as an apply that runs behind the
// index ReadIndex confirmed, which the contract allows ("apply may still be
// behind: wait for it").

// scriptedReader is a scripted engine peer (harness.ScriptedPeer) that also
// offers ReadIndex. The test answers each ReadIndex (answerRead), and commits
// with Commit.
type scriptedReader struct {
	*harness.ScriptedPeer
	reads []func(index int, ok bool)
}

// ReadIndex: a peer that does not lead says so at once, before it returns
// (the contract allows it); a leader's answer waits for the test.
func (p *scriptedReader) ReadIndex(done func(index int, ok bool)) {
	if !p.Leader {
		done(0, false)
		return
	}
	p.reads = append(p.reads, done)
}

// answerRead answers the oldest ReadIndex still waiting.
func (p *scriptedReader) answerRead(t *tests.T, index int, ok bool) {
	t.Helper()
	require.NotEmpty(t, p.reads, "no ReadIndex is waiting: Read must ask the engine's ReadIndex")
	done := p.reads[0]
	p.reads = p.reads[1:]
	done(index, ok)
}

// scriptedCluster boots one server of the counters service on a scripted
// reader that leads in term 1 and gives out index 1 first.
func scriptedCluster(t *tests.T, timeout time.Duration) (*cluster, *scriptedReader) {
	var peer *scriptedReader
	e := replog.Engine{Name: "scripted", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		peer = &scriptedReader{ScriptedPeer: &harness.ScriptedPeer{Env: env, Apply: apply, Term: 1, Leader: true, Next: 1}}
		return peer
	}}
	c := newCluster(t, e, 1, -1, "reliable")
	c.rsms[0].SetTimeout(timeout)
	return c, peer
}

// aReadOutcome is what one Read's done reported, and how far the service
// had applied when it ran.
type aReadOutcome struct {
	calls   int
	err     Err
	at      time.Duration
	applied int // the service's applied count when done ran
}

// read calls Read at server i and records its answer; it fails the run if
// done runs twice, or inside Read.
func (c *cluster) read(i int) *aReadOutcome {
	o := &aReadOutcome{}
	inside := true
	c.rsms[i].Read(func(err Err) {
		if inside {
			c.w.Fail(fmt.Errorf("Read's done ran inside Read at n%d; it must run from a later event, as Submit's does", i))
		}
		o.calls++
		if o.calls > 1 {
			c.w.Fail(fmt.Errorf("Read's done called %d times at n%d (exactly once: Read's contract)", o.calls, i))
		}
		o.err, o.at, o.applied = err, c.w.Now(), c.sms[i].applied
	})
	inside = false
	return o
}

// other is an operation another server put in the log.
func other(seq int64) Op {
	return Op{Origin: 9, Id: seq, Request: add(7, seq, "other")}
}

// A read confirmed at an index the service has not applied yet waits for
// it, is answered as soon as it is applied (by an entry or by a snapshot),
// never before, and exactly once; a read whose index never comes ends with
// ErrTimeout, and is not answered again when the index comes later. The
// lab's engines apply before they confirm, so only an engine whose apply
// runs behind (which the contract allows) shows these.
func TestReadWaitsForApply6B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const timeout = 300 * time.Millisecond
		c, peer := scriptedCluster(t, timeout)
		peer.Commit(1, other(1))

		a := c.read(0)
		peer.answerRead(t, 3, true) // every write that completed before the read is at or below 3
		c.w.Sleep(time.Millisecond)
		require.Zero(t, a.calls, "a read confirmed at index 3 was answered with only index 1 applied (a stale read)")
		peer.Commit(2, other(2))
		c.w.Sleep(time.Millisecond)
		require.Zero(t, a.calls, "a read confirmed at index 3 was answered with only index 2 applied (a stale read)")
		peer.Commit(3, other(3))
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, a.calls, "a read confirmed at index 3 must be answered once index 3 is applied")
		require.Equal(t, OK, a.err)
		require.Equal(t, 3, a.applied, "the read must be answered with the state through index 3")

		// Two reads waiting at once, for different indexes: each is answered
		// when its own index is applied, the later one kept waiting.
		b, d := c.read(0), c.read(0)
		peer.answerRead(t, 5, true)
		peer.answerRead(t, 6, true)
		peer.Commit(4, other(4))
		peer.Commit(5, other(5))
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, b.calls, "the read confirmed at index 5, after index 5 was applied")
		require.Equal(t, OK, b.err)
		require.Zero(t, d.calls, "the read confirmed at index 6 was answered with index 5 applied")
		peer.Commit(6, other(6))
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, d.calls, "the read confirmed at index 6, after index 6 was applied (a waiting read must stay waiting while another is answered)")
		require.Equal(t, 6, d.applied)

		// A read whose index never comes: ErrTimeout after the layer's
		// time-out, and nothing more when the index comes later.
		start := c.w.Now()
		e := c.read(0)
		peer.answerRead(t, 8, true)
		c.w.Sleep(timeout + 50*time.Millisecond)
		require.Equal(t, 1, e.calls, "a read whose index is not applied within the time-out must end with ErrTimeout")
		require.Equal(t, ErrTimeout, e.err)
		require.LessOrEqual(t, e.at-start, timeout+time.Millisecond, "the read's time-out")
		peer.Commit(7, other(7))
		peer.Commit(8, other(8))
		c.w.Sleep(time.Millisecond)

		// A snapshot that covers a waiting read's index answers it (a leader
		// confirms a read, is deposed, and installs the new leader's snapshot).
		f := c.read(0)
		peer.answerRead(t, 12, true)
		peer.Leader, peer.Term = false, 2
		snap := newCounters()
		snap.applied = 12
		var buf bytes.Buffer
		require.NoError(t, labgob.NewEncoder(&buf).Encode(snapshot{State: snap.Snapshot()}))
		peer.Apply(replog.Msg{SnapshotValid: true, Snapshot: buf.Bytes(), SnapshotTerm: 2, SnapshotIndex: 12})
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, f.calls, "a read confirmed at index 12 must be answered once a snapshot through index 12 is installed")
		require.Equal(t, OK, f.err)
		require.Equal(t, 12, f.applied)

		// The layer goes on from the snapshot: the entry after it applies,
		// and a read at an index already applied is answered at once (the
		// peer leads again).
		peer.Commit(13, other(13))
		peer.Leader, peer.Term = true, 3
		g := c.read(0)
		peer.answerRead(t, 13, true)
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, g.calls, "a read confirmed at an index already applied")
		require.Equal(t, 13, g.applied)
		c.w.Sleep(2 * timeout) // no answer comes twice, no time-out fires for a read answered
	})
}

// A peer that does not lead answers Read with ErrWrongLeader (never from
// its own, possibly stale, state), from a later event; a leader whose
// ReadIndex cannot confirm yet (Raft's, before an entry of its term has
// committed, thesis §6.4) sends the read through the log and answers it
// once that entry applies.
func TestReadAtFollowerAndFreshLeader6B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c, peer := scriptedCluster(t, time.Second)
		peer.Commit(1, other(1))

		peer.Leader = false
		o := c.read(0)
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, o.calls, "a follower's read must be answered at once")
		require.Equal(t, ErrWrongLeader, o.err, "a follower answered a read from its own state: it may be behind (a stale read)")

		peer.Leader, peer.Term, peer.Next = true, 2, 2
		fresh := c.read(0)
		peer.answerRead(t, 0, false) // leads, but nothing of its term is committed yet
		c.w.Sleep(time.Millisecond)
		require.Zero(t, fresh.calls, "a leader that cannot confirm a read yet answered it (%q) before anything of its term committed", fresh.err)
		require.Len(t, peer.Started, 1, "the read must go through the log: one entry Started")
		peer.Commit(2, peer.Started[0])
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, fresh.calls, "the read that went through the log must be answered once its entry applies")
		require.Equal(t, OK, fresh.err)
		require.Equal(t, 1, fresh.applied, "the read's entry changes nothing in the service")
	})
}

// A request that is never applied (a leader that keeps leading but cannot
// commit: cut off from its majority, and no CheckQuorum) ends with
// ErrTimeout after the layer's time-out: its client must not wait forever.
func TestSubmitTimesOut6A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const timeout = 200 * time.Millisecond
		c, _ := scriptedCluster(t, timeout)
		start := c.w.Now()
		o := c.submit(0, add(1, 1, "a"))
		c.await(o, 10*timeout)
		require.Equal(t, ErrTimeout, o.err, "a request at a leader that never commits it")
		require.LessOrEqual(t, o.at-start, timeout+time.Millisecond, "it ends at the layer's time-out")
	})
}

// A leader that steps down without a new term (Raft's CheckQuorum, §6.2 of
// Ongaro's thesis: a leader that has not heard from a majority becomes a
// follower in the same term) with one request waiting must answer it with
// ErrWrongLeader at the next leadership check, not at the time-out.
func TestLoneRequestAtLeaderThatStepsDown6A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c, peer := scriptedCluster(t, 5*time.Second)
		o := c.submit(0, add(1, 1, "a"))
		c.w.Sleep(time.Millisecond)
		peer.Leader = false // the same term, no longer leading
		start := c.w.Now()
		c.await(o, 10*time.Second)
		require.Equal(t, ErrWrongLeader, o.err, "the one request of a leader that stepped down")
		require.Less(t, o.at-start, time.Second, "it must be answered at the next leadership check (GetState), not at the time-out (5 s here)")
	})
}

// A client's request that reaches a leader after the client has moved on
// (a copy held back in the network, or a try the client gave up on, whose
// request a later one has overtaken) must not be applied: the client's
// later requests already counted on its not being applied again.
func TestLateCopyOfOldRequest6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, "reliable")
		require.Equal(t, 1, c.do(add(1, 1, "x")))
		require.Equal(t, 2, c.do(add(1, 2, "x")))
		c.do(add(1, 1, "x")) // the late copy of Seq 1, after Seq 2 was applied
		require.Equal(t, 2, c.do(Request{Op: readOp{Key: "x"}}), "a late copy of the client's Seq 1 was applied after its Seq 2 (at most once per request)")
		require.Equal(t, 3, c.do(add(1, 3, "x")))
		c.agree()
	})
}

// maxStateSize 0 snapshots after every entry (Make: "if maxStateSize >= 0,
// the layer snapshots sm whenever the persisted state grows past it").
func TestSnapshotAtZeroSize6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, 0, "reliable")
		for seq := int64(1); seq <= 5; seq++ {
			require.Equal(t, int(seq), c.do(add(1, seq, "z")))
		}
		c.agree()
		for i := 0; i < 3; i++ {
			require.Positive(t, c.w.Persister(i).SnapshotSize(), "n%d never saved a snapshot with maxStateSize 0", i)
		}
	})
}

// logOnlyPeer is a scripted peer without ReadIndex: an engine that is not a
// replog.Reader.
type logOnlyPeer struct{ p *scriptedReader }

func (l *logOnlyPeer) Start(cmd any) (int, int, bool) { return l.p.Start(cmd) }
func (l *logOnlyPeer) GetState() (int, bool)          { return l.p.GetState() }
func (l *logOnlyPeer) Snapshot(index int, data []byte) {
	l.p.Snapshot(index, data)
}

// On an engine without ReadIndex a read goes through the log: it is
// answered once its own entry is applied, and only then (Read's contract:
// the state then holds every operation that completed before the read);
// one whose index another operation took hears ErrWrongLeader.
func TestReadWithoutReadIndex6B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		var peer *scriptedReader
		e := replog.Engine{Name: "scripted-log-only", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
			peer = &scriptedReader{ScriptedPeer: &harness.ScriptedPeer{Env: env, Apply: apply, Term: 1, Leader: true, Next: 2}}
			return &logOnlyPeer{peer}
		}}
		c := newCluster(t, e, 1, -1, "reliable")
		require.False(t, c.rsms[0].CanReadIndex())
		peer.Commit(1, other(1))

		o := c.read(0)
		c.w.Sleep(time.Millisecond)
		require.Zero(t, o.calls, "a read on an engine without ReadIndex was answered (%q) before its log entry applied", o.err)
		require.Len(t, peer.Started, 1, "the read must go through the log: one entry Started")
		peer.Commit(2, peer.Started[0])
		c.w.Sleep(time.Millisecond)
		require.Equal(t, 1, o.calls, "the read must be answered once its entry applies")
		require.Equal(t, OK, o.err)
		require.Equal(t, 1, o.applied, "the read's entry changes nothing in the service")

		lost := c.read(0)
		c.w.Sleep(time.Millisecond)
		require.Len(t, peer.Started, 2)
		peer.Leader = false      // deposed: a new leader's operation takes the read's index
		peer.Commit(3, other(3)) // (a leader never sees that in its own term)
		require.True(t, c.w.WaitUntil(func() bool { return lost.calls > 0 }, time.Millisecond, time.Second),
			"a read whose index another operation took must be answered")
		require.Equal(t, 1, lost.calls)
		require.Equal(t, ErrWrongLeader, lost.err, "a read whose index another operation took")
	})
}
