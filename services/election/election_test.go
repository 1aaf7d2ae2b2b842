package election

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/services/lock"
	"protolab/tests"
)

// engines are the two engines every 6D test runs on.
var engines = []replog.Engine{raft.Engine, paxos.Engine}

// forEngine runs a simulated test once per engine, as subtests named after
// it (go test ./services/election -run 'TestHandoffInOrder6D/raft').
func forEngine(t *testing.T, body func(t *tests.T, e replog.Engine)) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.Run(t, func(t *tests.T) { body(t, e) })
		})
	}
}

// newCell is a started cell of three servers, a storage node and clients
// client nodes, whose clocks drift within cfg.Rho.
func newCell(t *tests.T, e replog.Engine, clients int, cfg lock.Config) *Cell {
	w := t.NewWorld(labrpc.Config{Nodes: 3 + 1 + clients, ClockDrift: cfg.Rho})
	c, err := NewCell(w, e, 3, cfg)
	require.NoError(t, err)
	c.MaxStateSize = 4000 // the campaigners' and observers' queries fill the log
	c.StartAll()
	require.True(t, w.WaitUntil(c.allOpen, 10*time.Millisecond, 5*time.Second),
		"every client should open a session within 5 s")
	return c
}

// campaign has client node id campaign with value; the returned func waits
// (up to limit) for it to lead and returns its term.
func campaign(t *tests.T, c *Cell, id int, value string) func(limit time.Duration) Leader {
	var got Leader
	c.Election(id).Campaign(value, func(l Leader) { got = l })
	return func(limit time.Duration) Leader {
		t.Helper()
		require.True(t, c.W.WaitUntil(func() bool { return got.Rev != 0 }, 5*time.Millisecond, limit),
			"%s: Campaign(%q) did not lead within %v", c.W.Name(id), value, limit)
		return got
	}
}

// queued waits until client id's campaign is in the queue.
func queued(t *tests.T, c *Cell, id int) {
	t.Helper()
	require.True(t, c.W.WaitUntil(func() bool { return c.Election(id).cand.Rev != 0 }, 5*time.Millisecond, 5*time.Second),
		"%s: its campaign was not queued within 5 s", c.W.Name(id))
}

// resign has client id resign and waits for the servers' answer.
func resign(t *tests.T, c *Cell, id int) {
	t.Helper()
	done := false
	c.Election(id).Resign(func() { done = true })
	require.True(t, c.W.WaitUntil(func() bool { return done }, 5*time.Millisecond, 5*time.Second), "%s: Resign not answered within 5 s", c.W.Name(id))
}

// write has client id write key=value under term, and waits for the answer.
func write(t *tests.T, c *Cell, id int, key, value string, term Leader) lock.Err {
	t.Helper()
	var got lock.Err
	c.Election(id).Write(c.Storage, key, value, term, func(e lock.Err) { got = e })
	require.True(t, c.W.WaitUntil(func() bool { return got != "" }, 5*time.Millisecond, 5*time.Second), "the storage server did not answer")
	return got
}

// Three clients campaign in turn; each resignation hands leadership to the
// next in the order they campaigned, with a greater revision each time, and
// an observer sees the three terms in order.
func TestHandoffInOrder6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 4, lock.DefaultConfig)
		a, b, d, obs := c.Clients[0], c.Clients[1], c.Clients[2], c.Clients[3]
		var seen []Leader
		c.Election(obs).Observe(func(l Leader) { seen = append(seen, l) })

		la := campaign(t, c, a, "A")(5 * time.Second)
		require.Equal(t, "A", la.Value)
		// C campaigns before B: it must lead before B.
		waitD := campaign(t, c, d, "C")
		queued(t, c, d)
		waitB := campaign(t, c, b, "B")
		queued(t, c, b)

		// The leader stays the leader while it keeps its session, well past
		// a lease.
		c.W.Sleep(3 * c.Cfg.Lease)
		_, leads := c.Election(a).Leads()
		require.True(t, leads, "a leader that keeps its session alive stays leader")
		require.Equal(t, []int{a}, c.Leaders())

		resign(t, c, a)
		ld := waitD(2 * time.Second)
		require.Greater(t, ld.Rev, la.Rev, "a new term carries a greater revision")
		_, bLeads := c.Election(b).Leads()
		require.False(t, bLeads, "B campaigned after C, so C leads first")
		resign(t, c, d)
		lb := waitB(2 * time.Second)
		require.Greater(t, lb.Rev, ld.Rev)

		require.True(t, c.W.WaitUntil(func() bool { return len(seen) == 3 }, 5*time.Millisecond, 2*time.Second),
			"the observer should see 3 terms, saw %v", seen)
		require.Equal(t, []string{"A", "C", "B"}, []string{seen[0].Value, seen[1].Value, seen[2].Value})
		l, ok := c.Election(obs).Leader()
		require.True(t, ok)
		require.Equal(t, lb, l, "Leader() is the newest term the observer learned")
	})
}

