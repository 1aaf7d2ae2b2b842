package election

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/lock"
	"protolab/tests"
)

// Scenarios written from the triage of 6D's full mutation run
// (docs/mutation.md, 6D).

// A client that leads and campaigns again gets its term at once, once,
// and never stops believing it leads in between: Campaign is how an
// application asks "make sure I lead", whether or not it already does.
func TestCampaignWhileLeading6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a := c.Clients[0]
		la := campaign(t, c, a, "A")(5 * time.Second)

		var again []Leader
		c.Election(a).Campaign("A", func(l Leader) { again = append(again, l) })
		_, leads := c.Election(a).Leads()
		require.True(t, leads, "a leader that campaigns again stopped believing it leads")
		require.True(t, c.W.WaitUntil(func() bool { return len(again) > 0 }, time.Millisecond, time.Second),
			"Campaign by the client that leads must answer with its term at once")
		c.W.Sleep(c.Cfg.Lease)
		require.Equal(t, []Leader{la}, again, "Campaign by the client that leads: its term, once")
		got, leads := c.Election(a).Leads()
		require.True(t, leads)
		require.Equal(t, la, got)
	})
}

// A queued candidate that campaigns again (before it leads) replaces its
// first campaign: when it comes to lead, only the second campaign's done
// runs, once. A client whose first campaign keeps running calls both.
func TestSecondCampaignReplacesFirst6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)

		var first, second []Leader
		c.Election(b).Campaign("B", func(l Leader) { first = append(first, l) })
		queued(t, c, b)
		c.W.Sleep(100 * time.Millisecond) // B polls, queued behind A
		c.Election(b).Campaign("B", func(l Leader) { second = append(second, l) })
		c.W.Sleep(100 * time.Millisecond)
		resign(t, c, a)
		require.True(t, c.W.WaitUntil(func() bool { return len(second) > 0 }, 5*time.Millisecond, 5*time.Second),
			"B did not lead within 5 s of A resigning")
		c.W.Sleep(c.Cfg.Lease)
		require.Empty(t, first, "B's first campaign, replaced by its second, must never call its done")
		require.Len(t, second, 1, "done of B's second campaign: once")
		require.Greater(t, second[0].Rev, la.Rev)
	})
}

// A client campaigns at boot, before its session has opened: it waits for
// the session and campaigns once in it (done runs once). Another campaigns
// at boot and resigns before its session opens: its withdrawn campaign
// must never reach the servers, or it would head the queue, with its
// session kept alive, and no one else could ever lead.
func TestCampaignBeforeSessionOpens6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		w := t.NewWorld(labrpc.Config{Nodes: 3 + 1 + 2, ClockDrift: lock.DefaultConfig.Rho})
		c, err := NewCell(w, e, 3, lock.DefaultConfig)
		require.NoError(t, err)
		c.MaxStateSize = 4000
		a, b := c.Clients[0], c.Clients[1]
		var terms []Leader
		c.App = func(env labrpc.Env, el *Election) {
			switch env.Me() {
			case a:
				el.Campaign("A", func(l Leader) { terms = append(terms, l) })
			case b:
				el.Campaign("B", func(Leader) { w.Fail(errors.New("B's withdrawn campaign called its done: it led after it resigned")) })
				el.Resign(func() {})
			}
		}
		c.StartAll()
		require.True(t, w.WaitUntil(func() bool { return len(terms) > 0 }, 5*time.Millisecond, 5*time.Second),
			"A campaigned at boot, before its session opened, and did not lead within 5 s (B withdrew its campaign)")
		w.Sleep(3 * c.Cfg.Lease)
		require.Len(t, terms, 1, "done of A's campaign: once")
		require.Equal(t, "A", terms[0].Value)
		for _, id := range c.Servers {
			if m := c.Machine(id); m != nil {
				require.Equal(t, []Leader{terms[0]}, m.History(c.Name), "n%d's terms: A's alone (B withdrew before its session opened)", id)
			}
		}
	})
}

