package lock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/tests"
)

// engines are the two engines every 6C test runs on.
var engines = []replog.Engine{raft.Engine, paxos.Engine}

// forEngine runs a simulated test once per engine, as subtests named after
// it (go test ./services/lock -run 'TestPausedHolderFenced6C/raft').
func forEngine(t *testing.T, body func(t *tests.T, e replog.Engine)) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.Run(t, func(t *tests.T) { body(t, e) })
		})
	}
}

// newCell is a started cell of three lock servers, a storage node and
// clients client nodes, whose clocks drift within cfg.Rho.
func newCell(t *tests.T, e replog.Engine, clients int, cfg Config, wcfg labrpc.Config) *Cell {
	wcfg.Nodes = 3 + 1 + clients
	wcfg.ClockDrift = cfg.Rho
	w := t.NewWorld(wcfg)
	c, err := NewCell(w, e, 3, cfg)
	require.NoError(t, err)
	c.StartAll()
	require.True(t, w.WaitUntil(c.allOpen, 10*time.Millisecond, 5*time.Second),
		"every client should open a session within 5 s")
	return c
}

// acquire has client node id ask for lock name and waits for the grant.
func acquire(t *tests.T, c *Cell, id int, name string, limit time.Duration) Sequencer {
	t.Helper()
	var got Sequencer
	c.Client(id).Acquire(name, func(seq Sequencer) { got = seq })
	require.True(t, c.W.WaitUntil(func() bool { return got.Gen != 0 }, 5*time.Millisecond, limit),
		"%s: Acquire(%q) not granted within %v", c.W.Name(id), name, limit)
	return got
}

// write has client node id write key=value with seq, and waits for the answer.
func write(t *tests.T, c *Cell, id int, key, value string, seq Sequencer) Err {
	t.Helper()
	var got Err
	c.Client(id).Write(c.Storage, key, value, seq, func(e Err) { got = e })
	require.True(t, c.W.WaitUntil(func() bool { return got != "" }, 5*time.Millisecond, 5*time.Second), "the storage server did not answer")
	return got
}

func TestAcquireRelease6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, DefaultConfig, labrpc.Config{})
		a, b := c.Clients[0], c.Clients[1]

		seqA := acquire(t, c, a, "L", 5*time.Second)
		require.Equal(t, uint64(1), seqA.Gen, "the first grant of L")
		require.Equal(t, OK, write(t, c, a, "file", "a1", seqA))

		var tried Err
		c.Client(b).TryAcquire("L", func(_ Sequencer, err Err) { tried = err })
		require.True(t, c.W.WaitUntil(func() bool { return tried != "" }, 5*time.Millisecond, 5*time.Second))
		require.Equal(t, ErrBusy, tried, "TryAcquire of a held lock")

		// The holder keeps its lease with KeepAlives: well past one lease,
		// it still holds the lock.
		c.W.Sleep(3 * c.Cfg.Lease)
		_, holds := c.Client(a).Holds("L")
		require.True(t, holds, "a client that keeps its session alive keeps its lock")

		var released Err
		c.Client(a).Release("L", func(err Err) { released = err })
		seqB := acquire(t, c, b, "L", 5*time.Second)
		// A's answer may come after B's grant: both were applied, in that order.
		require.True(t, c.W.WaitUntil(func() bool { return released != "" }, 5*time.Millisecond, 5*time.Second))
		require.Equal(t, OK, released)
		require.Greater(t, seqB.Gen, seqA.Gen, "a re-grant carries a greater sequencer")
		require.Equal(t, OK, write(t, c, b, "file", "b1", seqB))
		require.Equal(t, ErrStaleSequencer, write(t, c, a, "file", "a2", seqA), "a write with the released grant's sequencer")
		require.Equal(t, "b1", c.Store().Get("file"))
	})
}

// A holder cut off from the servers stops believing it holds the lock when
// its local lease ends; the servers expire its session after theirs, and
// the lock goes to a waiting client. Back on the network, the first client
// learns its session is gone.
func TestExpiryReleasesLocks6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, DefaultConfig, labrpc.Config{})
		a, b := c.Clients[0], c.Clients[1]
		seqA := acquire(t, c, a, "L", 5*time.Second)
		oldSession := c.Client(a).Session()

		c.W.Disconnect(a)
		t0 := c.W.Now()
		seqB := acquire(t, c, b, "L", 5*c.Cfg.Lease)
		require.Greater(t, seqB.Gen, seqA.Gen)
		require.GreaterOrEqual(t, c.W.Now()-t0, ClientLease(c.Cfg.Lease, c.Cfg.Rho), "the lock moved before the holder's lease could have ended")
		_, holds := c.Client(a).Holds("L")
		require.False(t, holds, "the cut-off holder still believes it holds the lock")

		c.W.Connect(a)
		require.True(t, c.W.WaitUntil(func() bool {
			s := c.Client(a).Session()
			return s != 0 && s != oldSession
		}, 10*time.Millisecond, 5*time.Second), "back on the network, the client should learn its session expired and open another")
		_, holds = c.Client(a).Holds("L")
		require.False(t, holds, "a new session inherits no lock")
	})
}

