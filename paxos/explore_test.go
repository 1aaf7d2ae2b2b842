package paxos

import (
	"testing"
	"time"

	"protolab/explore"
	"protolab/tests"
	"protolab/tests/replog"
)

// Schedule searches (docs/explore.md) for agreement: at most one value is
// decided per instance, and only a proposed one (the synods' check, after
// every event). Every peer proposes its own value for the same instances
// at once, so the proposers duel and the network's choices decide who wins.

func TestSearchAgreement5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 60, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newSynods(t, 3, reliable)
		for seq := 0; seq < 3; seq++ {
			for i := 0; i < 3; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		t.World().Sleep(time.Second)
	})
}

// Four peers, searched: every peer proposes its own value for the same
// three instances at once. With an even number of peers, two halves do not
// make two majorities: a quorum is n/2+1, 3 of 4 (with three or five
// peers, half rounded up happens to be a majority too, so only an even
// group tells them apart).
func TestSearchAgreementFour5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 10, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 4
		c := newSynods(t, n, reliable)
		for seq := 0; seq < 3; seq++ {
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		t.World().Sleep(time.Second)
	})
}

// Five proposers, searched: five peers, and for each of four instances
// every peer proposes its own value at a moment drawn from the harness's
// stream within 20 ms, so tries overlap and retry with higher ballots while
// the search delays promises and acceptances, late ones by 20 ms
// (Options.Long), within a retry. Promises of different ballots report
// different accepted values; the proposer must adopt the
// highest-ballot one (§2.2) and count only promises of its current ballot.
func TestSearchDuel5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 30, Long: 20 * time.Millisecond, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 5
		c := newSynods(t, n, reliable)
		w := t.World()
		rng := w.Rand()
		for seq := 0; seq < 4; seq++ {
			for i := 0; i < n; i++ {
				w.Sleep(time.Duration(rng.IntN(5)) * time.Millisecond)
				c.start(i, seq, seq*10+i)
			}
		}
		w.Sleep(time.Second)
	})
}

// With a crash and a restart in the middle of the duel: what an acceptor
// promised and accepted must survive it.
func TestSearchAgreementRestart5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 60, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newSynods(t, 3, reliable)
		for i := 0; i < 3; i++ {
			c.start(i, 0, 10+i)
		}
		w := t.World()
		w.Sleep(3 * time.Millisecond)
		w.Crash(1)
		w.Sleep(20 * time.Millisecond)
		w.Restart(1)
		c.start(1, 0, 99)
		w.Sleep(time.Second)
	})
}

// A restart between a promise and a competing proposal, searched: for each
// of ten instances two peers propose values of their own a few milliseconds
// apart, and the third, an acceptor only in this instance, may crash for 2 ms
// before the second proposal or after it (the harness's stream decides). What the acceptor promised and accepted
// before the crash must hold after it, or two values are chosen.
func TestSearchRestartMidRound5A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 40, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newSynods(t, 3, reliable)
		w := t.World()
		rng := w.Rand()
		for seq := 0; seq < 10; seq++ {
			a := rng.IntN(3)
			b := (a + 1 + rng.IntN(2)) % 3
			v := 3 - a - b // the third peer
			crash := rng.IntN(2) == 0
			atB, atCrash := time.Duration(rng.IntN(8))*time.Millisecond, time.Duration(rng.IntN(8))*time.Millisecond
			c.start(a, seq, seq*10+a)
			if crash && atCrash < atB {
				w.Sleep(atCrash)
				w.Crash(v)
				w.Sleep(2 * time.Millisecond)
				w.Restart(v)
				atB -= min(atB, atCrash+2*time.Millisecond)
			}
			w.Sleep(atB)
			c.start(b, seq, seq*10+b)
			if crash && atCrash >= atB {
				w.Sleep(atCrash - atB)
				w.Crash(v)
				w.Sleep(2 * time.Millisecond)
				w.Restart(v)
			}
			w.Sleep(300 * time.Millisecond)
		}
	})
}

// Multi-Paxos, searched: three peers, a command handed to every peer that
// believes it leads every 50 ms, and a peer drawn from the harness's stream
// crashed and restarted every 400 ms. The shared replicated-log checks
// (state-machine safety after every event) must hold.
func TestSearchLogAgreement5B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 30, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 3
		c := replog.NewCluster(t, multiPaxos, n, reliable)
		w := t.World()
		submit := func(rounds int) {
			for k := 0; k < rounds; k++ {
				w.Sleep(50 * time.Millisecond)
				for i := 0; i < n; i++ {
					if c.Up(i) {
						c.Peer(i).Start(k)
					}
				}
			}
		}
		for round := 0; round < 4; round++ {
			submit(5)
			victim := w.Rand().IntN(n)
			c.Crash(victim)
			submit(3)
			c.StartNode(victim)
		}
		submit(5)
	})
}

