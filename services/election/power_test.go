package election

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/replog"
	"protolab/services/lock"
	"protolab/tests"
)

// Scenarios written from the generated mutants that the other 6D tests let
// through (docs/mutation.md, "Lab 6: election").

// A campaigner that does not observe still learns its own term from its
// campaign's queries: once it leads, Leader() names that term. A client
// that drops what its campaign's queries bring knows of no leader while it
// leads.
func TestCampaignerLearnsItsTerm6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)
		l, ok := c.Election(a).Leader()
		require.True(t, ok, "A leads with %v, but Leader() knows of no term: the campaign's queries bring the terms", la)
		require.Equal(t, la, l, "Leader() of the client that leads")

		// B campaigns and observes: its own queries and its observer's
		// overlap, and the observer must still see each term once.
		var seen []Leader
		c.Election(b).Observe(func(l Leader) { seen = append(seen, l) })
		waitB := campaign(t, c, b, "B")
		queued(t, c, b)
		c.W.Sleep(c.Cfg.Lease) // queries of both kinds, many times
		resign(t, c, a)
		lb := waitB(2 * time.Second)
		c.W.Sleep(c.Cfg.Lease)
		require.Equal(t, []Leader{la, lb}, seen, "the observer of a campaigning client should see each term once, in order")
	})
}

// Campaign, Resign and Campaign again at once: only the second campaign
// counts. Its done runs once, with its own value; the first campaign's
// answers, still on their way, must not be taken for the second's.
func TestCampaignResignCampaign6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)

		el := c.Election(b)
		var first, second []Leader
		el.Campaign("B1", func(l Leader) { first = append(first, l) })
		el.Resign(func() {})
		el.Campaign("B2", func(l Leader) { second = append(second, l) })
		c.W.Sleep(c.Cfg.Lease)
		resign(t, c, a)
		require.True(t, c.W.WaitUntil(func() bool { return len(second) > 0 }, 5*time.Millisecond, 5*time.Second),
			"B's second campaign did not lead within 5 s of A resigning")
		c.W.Sleep(2 * c.Cfg.Lease)
		require.Empty(t, first, "the campaign B withdrew (Resign) must never call its done")
		require.Len(t, second, 1, "done of B's second campaign: once")
		require.Equal(t, "B2", second[0].Value)
		require.Greater(t, second[0].Rev, la.Rev)
		got, leads := el.Leads()
		require.True(t, leads)
		require.Equal(t, second[0], got)
	})
}

// A queued candidate whose session expires (its node cut off longer than
// the servers' lease) campaigns again in its next session, and leads once
// the leader resigns; its done runs once.
func TestQueuedCandidateSurvivesExpiry6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)
		var terms []Leader
		c.Election(b).Campaign("B", func(l Leader) { terms = append(terms, l) })
		queued(t, c, b)
		old := c.Election(b).cand.Session

		c.W.Disconnect(b)
		c.W.Sleep(3 * c.Cfg.Lease) // the servers expire b's session
		c.W.Connect(b)
		require.True(t, c.W.WaitUntil(func() bool {
			cand := c.Election(b).cand
			return cand.Session != 0 && cand.Session != old
		}, 5*time.Millisecond, 5*time.Second), "B's session expired while it was queued: it should campaign again in its next session")
		resign(t, c, a)
		require.True(t, c.W.WaitUntil(func() bool { return len(terms) > 0 }, 5*time.Millisecond, 5*time.Second),
			"B did not lead within 5 s of A resigning")
		c.W.Sleep(c.Cfg.Lease)
		require.Len(t, terms, 1, "done of B's campaign: once")
		require.Greater(t, terms[0].Rev, la.Rev)
		require.Equal(t, c.Election(b).cand.Session, terms[0].Session)
	})
}

// A client cut off long enough for its session to expire campaigns before
// it learns so: the servers refuse the campaign (the session is gone), and
// the client campaigns again in its next session, once. Its done runs
// once, and it leads after the leader resigns.
func TestCampaignAcrossExpiry6D(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCell(t, e, 2, lock.DefaultConfig)
		a, b := c.Clients[0], c.Clients[1]
		la := campaign(t, c, a, "A")(5 * time.Second)
		old := c.Election(b).lc.Session()

		c.W.Disconnect(b)
		c.W.Sleep(3 * c.Cfg.Lease) // the servers expire b's session
		var terms []Leader
		c.Election(b).Campaign("B", func(l Leader) { terms = append(terms, l) })
		c.W.Connect(b)
		require.True(t, c.W.WaitUntil(func() bool {
			s := c.Election(b).lc.Session()
			return s != 0 && s != old && c.Election(b).cand.Session == s
		}, 5*time.Millisecond, 5*time.Second), "B should campaign again in its next session")
		c.W.Sleep(c.Cfg.Lease)
		resign(t, c, a)
		require.True(t, c.W.WaitUntil(func() bool { return len(terms) > 0 }, 5*time.Millisecond, 5*time.Second),
			"B did not lead within 5 s of A resigning")
		c.W.Sleep(2 * c.Cfg.Lease)
		require.Len(t, terms, 1, "done of B's campaign: once")
		require.Greater(t, terms[0].Rev, la.Rev)
		var history []Leader
		for _, id := range c.Servers {
			if m := c.Machine(id); m != nil && len(m.History(c.Name)) > len(history) {
				history = m.History(c.Name)
			}
		}
		require.Equal(t, []Leader{la, terms[0]}, history, "the servers' terms: A's, then B's")
	})
}