// The handout's story: a holder pauses longer than its lease, its session
// expires, another client takes the lock and writes; the first resumes and
// writes under its old sequencer, and the storage refuses it.
func TestPausedHolderFenced6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		w := t.NewWorld(labrpc.Config{Nodes: 6, ClockDrift: DefaultConfig.Rho})
		res, err := PausedHolder(w, e, DefaultConfig)
		require.NoError(t, err)
		for _, s := range res.Steps {
			t.Logf("%s", s)
		}
		require.Greater(t, res.SeqB.Gen, res.SeqA.Gen, "B's grant must carry a greater sequencer than A's")
		require.Equal(t, ErrStaleSequencer, res.LateWrite,
			"the storage accepted the paused holder's write under %v after B wrote under %v: without fencing, A overwrote B's data", res.SeqA, res.SeqB)
		require.Equal(t, "B's data", res.Final)
	})
}

// leader is the lock server that leads now, or -1.
func (c *Cell) leader() int {
	for _, id := range c.Servers {
		if ls := c.Server(id); ls != nil {
			if _, isLeader := ls.rsm.Peer().GetState(); isLeader {
				return id
			}
		}
	}
	return -1
}

// A follower cut off while a session expires applies the whole story late,
// in a burst, at moments its clock sees very differently from the
// leader's. It must still reach the same state after each operation (the
// cell checks every replica's digest against the first to apply as many
// operations): expiry enters the state only through the log.
func TestLateReplicaAgreesOnExpiry6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, DefaultConfig, labrpc.Config{})
		a, b := c.Clients[0], c.Clients[1]
		acquire(t, c, a, "L", 5*time.Second)
		lead := c.leader()
		require.NotEqual(t, -1, lead, "a leader should have been elected")
		late := c.Servers[(lead+1)%len(c.Servers)]
		c.W.Disconnect(late)
		c.W.Pause(a, 3*c.Cfg.Lease)
		acquire(t, c, b, "L", 3*c.Cfg.Lease)
		c.W.Sleep(c.Cfg.Lease)
		c.W.Connect(late)
		require.True(t, c.W.WaitUntil(func() bool {
			now := c.leader()
			if now < 0 {
				return false
			}
			ls, ll := c.Server(late), c.Server(now)
			return ls != nil && ll != nil && ls.m.Ops() == ll.m.Ops()
		}, 10*time.Millisecond, 5*time.Second), "the late replica should catch up within 5 s")
		require.Equal(t, c.Server(c.leader()).m.Digest(), c.Server(late).m.Digest())
	})
}

// A client told that its session expired forgets it at once: until the
// next session opens, Session() is 0 and the old session's locks are not
// its own to release (ErrNotHeld, answered locally). A client that keeps
// the expired session's id and locks until the new one opens sends
// requests in a session the servers have ended.
func TestExpiredSessionForgottenAtOnce6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, DefaultConfig, labrpc.Config{})
		a, b := c.Clients[0], c.Clients[1]
		acquire(t, c, a, "L", 5*time.Second)
		oldSession := c.Client(a).Session()

		c.W.Disconnect(a)
		acquire(t, c, b, "L", 5*c.Cfg.Lease) // a's session has expired
		c.W.Connect(a)

		var sessions []SessionID // what Session() said, each change
		require.True(t, c.W.WaitUntil(func() bool {
			s := c.Client(a).Session()
			if len(sessions) == 0 || sessions[len(sessions)-1] != s {
				sessions = append(sessions, s)
			}
			return s != 0 && s != oldSession
		}, time.Millisecond, 5*time.Second), "back on the network, the client should learn its session expired and open another")
		require.Contains(t, sessions, SessionID(0),
			"Session() went %v: told that session %d expired, the client must drop it (Session() 0) before the next opens", sessions, oldSession)
	})
}