// Reads, searched: three peers; every 20 ms the leader among the connected
// peers takes a command, and each peer that believes it leads, connected or
// not, begins a read (ReadIndex); every 300 ms the leader may be cut off
// (the harness's stream decides) until the next round, while it still
// believes it leads. Every read answered ok must see
// every write applied before the read began, and no more than is committed
// (BeginRead's checks: linearizable reads, thesis §6.4).
func TestSearchReads6B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 3
		c := replog.NewCluster(t, multiPaxos, n, reliable)
		w := t.World()
		rng := w.Rand()
		cut := -1
		for round := 0; round < 6; round++ {
			if cut >= 0 {
				c.Connect(cut)
				cut = -1
			}
			if l := c.Leader(); l >= 0 && rng.IntN(2) == 0 {
				c.Disconnect(l)
				cut = l
			}
			for k := 0; k < 15; k++ {
				if l := c.Leader(); l >= 0 {
					c.Peer(l).Start(100*round + k)
				}
				for i := 0; i < n; i++ {
					if p := c.Peer(i); p != nil {
						if _, leads := p.GetState(); leads {
							c.BeginRead(i)
						}
					}
				}
				w.Sleep(20 * time.Millisecond)
			}
		}
	})
}

// Snapshots, searched: three peers whose services snapshot after every
// command, a command handed to every peer that believes it leads every 50
// ms, and in turn a follower cut off long enough to need a snapshot, the
// leader cut off, and a peer drawn from the harness's stream crashed and
// restarted. The shared replicated-log checks (state-machine safety after
// every event; every service's state, snapshots included) must hold.
func TestSearchSnapshots5B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 3
		c := replog.NewCluster(t, Engine.WithSnapshots(1), n, reliable)
		w := t.World()
		rng := w.Rand()
		submit := func(rounds int) {
			for k := 0; k < rounds; k++ {
				w.Sleep(50 * time.Millisecond)
				for i := 0; i < n; i++ {
					if c.Up(i) {
						c.Peer(i).Start(k)
					}
				}
			}
		}
		submit(2)
		for round := 0; round < 2; round++ {
			if l := c.Leader(); l >= 0 {
				f := (l + 1 + rng.IntN(2)) % n
				c.Disconnect(f)
				submit(8)
				c.Connect(f)
			}
			submit(3)
			if l := c.Leader(); l >= 0 {
				c.Disconnect(l)
				submit(8)
				c.Connect(l)
			}
			submit(3)
			victim := rng.IntN(n)
			c.Crash(victim)
			submit(2)
			c.StartNode(victim)
		}
		submit(4)
	})
}

// Campaigns, searched: five peers; every 20 ms the leader among the
// connected peers takes a command, and whenever a peer has led for 300 ms it
// is cut off for 400 ms, so candidates campaign again and again, outbid one
// another, and lead again in higher ballots, while the search delays
// promises and Accept replies past a campaign. A promise or an Accept reply
// counts only for the ballot it answers (state-machine safety, checked
// after every event).
func TestSearchCampaigns5B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 10, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 5
		c := replog.NewCluster(t, multiPaxos, n, reliable)
		w := t.World()
		cut := -1
		for round := 0; round < 8; round++ {
			for k := 0; k < 15; k++ {
				if l := c.Leader(); l >= 0 {
					c.Peer(l).Start(100*round + k)
				}
				w.Sleep(20 * time.Millisecond)
			}
			if cut >= 0 {
				c.Connect(cut)
				cut = -1
			} else if l := c.Leader(); l >= 0 {
				c.Disconnect(l)
				cut = l
			}
		}
	})
}

// Two ballots for one slot, searched: five peers, played with partitions.
// The leader and one acceptor are cut off, and the leader's next command
// reaches only that acceptor; the three others elect a leader, which puts
// its own command in the same slot and gets it chosen. Then the acceptor
// that holds the first command meets two of the three, and they elect a
// leader among themselves: its promises report the slot in two ballots, and
// only the higher one's command may be proposed there (Paxos Made Simple
// §2.2; state-machine safety, checked after every event).
func TestSearchTwoBallotsOneSlot5B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 5
		c := replog.NewCluster(t, multiPaxos, n, reliable)
		w := t.World()
		leaderIn := func(group []int) int {
			leader, best := -1, -1
			for _, i := range group {
				if p := c.Peer(i); p != nil {
					if b, leads := p.GetState(); leads && b > best {
						leader, best = i, b
					}
				}
			}
			return leader
		}
		all := []int{0, 1, 2, 3, 4}
		if !w.WaitUntil(func() bool { return leaderIn(all) >= 0 }, time.Millisecond, 2*time.Second) {
			t.Fatalf("no leader")
		}
		a := leaderIn(all)
		c.Peer(a).Start("warm-up")
		w.Sleep(100 * time.Millisecond)
		x := (a + 1) % n
		rest := []int{(a + 2) % n, (a + 3) % n, (a + 4) % n}
		w.Partition([]int{a, x}, rest)
		c.Peer(a).Start("P")
		w.Sleep(50 * time.Millisecond)
		var b int
		if !w.WaitUntil(func() bool { b = leaderIn(rest); return b >= 0 }, time.Millisecond, 2*time.Second) {
			t.Fatalf("the three did not elect a leader")
		}
		c.Peer(b).Start("Q")
		w.Sleep(100 * time.Millisecond)
		var meet []int
		for _, i := range rest {
			if i != b {
				meet = append(meet, i)
			}
		}
		meet = append(meet, x)
		w.Partition(meet, []int{a, b})
		w.Sleep(1500 * time.Millisecond)
		w.Heal()
		w.Sleep(500 * time.Millisecond)
	})
}
