package replog

import (
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// A Cluster is n peers of one engine in a simulated world, each with the
// suite's service on top: a state machine that records what it applies and
// checks the invariants (see the package comment) after every event. The
// scenarios use it, and so can an engine's own tests:
//
//	c := replog.NewCluster(t, engine, 5, labrpc.MustProfile("reliable"))
//	leader := c.CheckOneLeader()
//	index := c.One(42, 5, true)
type Cluster struct {
	t         *tests.T
	w         *labrpc.World
	e         replog.Engine
	n         int
	snapEvery int

	peers     []replog.Peer   // the running incarnation of each node; nil while it boots or is down
	snapshots []int           // snapshots[i]: how many snapshots node i's services were handed
	connected []bool          // as the test set it with Connect/Disconnect
	check     *replog.Checker // what each peer applied, and the first violation, reported by the world's check
}

// NewCluster starts n peers of engine e on a network with the given profile.
// The service snapshots every e.SnapshotEvery indexes, if that is positive.
func NewCluster(t *tests.T, e replog.Engine, n int, profile labrpc.Profile) *Cluster {
	return newCluster(t, e, n, profile, e.SnapshotEvery)
}

func newCluster(t *tests.T, e replog.Engine, n int, profile labrpc.Profile, snapEvery int) *Cluster {
	c := &Cluster{
		t: t, e: e, n: n, snapEvery: snapEvery,
		peers:     make([]replog.Peer, n),
		connected: make([]bool, n),
		snapshots: make([]int, n),
		check:     replog.NewChecker(e.Name, n),
	}
	c.w = t.NewWorld(labrpc.Config{Nodes: n, Profile: profile})
	c.w.Check(c.check.Err)
	t.CountCommitted(c.LastCommitted)
	for i := 0; i < n; i++ {
		c.StartNode(i)
	}
	return c
}

// World is the cluster's simulated world.
func (c *Cluster) World() *labrpc.World { return c.w }

// replog.Peer is node i's running peer, or nil if it is down.
func (c *Cluster) Peer(i int) replog.Peer {
	if !c.w.Alive(i) {
		return nil
	}
	return c.peers[i]
}

// Applied is the last index node i's current incarnation has applied.
func (c *Cluster) Applied(i int) int { return c.check.Applied(i) }

// CommandAt is the command committed at index, or nil if no peer has
// applied it yet.
func (c *Cluster) CommandAt(index int) any { return c.check.CommandAt(index) }

// LastCommitted is the highest index any peer has applied.
func (c *Cluster) LastCommitted() int { return c.check.LastCommitted() }

// boot is node i's boot function: a fresh peer of the engine, with a fresh
// service on top (a new incarnation rebuilds its state from the snapshot the
// engine hands it, then from the log).
func (c *Cluster) boot(i int) labrpc.Boot {
	return func(env labrpc.Env) any {
		c.peers[i] = nil
		c.check.Boot(i)
		p := c.e.Boot(env, env.Persister(), func(m replog.Msg) { c.onApply(i, m) })
		c.peers[i] = p
		return p
	}
}

// StartNode starts node i (again, after Crash), from its Persister, and
// connects it.
func (c *Cluster) StartNode(i int) {
	c.w.Start(i, c.boot(i))
	c.connected[i] = true
	c.w.Connect(i)
}

// Crash stops node i; its Persister survives.
func (c *Cluster) Crash(i int) {
	c.w.Crash(i)
	c.peers[i] = nil
}

// Restart crashes node i (if it runs) and starts it again from its
// Persister.
func (c *Cluster) Restart(i int) {
	c.Crash(i)
	c.w.Start(i, c.boot(i))
}

// Disconnect cuts node i off from everyone; Connect links it again.
func (c *Cluster) Disconnect(i int) { c.connected[i] = false; c.w.Disconnect(i) }

// Connect undoes Disconnect.
func (c *Cluster) Connect(i int) { c.connected[i] = true; c.w.Connect(i) }

// Up reports whether node i runs and is connected.
func (c *Cluster) Up(i int) bool { return c.peers[i] != nil && c.w.Alive(i) && c.connected[i] }

// Fatalf notes the failure in the trace and fails the test.
func (c *Cluster) Fatalf(format string, args ...any) {
	c.t.Helper()
	c.w.Note("test fails: "+format, args...)
	c.t.Fatalf("%s: "+format, append([]any{c.e.Name}, args...)...)
}

// The service: the checker, which snapshots every snapEvery indexes.

func (c *Cluster) onApply(i int, m replog.Msg) {
	if m.SnapshotValid {
		c.snapshots[i]++
	}
	if c.check.Apply(i, m) && m.CommandValid && c.snapEvery > 0 && m.CommandIndex%c.snapEvery == 0 && c.peers[i] != nil {
		c.peers[i].Snapshot(m.CommandIndex, c.check.State(m.CommandIndex))
	}
}

// What scenarios are made of, after MIT 6.5840's Raft tester.

// checkOneLeader waits until some connected peer leads, requires that no two
// connected peers lead with one term, and returns the leader with the
// highest term.
func (c *Cluster) CheckOneLeader() int {
	c.t.Helper()
	for iters := 0; iters < 10; iters++ {
		c.w.Sleep(time.Duration(450+c.w.Rand().IntN(100)) * time.Millisecond)
		leaders := map[int][]int{}
		lastTerm := -1
		for i := 0; i < c.n; i++ {
			if !c.Up(i) {
				continue
			}
			if term, isLeader := c.peers[i].GetState(); isLeader {
				leaders[term] = append(leaders[term], i)
				lastTerm = max(lastTerm, term)
			}
		}
		for term, ls := range leaders {
			if len(ls) > 1 {
				c.Fatalf("term %d has %d leaders: %v (at most one leader per term or ballot)", term, len(ls), ls)
			}
		}
		if lastTerm >= 0 {
			return leaders[lastTerm][0]
		}
	}
	c.Fatalf("no leader among the connected peers after 5s")
	return -1
}

// nCommitted says how many running peers have applied index, and the
// command there.
func (c *Cluster) NCommitted(index int) (int, any) {
	count := 0
	for i := 0; i < c.n; i++ {
		if c.peers[i] != nil && c.check.Applied(i) >= index {
			count++
		}
	}
	return count, c.check.CommandAt(index)
}

// one submits cmd until it commits at the index Start gave, on at least
// expected peers, and returns that index. With retry, it tries again if the
// command lost its index to another (the leader failed); without, that is a
// failure. It gives up after 10s of virtual time.
func (c *Cluster) One(cmd any, expected int, retry bool) int {
	c.t.Helper()
	deadline := c.w.Now() + 10*time.Second
	starts := 0
	for c.w.Now() < deadline {
		index := -1
		for si := 0; si < c.n; si++ {
			starts = (starts + 1) % c.n
			if c.Up(starts) {
				if i, _, ok := c.peers[starts].Start(cmd); ok {
					index = i
					break
				}
			}
		}
		if index == -1 {
			c.w.Sleep(50 * time.Millisecond)
			continue
		}
		end := c.w.Now() + 2*time.Second
		for c.w.Now() < end {
			if nd, cmd1 := c.NCommitted(index); nd > 0 && nd >= expected {
				if replog.SameCommand(cmd1, cmd) {
					return index
				}
				break
			}
			c.w.Sleep(20 * time.Millisecond)
		}
		if !retry {
			nd, cmd1 := c.NCommitted(index)
			c.Fatalf("one(%s) failed to reach agreement: index %d has %s on %d peers, want it on %d", replog.Show(cmd), index, replog.Show(cmd1), nd, expected)
		}
		c.w.Sleep(50 * time.Millisecond)
	}
	c.Fatalf("one(%s) failed to reach agreement in 10s", replog.Show(cmd))
	return -1
}

// wait waits until at least n peers have applied index, and returns the
// command there.
func (c *Cluster) Wait(index, n int) any {
	c.t.Helper()
	ok := c.w.WaitUntil(func() bool { nd, _ := c.NCommitted(index); return nd >= n }, 10*time.Millisecond, 10*time.Second)
	nd, cmd := c.NCommitted(index)
	if !ok {
		c.Fatalf("only %d peers applied index %d after 10s; want %d", nd, index, n)
	}
	return cmd
}