// A leader cut off longer than the servers' lease loses its session, and
// another client takes over. Back on the network, in a new session, the
// first campaigns again: it must believe it leads only once its new
// candidacy heads the queue, not as soon as it is queued (the checks,
// after every event, fail a run in which two clients believe they lead).
func TestRecampaignAfterExpiryWaitsItsTurn6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)
		old := c.Election(a).lc.Session()

		c.W.Disconnect(a)
		lb := campaign(t, c, b, "B")(5 * c.Cfg.Lease) // A's session expired on the servers
		require.Greater(t, lb.Rev, la.Rev)
		c.W.Connect(a)
		require.True(t, c.W.WaitUntil(func() bool {
			s := c.Election(a).lc.Session()
			return s != 0 && s != old
		}, 5*time.Millisecond, 5*time.Second), "back on the network, A should open a new session")

		var terms []Leader
		c.Election(a).Campaign("A2", func(l Leader) { terms = append(terms, l) })
		queued(t, c, a)
		c.W.Sleep(c.Cfg.Lease)
		_, leads := c.Election(a).Leads()
		require.False(t, leads, "A, queued behind B, believes it leads")
		require.Empty(t, terms, "A's campaign called done while B leads")
		resign(t, c, b)
		require.True(t, c.W.WaitUntil(func() bool { return len(terms) > 0 }, 5*time.Millisecond, 5*time.Second),
			"A did not lead within 5 s of B resigning")
		require.Greater(t, terms[0].Rev, lb.Rev)
	})
}

// A queued candidate resigns while the answer to its last query is on its
// way, an answer that says it now heads the queue (the leader resigned
// just before the query was applied). The answer belongs to the withdrawn
// campaign: the client must not take it, neither believe it leads nor call
// that campaign's done.
func TestResignWhileAnswerOnItsWay6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		for _, s := range c.Servers { // answers take a while to reach B
			c.W.SetLinkDelay(s, b, 30*time.Millisecond, 30*time.Millisecond)
		}
		// The election operations the most advanced replica has applied, and
		// whether B's candidacy has headed the queue there.
		progress := func() (ops uint64, bHeads bool) {
			for _, id := range c.Servers {
				if m := c.Machine(id); m != nil && m.Ops() >= ops {
					h := m.History(c.Name)
					ops, bHeads = m.Ops(), len(h) > 0 && h[len(h)-1].Session == c.Election(b).cand.Session
				}
			}
			return ops, bHeads
		}
		hits := 0
		for attempt := 0; attempt < 3 && hits == 0; attempt++ {
			campaign(t, c, a, "A")(5 * time.Second)
			var terms []Leader
			c.Election(b).Campaign("B", func(l Leader) { terms = append(terms, l) })
			queued(t, c, b)
			c.W.Sleep(100 * time.Millisecond)

			// A resigns. The next election operation applied after that is
			// B's query, which finds B at the head; B resigns as soon as
			// the servers have applied it, while its answer is on its way.
			c.Election(a).Resign(func() {})
			var base uint64
			require.True(t, c.W.WaitUntil(func() bool {
				ops, bHeads := progress()
				base = ops
				return bHeads
			}, time.Millisecond, 5*time.Second), "A's Resign was not applied within 5 s")
			_, bLeads := c.Election(b).Leads()
			c.W.WaitUntil(func() bool {
				ops, _ := progress()
				_, bLeads = c.Election(b).Leads()
				return ops > base || bLeads
			}, time.Millisecond, time.Second)
			if !bLeads { // else: B's query was applied with A's Resign, and its answer is in; try again
				hits++
			}
			resigned := false
			c.Election(b).Resign(func() { resigned = true })
			require.True(t, c.W.WaitUntil(func() bool { return resigned }, 5*time.Millisecond, 5*time.Second), "B's Resign not answered within 5 s")
			c.W.Sleep(c.Cfg.Lease)
			if !bLeads {
				_, leads := c.Election(b).Leads()
				require.False(t, leads, "B believes it leads after it resigned")
				require.Empty(t, terms, "B's withdrawn campaign called its done: the answer to its query came after Resign")
			}
		}
		t.Logf("B resigned with the answer on its way in %d attempt(s)", hits)
	})
}