// The leader's node crashes: the next campaigner leads once the servers
// expire the dead session, not before the dead leader's lease could have
// ended.
func TestLeaderCrash6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)
		waitB := campaign(t, c, b, "B")
		queued(t, c, b)
		c.W.Crash(a)
		t0 := c.W.Now()
		lb := waitB(3 * c.Cfg.Lease)
		t.Logf("B led %v after A crashed (lease %v, client lease %v)", c.W.Now()-t0, c.Cfg.Lease, lock.ClientLease(c.Cfg.Lease, c.Cfg.Rho))
		require.Greater(t, lb.Rev, la.Rev)
		require.GreaterOrEqual(t, c.W.Now()-t0, lock.ClientLease(c.Cfg.Lease, c.Cfg.Rho)/2,
			"B led %v after A crashed: the servers may drop A only when its session expires", c.W.Now()-t0)
	})
}

// The leader pauses (a long GC pause) past its lease with a write prepared.
// Its session expires, the next campaigner leads and writes; the first
// resumes, no longer believes it leads, and its prepared write is refused
// by the storage because of its older revision.
func TestPausedLeaderFenced6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)
		require.Equal(t, lock.OK, write(t, c, a, "config", "A1", la))
		waitB := campaign(t, c, b, "B")
		queued(t, c, b)

		var late lock.Err
		ea := c.Election(a)
		ea.lc.Env().After(time.Millisecond, func() {
			// Runs when A resumes: it sends the write it had prepared.
			ea.Write(c.Storage, "config", "A2", la, func(err lock.Err) { late = err })
		})
		c.W.Pause(a, 3*c.Cfg.Lease)
		lb := waitB(3 * c.Cfg.Lease)
		require.Greater(t, lb.Rev, la.Rev)
		require.True(t, c.W.Paused(a), "B led while A was still paused")
		require.Equal(t, lock.OK, write(t, c, b, "config", "B1", lb))
		require.True(t, c.W.WaitUntil(func() bool { return late != "" }, 5*time.Millisecond, 5*c.Cfg.Lease), "A's late write was not answered")
		require.Equal(t, lock.ErrStaleSequencer, late, "the deposed leader's write under revision %d after B wrote under %d", la.Rev, lb.Rev)
		require.Equal(t, "B1", c.Store().Get("config"))
		_, aLeads := ea.Leads()
		require.False(t, aLeads, "A resumed believing it leads")
	})
}

