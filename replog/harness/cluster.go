// Package harness is the cluster harness for a service on a replicated log:
// n peers of one engine (protolab/replog's contract) in a simulated world,
// with a service on top of each that the contract's Checker plays. Tests,
// the tool's runners and demos, and the benchmarks all drive a cluster with
// it; it imports no testing, so a tool that uses it does not link it.
//
// A Cluster checks the contract's invariants after every event of the run
// (election safety, one command per index, each index applied once and in
// order, snapshots that hold what was committed, a restart that restores
// its snapshot), and offers the helpers scenarios are written with, after
// MIT 6.5840's Raft tester: CheckOneLeader, One (submit until committed),
// NCommitted, Wait. A helper that fails tells the cluster's Reporter (a
// test's T, or a benchmark's B); with none, it stops the run, and Run turns
// the stopped run into an error:
//
//	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 5})
//	defer w.Close()
//	c := harness.New(w, raft.Engine, nil)
//	c.StartAll()
//	err := harness.Run(w, func() error {
//		c.One("x", 5, true)
//		return nil
//	})
package harness

import (
	"fmt"

	"protolab/labrpc"
	"protolab/replog"
)

// A Reporter is told of a failure that ends the run: a test's *tests.T, or
// a *testing.T or *testing.B. Fatalf must not return (theirs end the test
// or benchmark's goroutine).
type Reporter interface {
	Helper()
	Fatalf(format string, args ...any)
}

// A Cluster is n peers of one engine in a world, each with the checked
// service on top. Make one with New.
type Cluster struct {
	w   *labrpc.World
	e   replog.Engine
	n   int
	rep Reporter // nil: a failure stops the run (see Run)

	peers    []replog.Peer   // the running incarnation of each node; nil while it boots or before it starts
	booting  []bool          // the engine's Boot runs for this node: its applies restore
	installs []int           // installs[i]: snapshots node i installed from another peer (not restored at boot)
	check    *replog.Checker // what each peer applied, and the first violation

	// OnApply, if set, is called after peer i applies m and the checker
	// has accepted it (before the service snapshots): benchmarks and tools
	// time commits with it.
	OnApply func(i int, m replog.Msg)
}

// New makes a cluster of every node of w running engine e, with the
// service snapshotting every e.SnapshotEvery indexes (if positive). It
// starts no node: StartAll or Start does. Its checks run after every event
// of w. rep hears the helpers' failures; nil stops the run instead.
func New(w *labrpc.World, e replog.Engine, rep Reporter) *Cluster {
	n := w.Nodes()
	c := &Cluster{
		w: w, e: e, n: n, rep: rep,
		peers:    make([]replog.Peer, n),
		booting:  make([]bool, n),
		installs: make([]int, n),
		check:    replog.NewChecker(e.Name, n),
	}
	w.Check(c.checkEvent)
	return c
}

// InProcess is the cluster as a simulated process (w.Go) uses it: a process
// may not end a test itself, so the helpers' failures stop the run instead,
// with the failure as the run's error. It shares everything else with c.
func (c *Cluster) InProcess() *Cluster {
	p := *c
	p.rep = nil
	return &p
}

// World is the cluster's simulated world.
func (c *Cluster) World() *labrpc.World { return c.w }

// Checker is the service's checker: what each peer applied, and what is
// committed.
func (c *Cluster) Checker() *replog.Checker { return c.check }

// Peer is node i's running peer, or nil if it is down.
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

// Installs is how many snapshots node i has installed from another peer,
// across its incarnations (the ones restored at boot do not count).
func (c *Cluster) Installs(i int) int { return c.installs[i] }

// boot is node i's boot function: a fresh peer of the engine, with a fresh
// service on top (a new incarnation rebuilds its state from the snapshot the
// engine hands it, then from the log).
func (c *Cluster) boot(i int) labrpc.Boot {
	return func(env labrpc.Env) any {
		c.peers[i] = nil // Make may apply a snapshot before it returns
		c.check.Boot(i)
		c.booting[i] = true
		p := c.e.Boot(env, env.Persister(), func(m replog.Msg) { c.onApply(i, m) })
		c.booting[i] = false
		c.check.Booted(i)
		c.peers[i] = p
		return p
	}
}

// Start starts node i (again, after Crash) from its Persister.
func (c *Cluster) Start(i int) { c.w.Start(i, c.boot(i)) }

// StartAll starts every node.
func (c *Cluster) StartAll() {
	for i := 0; i < c.n; i++ {
		c.Start(i)
	}
}

// Crash stops node i; its Persister survives.
func (c *Cluster) Crash(i int) { c.w.Crash(i) }

// Restart crashes node i (if it runs) and starts it again from its
// Persister.
func (c *Cluster) Restart(i int) {
	c.w.Crash(i)
	c.Start(i)
}

// Disconnect cuts node i off from everyone; Connect links it again.
func (c *Cluster) Disconnect(i int) { c.w.Disconnect(i) }

// Connect undoes Disconnect.
func (c *Cluster) Connect(i int) { c.w.Connect(i) }

// Up reports whether node i runs and is connected.
func (c *Cluster) Up(i int) bool { return c.w.Alive(i) && c.w.Connected(i) && c.peers[i] != nil }

// Fatalf ends the run with a failure: it notes it in the trace and tells
// the Reporter, or, with none, stops the run with it (Run returns it).
func (c *Cluster) Fatalf(format string, args ...any) {
	if c.rep == nil {
		c.w.Fail(fmt.Errorf(format, args...))
		c.w.Sleep(0) // a stopped run stops its caller: a driver panics with labrpc.Stopped (see Run), a process ends
		return
	}
	c.rep.Helper()
	c.w.Note("test fails: "+format, args...)
	c.rep.Fatalf(format, args...)
}

// The service: the checker, which snapshots every SnapshotEvery indexes.

func (c *Cluster) onApply(i int, m replog.Msg) {
	if !c.check.Apply(i, m) {
		return
	}
	if m.SnapshotValid && !c.booting[i] {
		c.installs[i]++
	}
	if c.OnApply != nil {
		c.OnApply(i, m)
	}
	if every := c.e.SnapshotEvery; m.CommandValid && every > 0 && m.CommandIndex%every == 0 && c.peers[i] != nil {
		c.check.Snapshotted(i, m.CommandIndex)
		c.peers[i].Snapshot(m.CommandIndex, c.check.State(m.CommandIndex))
	}
}

// checkEvent runs after every event: it tells the checker who leads with
// which term or ballot, and reports the first violation.
func (c *Cluster) checkEvent() error {
	for i := 0; i < c.n; i++ {
		if p := c.Peer(i); p != nil {
			if term, isLeader := p.GetState(); isLeader {
				c.check.Lead(i, term)
			}
		}
	}
	return c.check.Err()
}
