package rsm

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/replog"
	"protolab/tests"
)

// Part 6A: the layer, on both engines (each test runs as a subtest per
// engine: go test ./services/rsm -run 'TestOpsApplyInOrder6A/multipaxos').

func add(client, seq int64, key string) Request {
	return Request{ClientId: client, Seq: seq, Op: addOp{Key: key, Delta: 1}}
}

func TestOpsApplyInOrder6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 5, -1, "reliable")

		// One client, one request at a time: each answer is the counter
		// after exactly its own request.
		for seq := int64(1); seq <= 20; seq++ {
			require.Equal(t, int(seq), c.do(add(1, seq, "a")), "request %d of one client", seq)
		}

		// Ten requests in flight at once at the leader: they take indexes in
		// the order they were submitted, and each answer is its own.
		l := c.leader()
		var outs []*outcome
		for k := int64(0); k < 10; k++ {
			o := c.submit(l, add(100+k, 1, "b"))
			require.False(t, o.done, "done ran inside Submit; it must run from a later event")
			outs = append(outs, o)
		}
		for k, o := range outs {
			c.await(o, 5*time.Second)
			require.Equal(t, OK, o.err, "request %d at a stable leader", k)
			require.Equal(t, k+1, o.result, "request %d of 10 submitted in order: its result must be its own (the counter after it)", k)
		}
		c.agree()
	})
}

func TestFollowerSaysWrongLeader6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, "reliable")
		l := c.leader()
		f := (l + 1) % 3
		start := c.w.Now()
		o := c.submit(f, add(1, 1, "a"))
		require.False(t, o.done, "done ran inside Submit; it must run from a later event")
		c.await(o, time.Second)
		require.Equal(t, ErrWrongLeader, o.err, "a follower cannot apply a request")
		require.Less(t, o.at-start, 5*time.Millisecond, "a follower knows at once that it cannot apply the request (Start says so): its client should not wait")
		require.Equal(t, 1, c.do(add(1, 1, "a")), "the same request, retried at the leader")
	})
}

// A leader cut off from the others is deposed; the requests it took must
// end with ErrWrongLeader soon after it learns so (a clerk then goes
// elsewhere), not wait for the time-out, and never end with a result. It
// learns when it hears the new term or ballot, after it is connected
// again, or, for a Raft with CheckQuorum, when it steps down on its own.
func TestDeposedLeaderWrongLeader6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 5, -1, "reliable")
		c.timeout = 30 * time.Second // a time-out must not be what answers here
		for i := 0; i < 5; i++ {
			c.rsms[i].SetTimeout(c.timeout)
		}
		c.do(add(1, 1, "a"))
		old := c.leader()
		c.w.Disconnect(old)
		var outs []*outcome
		for k := int64(0); k < 3; k++ {
			outs = append(outs, c.submit(old, add(10+k, 1, "lost")))
		}
		c.leader() // the others elect a new leader
		c.w.Sleep(200 * time.Millisecond)
		back := c.w.Now()
		c.w.Connect(old)
		for k, o := range outs {
			c.await(o, 5*time.Second)
			require.Equal(t, ErrWrongLeader, o.err, "request %d at a deposed leader", k)
			require.Less(t, o.at-back, time.Second, "the deposed leader must answer once it learns of the new term or ballot (watch GetState), not at the time-out")
		}
		require.Equal(t, 2, c.do(add(1, 2, "a")))
		c.agree()
	})
}

// A leader that sees another request applied at the index its own
// request got must answer ErrWrongLeader, never the other request's result.
func TestAnotherOpAtIndex6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 5, -1, "reliable")
		c.timeout = 30 * time.Second
		for i := 0; i < 5; i++ {
			c.rsms[i].SetTimeout(c.timeout)
		}
		require.Equal(t, 1, c.do(add(1, 1, "x")))
		old := c.leader()
		c.w.Disconnect(old)
		mine := c.submit(old, Request{ClientId: 2, Seq: 1, Op: addOp{Key: "x", Delta: 100}})
		c.leader()
		for seq := int64(2); seq <= 4; seq++ { // the new leader fills the index the old one gave out
			require.Equal(t, int(seq), c.do(add(1, seq, "x")))
		}
		c.w.Connect(old)
		c.await(mine, 5*time.Second)
		require.NotEqual(t, OK, mine.err, "the deposed leader answered OK (result %v) for a request that was never applied: another request took its index", mine.result)
		require.Equal(t, ErrWrongLeader, mine.err)
		c.agree()
	})
}

// The same request (client, Seq) submitted again, after a leader change or
// after every server restarted, is answered with the result it had, and not
// applied a second time.
func TestDedupAcrossLeaderChange6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 5, -1, "reliable")
		require.Equal(t, 1, c.do(add(1, 1, "d")))
		l := c.leader()
		o := c.await(c.submit(l, add(1, 2, "d")), 5*time.Second)
		require.Equal(t, OK, o.err)
		require.Equal(t, 2, o.result)
		c.w.Crash(l) // as if the reply was lost with the leader: the clerk retries elsewhere
		require.Equal(t, 2, c.do(add(1, 2, "d")), "a retry of Seq 2 at the new leader must get Seq 2's result")
		c.start(l)
		require.Equal(t, 2, c.do(Request{Op: readOp{Key: "d"}}), "Seq 2 was applied twice")
		require.Equal(t, 3, c.do(add(1, 3, "d")))
		c.agree()
	})
}

