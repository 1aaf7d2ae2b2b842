package replog

import (
	"fmt"
	"testing"
	"time"

	"protolab/replog"
	"protolab/tests"
)

// Reads without a log entry (replog.Reader: Raft's ReadIndex, thesis §6.4,
// and its Multi-Paxos equivalent), on any engine that offers them. The rule
// every scenario checks on every read it makes:
//
//   - a read answered ok has an index at or above every index some peer had
//     applied when the read began (a write applied anywhere may have been
//     answered to its client: the read must see it), and at or below the
//     highest index applied anywhere when it is answered (the index is
//     committed, so the service can apply it);
//   - done runs exactly once.

// ReadResult is how one read through ReadIndex went.
type ReadResult struct {
	Peer            int
	Began, Ended    time.Duration // when ReadIndex was called, and when done ran (0: not yet)
	Done, OK        bool
	Index           int
	CommittedAtCall int // the highest index any peer had applied when the read began
}

// BeginRead calls ReadIndex on peer i, which must be up, and returns the
// read's record, which done fills in. A read answered ok below an index
// that was applied before it began, or above any index applied when it is
// answered, or a second call of done, stops the run at once.
func (c *Cluster) BeginRead(i int) *ReadResult {
	p := c.Peer(i)
	if p == nil {
		c.Fatalf("BeginRead(%d): n%d is down", i, i)
	}
	rd, ok := p.(replog.Reader)
	if !ok {
		c.Fatalf("the %T peer does not implement replog.Reader: add ReadIndex(done func(index int, ok bool)) (thesis §6.4)", p)
	}
	r := &ReadResult{Peer: i, Began: c.w.Now(), CommittedAtCall: c.LastCommitted()}
	rd.ReadIndex(func(index int, ok bool) {
		if r.Done {
			c.w.Fail(fmt.Errorf("n%d called a read's done twice (index %d ok=%v, then index %d ok=%v): done runs exactly once", i, r.Index, r.OK, index, ok))
			return
		}
		r.Done, r.OK, r.Index, r.Ended = true, ok, index, c.w.Now()
		if !ok {
			return
		}
		if index < r.CommittedAtCall {
			c.w.Fail(fmt.Errorf("n%d answered a read begun at %v with index %d, but index %d had been applied before the read began: the read misses a completed write, a stale read (was the leader deposed? it must hear from a majority after the read begins, thesis §6.4)", i, r.Began, index, r.CommittedAtCall))
		}
		if last := c.LastCommitted(); index > last {
			c.w.Fail(fmt.Errorf("n%d answered a read with index %d, beyond the highest index applied anywhere (%d): the read index must be committed", i, index, last))
		}
	})
	return r
}

// Read calls ReadIndex on peer i and waits up to limit for done.
func (c *Cluster) Read(i int, limit time.Duration) *ReadResult {
	r := c.BeginRead(i)
	c.w.WaitUntil(func() bool { return r.Done }, time.Millisecond, limit)
	return r
}

// readOnLeader commits cmd and reads on the leader that committed it, trying
// again while leadership moves; it returns the read and the write's index.
func (c *Cluster) readOnLeader(cmd any, n int) (*ReadResult, int) {
	for try := 0; try < 5; try++ {
		index := c.One(cmd, n, true)
		leader := c.CheckOneLeader()
		if r := c.Read(leader, time.Second); r.OK {
			return r, index
		}
	}
	c.Fatalf("no leader served a read in 5 tries, on a reliable network with every peer up")
	return nil, 0
}

