package live_test

import (
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/labrpc/live"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
)

// The reference engines, unchanged, on goroutines, loopback TCP, files and
// the real clock, held to the replicated-log contract by replog's checker:
// election safety, state-machine safety, applies in order, snapshots that
// hold what was committed, restarts from the latest snapshot.

func TestRaftOnLiveHost(t *testing.T) { runReplogLive(t, raft.Engine.WithSnapshots(10)) }

func TestMultiPaxosOnLiveHost(t *testing.T) { runReplogLive(t, paxos.Engine.WithSnapshots(10)) }

func runReplogLive(t *testing.T, e replog.Engine) {
	t.Parallel() // seconds of waiting on real timers, little work
	g := newGroup(t, e, 3)
	for i := range 3 {
		g.start(i)
	}
	deadline := time.Now().Add(20 * time.Second)
	cmd := 100
	for k := 0; k < 6; k++ {
		g.commit(cmd, 3, deadline)
		cmd++
	}
	// SIGKILL in miniature: the leader's incarnation ends mid-run; its file
	// is all the next one gets.
	old := g.leader(deadline)
	g.nodes[old].Stop()
	t.Logf("stopped n%d (the leader) at %v", old, time.Since(g.epoch).Round(time.Millisecond))
	for k := 0; k < 6; k++ {
		g.commit(cmd, 2, deadline)
		cmd++
	}
	g.start(old)
	last := g.commit(cmd, 3, deadline)
	g.waitApplied(old, last, deadline)
	for i := range 3 {
		g.nodes[i].Stop()
	}
	if err := g.err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %d entries committed, %d elections seen, in %v", e.Name, last, g.check.Elections(), time.Since(g.epoch).Round(time.Millisecond))
}

// group is a replicated log of live nodes in this process, with the
// checker on top as its service.
type group struct {
	t     *testing.T
	e     replog.Engine
	addrs []string
	dirs  []string
	incs  []uint32
	epoch time.Time
	nodes []*live.Node

	mu    sync.Mutex // the checker and peers: applies come from every node's loop
	check *replog.Checker
	peers []replog.Peer
}

func newGroup(t *testing.T, e replog.Engine, n int) *group {
	g := &group{t: t, e: e, epoch: time.Now(), check: replog.NewChecker(e.Name, n),
		incs: make([]uint32, n), nodes: make([]*live.Node, n), peers: make([]replog.Peer, n)}
	for range n {
		// A kernel-chosen port, kept for the node's restarts.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		g.addrs = append(g.addrs, ln.Addr().String())
		ln.Close()
		g.dirs = append(g.dirs, t.TempDir())
	}
	t.Cleanup(func() {
		for _, nd := range g.nodes {
			if nd != nil {
				nd.Stop()
			}
		}
	})
	return g
}

func (g *group) start(i int) {
	g.t.Helper()
	g.incs[i]++
	nd, err := live.Start(live.Config{Me: i, Addrs: g.addrs, Dir: g.dirs[i], Seed: 1, Incarnation: g.incs[i], Epoch: g.epoch, CallTimeout: 300 * time.Millisecond}, g.boot(i))
	if err != nil {
		g.t.Fatal(err)
	}
	g.nodes[i] = nd
}

func (g *group) boot(i int) labrpc.Boot {
	return func(env labrpc.Env) any {
		g.mu.Lock()
		g.peers[i] = nil
		g.check.Boot(i)
		g.mu.Unlock()
		p := g.e.Boot(env, env.Persister(), func(m replog.Msg) { g.apply(i, m) })
		g.mu.Lock()
		g.check.Booted(i)
		g.peers[i] = p
		g.mu.Unlock()
		return p
	}
}

// apply is the service: it runs on node i's loop.
func (g *group) apply(i int, m replog.Msg) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.check.Apply(i, m) {
		return
	}
	if every := g.e.SnapshotEvery; m.CommandValid && m.CommandIndex%every == 0 && g.peers[i] != nil {
		g.check.Snapshotted(i, m.CommandIndex)
		g.peers[i].Snapshot(m.CommandIndex, g.check.State(m.CommandIndex))
	}
}

func (g *group) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.check.Err(); err != nil {
		return err
	}
	for i, nd := range g.nodes {
		if err := nd.Err(); err != nil {
			return fmt.Errorf("n%d: %w", i, err)
		}
	}
	return nil
}

// state asks node i, on its own loop, whether it leads; the checker hears
// of every leader seen (election safety).
func (g *group) state(i int) (term int, leads bool) {
	nd := g.nodes[i]
	nd.Do(func() {
		g.mu.Lock()
		p := g.peers[i]
		g.mu.Unlock()
		if p != nil {
			term, leads = p.GetState()
		}
	})
	if leads {
		g.mu.Lock()
		g.check.Lead(i, term)
		g.mu.Unlock()
	}
	return term, leads
}

func (g *group) running(i int) bool {
	select {
	case <-g.nodes[i].Done():
		return false
	default:
		return true
	}
}

func (g *group) leader(deadline time.Time) int {
	g.t.Helper()
	for time.Now().Before(deadline) {
		if err := g.err(); err != nil {
			g.t.Fatal(err)
		}
		for i := range g.nodes {
			if g.running(i) {
				if _, leads := g.state(i); leads {
					return i
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.t.Fatalf("no leader before the deadline")
	return -1
}

// commit starts cmd at the leader until want peers have applied it, and
// returns its index.
func (g *group) commit(cmd, want int, deadline time.Time) int {
	g.t.Helper()
	for time.Now().Before(deadline) {
		l := g.leader(deadline)
		var index int
		var ok bool
		g.nodes[l].Do(func() {
			g.mu.Lock()
			p := g.peers[l]
			g.mu.Unlock()
			if p != nil {
				index, _, ok = p.Start(cmd)
			}
		})
		if !ok {
			continue
		}
		for wait := time.Now().Add(2 * time.Second); time.Now().Before(wait); time.Sleep(5 * time.Millisecond) {
			if err := g.err(); err != nil {
				g.t.Fatal(err)
			}
			g.mu.Lock()
			at := g.check.CommandAt(index)
			n := 0
			for i := range g.nodes {
				if g.check.Applied(i) >= index {
					n++
				}
			}
			g.mu.Unlock()
			if at != nil && at != cmd {
				break // another command took the index: start again
			}
			if at == cmd && n >= want {
				return index
			}
		}
	}
	g.t.Fatalf("command %d was not applied by %d peers before the deadline", cmd, want)
	return 0
}

func (g *group) waitApplied(i, index int, deadline time.Time) {
	g.t.Helper()
	for time.Now().Before(deadline) {
		g.mu.Lock()
		done := g.check.Applied(i) >= index
		g.mu.Unlock()
		if done {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	g.t.Fatalf("n%d did not catch up to index %d", i, index)
}