func TestDedupAcrossRestart6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, 300, "reliable") // snapshots often: the log cannot rebuild the table
		for seq := int64(1); seq <= 30; seq++ {
			require.Equal(t, int(seq), c.do(add(1, seq, "r")))
		}
		c.agree()
		for i := 0; i < 3; i++ {
			c.w.Crash(i)
		}
		for i := 0; i < 3; i++ {
			c.start(i)
		}
		require.Equal(t, 30, c.do(add(1, 30, "r")), "Seq 30 retried after every server restarted: the duplicate table must come back with the snapshot")
		require.Equal(t, 30, c.do(Request{Op: readOp{Key: "r"}}), "Seq 30 was applied twice")
		require.Equal(t, 31, c.do(add(1, 31, "r")))
	})
}

func TestSnapshotSizeBound6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		const maxSize = 1000
		c := newCluster(t, e, 3, maxSize, "reliable")
		for seq := int64(1); seq <= 150; seq++ {
			require.Equal(t, int(seq), c.do(add(1, seq, "s")))
			for i := 0; i < 3; i++ {
				size := c.w.Persister(i).StateSize()
				require.LessOrEqual(t, size, 4*maxSize, "n%d's persisted state is %d bytes after %d requests; the layer must snapshot when it passes maxStateSize=%d", i, size, seq, maxSize)
			}
		}
		c.agree()
		for i := 0; i < 3; i++ {
			require.Positive(t, c.w.Persister(i).SnapshotSize(), "n%d never saved a snapshot", i)
		}
	})
}

func TestNoSnapshotWhenUnbounded6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, "reliable")
		for seq := int64(1); seq <= 20; seq++ {
			c.do(add(1, seq, "u"))
		}
		c.agree()
		for i := 0; i < 3; i++ {
			require.Zero(t, c.w.Persister(i).SnapshotSize(), "n%d saved a snapshot with maxStateSize -1", i)
		}
	})
}

// A peer that was down while the log was compacted catches up from the
// leader's snapshot; every peer restarted comes back with its state.
func TestRestartRestores6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, 500, "reliable")
		c.do(add(1, 1, "a"))
		l := c.leader()
		behind := (l + 1) % 3
		c.w.Crash(behind)
		for seq := int64(2); seq <= 60; seq++ {
			require.Equal(t, int(seq), c.do(add(1, seq, "a")))
		}
		c.start(behind)
		c.agree()
		require.Equal(t, 60, c.sms[behind].vals["a"], "the lagging peer's state after catching up")
		for i := 0; i < 3; i++ {
			c.w.Crash(i)
		}
		for i := 0; i < 3; i++ {
			c.start(i)
			require.Positive(t, c.sms[i].vals["a"], "n%d restarted: its state must be restored from the snapshot before Make returns", i)
		}
		// Raft commits the entries of an earlier term only with one of the
		// new leader's term (§5.4.2): a new request lets the log commit.
		require.Equal(t, 61, c.do(add(1, 61, "a")))
		c.agree()
		for i := 0; i < 3; i++ {
			require.Equal(t, 61, c.sms[i].vals["a"], "n%d restarted: its snapshot, then the log after it", i)
		}
	})
}

// Requests through crashes, partitions and a lossy network: each client's
// answers stay in step (each request applied once, each answer its own).
func TestUnreliableChurn6A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 5, 800, "unreliable")
		tests.Nemesis{Nodes: []int{0, 1, 2, 3, 4}, Every: 300 * time.Millisecond, For: 6 * time.Second,
			Partitions: true, Crashes: true, Unreliable: true}.Start(c.w)
		for seq := int64(1); seq <= 40; seq++ {
			client, n := 1+seq%3, (seq+2)/3
			require.Equal(t, int(n), c.do(add(client, n, fmt.Sprint("c", client))), "client %d's request %d", client, n)
		}
		c.w.Sleep(6 * time.Second)                  // the nemesis heals and restarts everything
		require.Equal(t, 1, c.do(add(9, 1, "end"))) // lets a new Raft leader commit its predecessors' entries (§5.4.2)
		c.agree()
	})
}

func TestSameSeedSameRun6A(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.RunTwice(t, func(t *tests.T) {
				c := newCluster(t, e, 3, 500, "unreliable")
				tests.Nemesis{Nodes: []int{0, 1, 2}, Every: 300 * time.Millisecond, For: 2 * time.Second, Crashes: true, Partitions: true}.Start(c.w)
				for seq := int64(1); seq <= 15; seq++ {
					c.do(add(1, seq, "t"))
				}
			})
		})
	}
}