// A queued candidate's query is answered "you head the queue" (the leader
// has just resigned), but the answer is slow, and before it arrives the
// client is cut off long enough for the servers to expire its session, and
// learns so, and opens another. The answer is about the lost session's
// candidacy: the client must not lead with it (done with a term of a
// session that is gone), and must campaign again in its new session, once,
// and lead there.
func TestHeadAnswerAfterSessionLost6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		lc := c.Election(b).lc
		server := func(id int) *lock.LockServer {
			ls, _ := c.W.Service(id, "LockServer").(*lock.LockServer)
			return ls
		}
		for try := 0; ; try++ {
			require.Less(t, try, 3, "in 3 attempts, B's query was never applied after A's Resign with its answer still to come")
			campaign(t, c, a, "A")(5 * time.Second)
			var terms []Leader
			c.Election(b).Campaign("B", func(l Leader) { terms = append(terms, l) })
			queued(t, c, b)
			old := lc.Session()
			leader := -1
			require.True(t, c.W.WaitUntil(func() bool {
				for _, id := range c.Servers {
					if ls := server(id); ls != nil && ls.IsLeader() {
						leader = id
						return true
					}
				}
				return false
			}, time.Millisecond, 5*time.Second), "no server leads")

			// Just after a KeepAlive is answered (the next is a third of a
			// local lease away), A resigns; as soon as the leader has applied
			// that, its answers to B become slow (3 s).
			end := lc.LeaseEnd()
			require.True(t, c.W.WaitUntil(func() bool { return lc.LeaseEnd() != end }, time.Millisecond, 2*time.Second), "no KeepAlive answered within 2 s")
			c.Election(a).Resign(func() {})
			var base uint64
			require.True(t, c.W.WaitUntil(func() bool {
				m := c.Machine(leader)
				h := m.History(c.Name)
				base = m.Ops()
				return len(h) > 0 && h[len(h)-1].Session == old
			}, time.Millisecond, 2*time.Second), "A's Resign was not applied within 2 s")
			c.W.SetLinkDelay(leader, b, 3*time.Second, 3*time.Second)
			_, bLeads := c.Election(b).Leads()
			c.W.WaitUntil(func() bool {
				_, bLeads = c.Election(b).Leads()
				return c.Machine(leader).Ops() > base || bLeads
			}, time.Millisecond, time.Second)
			c.W.SetLinkDelay(leader, b, time.Millisecond, 5*time.Millisecond)
			if bLeads { // its query was applied with A's Resign, and the answer came fast: again
				resign(t, c, b)
				continue
			}

			// The answer ("B heads the queue") is on its way. B is cut off
			// until the servers expire its session.
			for _, id := range c.Servers {
				c.W.Cut(b, id)
			}
			require.True(t, c.W.WaitUntil(func() bool {
				live, _ := server(leader).Machine().Live(old)
				return !live
			}, 5*time.Millisecond, 3*time.Second), "the servers did not expire B's session")
			require.Empty(t, terms, "B took the answer before its session expired (the scenario needs it slower)")
			for _, id := range c.Servers {
				c.W.Uncut(b, id)
			}
			require.True(t, c.W.WaitUntil(func() bool { return len(terms) > 0 }, 5*time.Millisecond, 5*time.Second),
				"B did not lead within 5 s of being back (it must campaign again in its new session)")
			c.W.Sleep(2 * c.Cfg.Lease)
			require.Len(t, terms, 1, "done of B's campaign: once")
			require.NotEqual(t, old, terms[0].Session, "B led with the candidacy of its lost session %d", old)
			require.Equal(t, lc.Session(), terms[0].Session, "B leads in its current session")
			got, leads := c.Election(b).Leads()
			require.True(t, leads)
			require.Equal(t, terms[0], got)
			return
		}
	})
}