// TestReadIndexBasic: a read on the leader after a write returns an index at
// or above the write's, writes nothing to the log, and runs done once; a
// follower refuses reads (done(0, false)), at once or soon.
func TestReadIndexBasic(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := NewCluster(t, e, n, reliable)
		for k := 1; k <= 5; k++ {
			r, index := c.readOnLeader(100+k, n)
			if r.Index < index {
				c.Fatalf("a read after the write at index %d returned index %d: it misses the write (thesis §6.4)", index, r.Index)
			}
		}
		leader := c.CheckOneLeader()
		last := c.LastCommitted()
		for k := 0; k < 3; k++ {
			if r := c.Read(leader, time.Second); !r.OK {
				c.Fatalf("the leader n%d of a healthy cluster did not serve a read within a second (done=%v)", leader, r.Done)
			}
		}
		c.w.Sleep(200 * time.Millisecond)
		if got := c.LastCommitted(); got != last {
			c.Fatalf("reads committed indexes %d..%d: a read through ReadIndex writes nothing to the log", last+1, got)
		}
		for i := 0; i < n; i++ {
			if i == leader {
				continue
			}
			if r := c.Read(i, time.Second); !r.Done || r.OK {
				c.Fatalf("the follower n%d answered a read with (done=%v, ok=%v, index %d): only the leader may serve one, and a follower must say no (done(0, false))", i, r.Done, r.OK, r.Index)
			}
		}
	})
}

// TestReadIndexDeposedLeader: the leader is cut off from the majority. Reads
// begun on it after the cut never succeed, and each fails within a bound,
// while the majority elects another leader and commits new writes that those
// reads would miss. After the heal, reads on the new leader see the writes.
func TestReadIndexDeposedLeader(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := NewCluster(t, e, n, reliable)
		c.readOnLeader(1, n)
		old := c.CheckOneLeader()

		c.w.Note("the leader n%d is cut off; reads begun on it must not succeed", old)
		c.Disconnect(old)
		stale := []*ReadResult{c.BeginRead(old)} // before any other peer can have taken over
		stop := false
		c.w.Go("stale-reader", func() {
			for !stop {
				if _, leads := c.Peer(old).GetState(); leads {
					stale = append(stale, c.BeginRead(old))
				}
				c.w.Sleep(20 * time.Millisecond)
			}
		})
		written := 0
		for k := 0; k < 5; k++ {
			written = c.One(10+k, n-1, true)
		}
		c.w.Sleep(2 * time.Second)
		stop = true
		if len(stale) == 0 {
			c.Fatalf("n%d stopped believing it led at once, so no read was tried on it; the scenario tests nothing", old)
		}
		const bound = 2 * time.Second
		for _, r := range stale {
			if r.OK {
				c.Fatalf("the cut-off leader n%d served a read begun at %v with index %d, while the majority committed up to %d: a stale read (thesis §6.4)", old, r.Began, r.Index, written)
			}
			if !r.Done && c.w.Now()-r.Began > bound {
				c.Fatalf("a read begun on the cut-off leader n%d at %v is still unanswered at %v: fail it (done(0, false)) when leadership is lost or unconfirmed, so the client can try elsewhere", old, r.Began, c.w.Now())
			}
		}
		t.Logf("%d reads tried on the cut-off leader n%d; none succeeded", len(stale), old)

		c.Connect(old)
		r, index := c.readOnLeader(99, n)
		if r.Index < written || r.Index < index {
			c.Fatalf("after the heal a read returned index %d, below the writes at %d and %d", r.Index, written, index)
		}
	})
}

// TestReadIndexNewLeader: a write completes on the leader (it applies it),
// and the leader is cut off at once, before the others have heard that the
// write is chosen. The first reads on the new leader must still see it: a
// Raft leader refuses reads until an entry of its term commits (thesis §6.4
// step 1); a Multi-Paxos leader reads at its last slot, after the slots it
// adopted in phase 1 (the write among them) are chosen again. Three rounds.
func TestReadIndexNewLeader(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := NewCluster(t, e, n, reliable)
		c.One(1, n, true)
		var reads []*ReadResult
		for round := 0; round < 3; round++ {
			old := c.CheckOneLeader()
			index, _, ok := c.Peer(old).Start(100 + round)
			if !ok {
				continue
			}
			if !c.w.WaitUntil(func() bool { return c.Applied(old) >= index }, time.Millisecond, 2*time.Second) {
				c.Fatalf("n%d did not apply its own write at index %d within 2s on a reliable network", old, index)
			}
			c.w.Note("n%d applied index %d: it is cut off before the others learn it is chosen", old, index)
			c.Disconnect(old)
			next := -1
			if !c.w.WaitUntil(func() bool { next = c.Leader(); return next >= 0 }, time.Millisecond, 3*time.Second) {
				c.Fatalf("no new leader within 3s of cutting off n%d", old)
			}
			for k := 0; k < 20; k++ { // the new leader's first reads, a millisecond apart
				if _, leads := c.Peer(next).GetState(); leads {
					reads = append(reads, c.BeginRead(next))
				}
				c.w.Sleep(time.Millisecond)
			}
			c.w.Sleep(time.Second)
			c.Connect(old)
			c.One(200+round, n, true)
		}
		served := 0
		for _, r := range reads {
			if r.OK {
				served++
			}
		}
		t.Logf("%d reads on new leaders, %d served (each at or above the write its predecessor completed)", len(reads), served)
		c.readOnLeader(300, n) // and once the new leader has written, reads are served
	})
}