// Leaders change faster than observers poll (each leader resigns as soon as
// it leads); every observer still sees every term, in order: the servers'
// history.
func TestObserversSeeEveryChange6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 6, lock.DefaultConfig)
		campaigners, observers := c.Clients[:4], c.Clients[4:]
		seen := map[int][]Leader{}
		for _, id := range observers {
			c.Election(id).Observe(func(l Leader) { seen[id] = append(seen[id], l) })
		}
		terms := 0
		for round := 0; round < 3; round++ {
			for i, id := range campaigners {
				el := c.Election(id)
				el.Campaign(fmt.Sprintf("n%d/%d", i, round), func(Leader) {
					terms++
					el.Resign(func() {})
				})
			}
			require.True(t, c.W.WaitUntil(func() bool { return terms == 4*(round+1) }, 5*time.Millisecond, 5*time.Second),
				"round %d: %d terms of %d", round, terms, 4*(round+1))
		}
		var history []Leader
		for _, id := range c.Servers {
			if m := c.Machine(id); m != nil && len(m.History(c.Name)) > len(history) {
				history = m.History(c.Name)
			}
		}
		require.Len(t, history, terms, "the servers' history has one entry per term")
		require.True(t, c.W.WaitUntil(func() bool {
			for _, id := range observers {
				if len(seen[id]) < len(history) {
					return false
				}
			}
			return true
		}, 5*time.Millisecond, 2*time.Second), "the observers should catch up within 2 s")
		for _, id := range observers {
			require.Equal(t, history, seen[id], "%s should see every term, in order", c.W.Name(id))
		}
	})
}

// A campaigner application: campaign, write under the term, hold a while,
// resign, rest, again.
type campaigner struct {
	env     labrpc.Env
	e       *Election
	storage int
	terms   *int
	refused *int
}

func (cp *campaigner) next() {
	cp.e.Campaign(fmt.Sprintf("n%d", cp.env.Me()), func(l Leader) {
		*cp.terms++
		cp.e.Write(cp.storage, "config", fmt.Sprintf("rev %d by n%d", l.Rev, cp.env.Me()), l, func(err lock.Err) {
			if err != lock.OK {
				*cp.refused++
			}
			hold := time.Duration(cp.env.Rand().IntN(100)) * time.Millisecond
			cp.env.After(hold, func() {
				cp.e.Resign(func() {
					cp.env.After(time.Duration(cp.env.Rand().IntN(50))*time.Millisecond, cp.next)
				})
			})
		})
	})
}

// contend runs campaigners on clients client nodes while, for faults, the
// servers are partitioned, crashed and restarted (restoring snapshots) and
// cut off, the network loses messages, and clients pause; then for calm
// more with no faults. The checks run after every event. It returns the
// terms begun in all and after the faults.
func contend(t *tests.T, e replog.Engine, clients int, faults, calm time.Duration) (terms, afterFaults, refused int) {
	w := t.NewWorld(labrpc.Config{Nodes: 3 + 1 + clients, ClockDrift: lock.DefaultConfig.Rho})
	c, err := NewCell(w, e, 3, lock.DefaultConfig)
	require.NoError(t, err)
	c.MaxStateSize = 4000
	c.App = func(env labrpc.Env, el *Election) {
		cp := &campaigner{env: env, e: el, storage: c.Storage, terms: &terms, refused: &refused}
		env.After(100*time.Millisecond, cp.next)
	}
	c.StartAll()
	tests.Nemesis{Nodes: c.Servers, Every: 400 * time.Millisecond, For: faults,
		Partitions: true, Crashes: true, Outages: true, Unreliable: true}.Start(w)
	tests.Nemesis{Nodes: c.Clients, Every: time.Second, For: faults, Pauses: true}.Start(w)
	w.Sleep(faults)
	during := terms
	w.Sleep(calm)
	return terms, terms - during, refused
}

// Five clients campaign, write under their term, hold it, resign, and again,
// through 5 s of faults and 3 s of calm. While the faults last, a paused
// or cut-off candidate at the head of the queue holds the others up until
// its session expires; once they end, the clients lead in turn again.
func TestContentionUnderFaults6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		terms, after, refused := contend(t, e, 5, 5*time.Second, 3*time.Second)
		t.Logf("%d terms (%d after the faults), %d writes refused by the storage", terms, after, refused)
		require.GreaterOrEqual(t, after, 5, "the clients should lead in turn again within 3 s of the faults' end")
	})
}

// The run-twice check on the contention scenario: the same seed gives the
// same run, event for event.
func TestSameSeedSameRun6D(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.RunTwice(t, func(t *tests.T) { contend(t, e, 3, 2*time.Second, time.Second) })
		})
	}
}