// ReadCost is what reads cost in RPCs (each with its reply), as the mean
// over Reps windows of readWindow each.
type ReadCost struct {
	Idle      float64 // RPCs in a window with no read (heartbeats only)
	One       float64 // in a window with one read
	Together  float64 // with Count reads begun at one instant
	Staggered float64 // with Count reads begun Gap apart
	Count     int
	Gap       time.Duration
	Peers     int
	Reps      int
}

// Round is one round of heartbeats: an RPC to each other peer.
func (r ReadCost) Round() float64 { return float64(r.Peers - 1) }

// Rounds is how many rounds above an idle window a window with rpcs RPCs cost.
func (r ReadCost) Rounds(rpcs float64) float64 { return (rpcs - r.Idle) / r.Round() }

func (r ReadCost) String() string {
	return fmt.Sprintf("%d peers, mean RPCs in a %v window over %d windows: idle %.1f; one read %.1f (%.2f rounds above idle); "+
		"%d reads at once %.1f (%.2f rounds); %d reads %v apart %.1f (%.2f rounds); a round is %.0f RPCs",
		r.Peers, readWindow, r.Reps, r.Idle, r.One, r.Rounds(r.One), r.Count, r.Together, r.Rounds(r.Together),
		r.Count, r.Gap, r.Staggered, r.Rounds(r.Staggered), r.Round())
}

// readWindow is how long each measurement of ReadCost counts RPCs.
const readWindow = 60 * time.Millisecond

// MeasureReadCost counts the RPCs of no read, one read, count reads begun
// at once, and count reads begun gap apart, each in reps windows of
// readWindow after a quiet spell, on the n peers of c (a reliable network),
// and returns the means. The windows take turns, so that each kind meets
// the heartbeats at as many phases as the others.
func MeasureReadCost(c *Cluster, n, count int, gap time.Duration, reps int) ReadCost {
	leader := c.CheckOneLeader()
	window := func(reads int, gap time.Duration) int64 {
		c.w.Sleep(300 * time.Millisecond) // let every earlier round settle
		if l := c.CheckOneLeader(); l != leader {
			c.Fatalf("the leader changed from n%d to n%d on a reliable network", leader, l)
		}
		start, before := c.w.Now(), c.w.TotalRPCs()
		var rs []*ReadResult
		for k := 0; k < reads; k++ {
			if k > 0 && gap > 0 {
				c.w.Sleep(gap)
			}
			rs = append(rs, c.BeginRead(leader))
		}
		c.w.Sleep(readWindow - (c.w.Now() - start))
		used := c.w.TotalRPCs() - before
		for k, r := range rs {
			if !r.OK {
				c.Fatalf("read %d of %d on the leader n%d was not served within %v (done=%v)", k+1, reads, leader, readWindow, r.Done)
			}
		}
		return used
	}
	var idle, one, together, staggered int64
	for i := 0; i < reps; i++ {
		idle += window(0, 0)
		one += window(1, 0)
		together += window(count, 0)
		staggered += window(count, gap)
	}
	mean := func(sum int64) float64 { return float64(sum) / float64(reps) }
	return ReadCost{Idle: mean(idle), One: mean(one), Together: mean(together), Staggered: mean(staggered),
		Count: count, Gap: gap, Peers: n, Reps: reps}
}

// TestReadIndexBatching: reads begun together share one round of
// heartbeats. Ten reads at one instant cost about what one read costs (one
// round: peers − 1 RPCs above the heartbeats of an idle window), and ten
// reads a millisecond apart a few rounds, not ten. Means over ten windows
// of each kind, so that where the heartbeats fall matters little.
func TestReadIndexBatching(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		const n, count = 5, 10
		c := NewCluster(t, e, n, reliable)
		c.readOnLeader(1, n)
		cost := MeasureReadCost(c, n, count, time.Millisecond, 10)
		t.Logf("%v", cost)
		if r := cost.Rounds(cost.One); r > 1.5 {
			c.Fatalf("one read cost %.2f rounds of heartbeats above an idle window: it needs one (%v)", r, cost)
		}
		if r := cost.Rounds(cost.Together); r > 1.5 {
			c.Fatalf("%d reads begun at one instant cost %.2f rounds of heartbeats above an idle window: concurrent reads must share one round (%v)", count, r, cost)
		}
		if r := cost.Rounds(cost.Staggered); r > float64(count)/2 {
			c.Fatalf("%d reads begun %v apart cost %.2f rounds above an idle window: a read begun while a round is out waits for it and goes with the next one (%v)", count, cost.Gap, r, cost)
		}
	})
}

// TestReadIndexChurn: five peers under the nemesis (partitions, crashes,
// loss, reordering) while clients write, and read on the peer that believes
// it leads (or, one time in four, on any peer). Every read answered ok is
// checked against what was applied before it began (BeginRead); once the
// nemesis has healed everything, reads are served again.
func TestReadIndexChurn(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := NewCluster(t, e, n, unreliable)
		tests.Nemesis{Nodes: []int{0, 1, 2, 3, 4}, Every: 300 * time.Millisecond, For: 8 * time.Second,
			Partitions: true, Crashes: true, Unreliable: true, Reorder: true}.Start(c.w)
		stop := false
		served, refused := 0, 0
		for client := 0; client < 3; client++ {
			c.w.Go(fmt.Sprint("writer", client), func() {
				rng := c.w.Rand()
				for k := 0; !stop; k++ {
					if p := c.Peer(rng.IntN(n)); p != nil {
						p.Start(10000*(client+1) + k)
					}
					c.w.Sleep(time.Duration(5+rng.IntN(40)) * time.Millisecond)
				}
			})
			c.w.Go(fmt.Sprint("reader", client), func() {
				rng := c.w.Rand()
				for !stop {
					i := c.Leader() // a client that has found the leader, mostly
					if i < 0 || rng.IntN(4) == 0 {
						i = rng.IntN(n)
					}
					if c.Peer(i) != nil {
						r := c.BeginRead(i)
						c.w.WaitUntil(func() bool { return r.Done || c.Peer(i) == nil }, time.Millisecond, 3*time.Second)
						if r.OK {
							served++
						} else {
							refused++
						}
					}
					c.w.Sleep(time.Duration(5+rng.IntN(20)) * time.Millisecond)
				}
			})
		}
		c.w.Sleep(8 * time.Second)
		stop = true
		c.w.Sleep(time.Second)
		t.Logf("%d reads served, %d refused or unanswered, %d indexes committed", served, refused, c.LastCommitted())
		// How many reads the churn lets through varies with the seed (none,
		// when it keeps every leader from a majority): safety is what is
		// checked during it; after it, reads must be served again.
		if r, index := c.readOnLeader(99, n); r.Index < index {
			c.Fatalf("after the churn a read returned index %d, below the write at %d", r.Index, index)
		}
	})
}

// TestReadIndexSameSeedSameRun runs reads through a leader change twice with
// one seed on a lossy network: the same run twice, another with the next
// seed (the determinism contract, with ReadIndex's rounds and timers in it).
func TestReadIndexSameSeedSameRun(t *testing.T, e replog.Engine) {
	tests.RunTwice(t, func(t *tests.T) {
		const n = 3
		c := NewCluster(t, e, n, unreliable)
		c.One(1, n, true)
		leader := c.CheckOneLeader()
		for k := 0; k < 5; k++ {
			c.BeginRead(leader)
		}
		c.Disconnect(leader)
		c.BeginRead(leader)
		c.One(2, n-1, true)
		c.Connect(leader)
		c.One(3, n, true)
		c.Read(c.CheckOneLeader(), time.Second)
	})
}
