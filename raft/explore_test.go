package raft

import (
	"fmt"
	"hash/fnv"
	"slices"
	"testing"
	"time"

	"protolab/explore"
	"protolab/labrpc"
	"protolab/tests"
	"protolab/tests/replog"
)

// Schedule searches (docs/explore.md): the cluster's invariants (election
// safety, log matching, leader completeness, state-machine safety) are
// checked after every event, and the search varies the network's choices
// to break one. Each is bounded to stay a second or two in make test; lab
// explore raft -run TestSearch... --budget 60s searches longer.

// submitEvery hands a command to every peer that believes it leads, every
// period, n times: leaders come and go under the search's faults, and
// every one of them gets commands to replicate.
func submitEvery(c *cluster, period time.Duration, n int) {
	for k := 0; k < n; k++ {
		c.w.Sleep(period)
		for i := 0; i < c.n; i++ {
			if rf := c.raft(i); rf != nil {
				rf.Start(fmt.Sprintf("c%d", k))
			}
		}
	}
}

// StateHash describes a peer's state for the bounded search's state hashing
// (labrpc.StateHasher): Figure 2's state, persistent and volatile, the role
// and what a leader knows of each follower. Timers are left out: two
// schedules that reach the same logs and votes at different moments count
// as one state.
func (rf *Raft) StateHash() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d %d %d %d %d %d %v|", rf.currentTerm, rf.votedFor, rf.role, rf.commitIndex, rf.lastApplied, rf.log.start, rf.progress)
	for _, e := range rf.log.entries {
		fmt.Fprintf(h, "%d:%v;", e.Term, e.Command)
	}
	return h.Sum64()
}

func TestSearchElectionSafety4A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 60, Budget: 10 * time.Second}, func(t *tests.T) {
		newCluster(t, 3, clusterConfig{})
		t.World().Sleep(1500 * time.Millisecond)
	})
}

func TestSearchLogMatching4B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 40, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		submitEvery(c, 100*time.Millisecond, 15)
	})
}

// The same search, bounded and exhaustive over the first choices: a lost or
// late message, fewest first.
func TestSearchLogMatchingBounded4B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.BFS, Runs: 60, MaxFaults: 1, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		submitEvery(c, 100*time.Millisecond, 10)
	})
}

// With crashes: every 400 ms a peer drawn from the harness's stream crashes
// and comes back 150 ms later, while commands keep coming. What a peer
// promised (its vote) and acknowledged (its log) must survive, and a peer
// whose log is behind must not win an election (§5.4.1).
func TestSearchCrashRestart4C(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 40, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		w := t.World()
		for round := 0; round < 4; round++ {
			submitEvery(c, 100*time.Millisecond, 3)
			victim := w.Rand().IntN(3)
			c.Crash(victim)
			submitEvery(c, 50*time.Millisecond, 3)
			c.Restart(victim)
		}
		submitEvery(c, 100*time.Millisecond, 3)
	})
}

// Figure 8, searched: five peers, a command handed to every leader, and the
// leader crashed after a short or a long pause, with a crashed peer
// restarted whenever fewer than three are up (the shape of
// TestFigure84C, 300 rounds instead of 3000). A leader that commits an entry
// of an earlier term by counting replicas is caught by state-machine
// safety when a later leader overwrites it (§5.4.2).
func TestSearchFigure84C(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 30, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		rng := c.w.Rand()
		up := n
		for round := 0; round < 300; round++ {
			leader := -1
			for i := 0; i < n; i++ {
				if rf := c.raft(i); rf != nil {
					if _, _, ok := rf.Start(rng.IntN(1000)); ok {
						leader = i
					}
				}
			}
			if rng.IntN(10) == 0 {
				c.w.Sleep(time.Duration(rng.Int64N(int64(electionTimeoutMax / 2))))
			} else {
				c.w.Sleep(time.Duration(rng.IntN(13)) * time.Millisecond)
			}
			if leader != -1 {
				c.Crash(leader)
				up--
			}
			if up < 3 {
				if s := rng.IntN(n); !c.w.Alive(s) {
					c.Start(s)
					up++
				}
			}
		}
	})
}

// leaderNow is the peer that leads in the highest term, or -1.
func leaderNow(c *cluster) int {
	leader, best := -1, -1
	for i := 0; i < c.n; i++ {
		if rf := c.raft(i); rf != nil {
			if term, isLeader := rf.GetState(); isLeader && term > best {
				leader, best = i, term
			}
		}
	}
	return leader
}

// Split votes, searched: three peers, and whenever a peer leads it is cut
// off for 700 ms, so the two others elect between themselves, each needing
// the other's vote, while the search holds vote replies past a time-out;
// when the old leader comes back it votes too. A vote granted in an earlier
// term must not count in a later election: one leader per term (election
// safety, §5.2).
func TestSearchSplitVote4A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 30, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		w := t.World()
		for round := 0; round < 6; round++ {
			w.Sleep(200 * time.Millisecond)
			if l := leaderNow(c); l >= 0 {
				w.Disconnect(l)
				w.Sleep(700 * time.Millisecond)
				w.Connect(l)
			}
		}
	})
}

// A stale log, searched: five peers; the leader and one follower are cut
// off and take commands the others never see, while the three others elect
// a leader and commit theirs. Then the stale pair meets one peer of the
// three, which holds the committed entries, and the rest are cut off: an
// election follows, and a peer whose log is longer but older must not win
// it (the up-to-date rule, §5.4.1; leader completeness, §5.4). Then all
// heal, and a follower with a stale suffix must commit only what the
// leader's requests vouched for (Figure 2, AppendEntries rule 5).
func TestSearchStaleLogElection4B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 30, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		w := t.World()
		w.Sleep(time.Second)
		old := leaderNow(c)
		if old < 0 {
			t.Fatalf("no leader after 1 s")
		}
		buddy := (old + 1) % n
		var rest []int
		for i := 0; i < n; i++ {
			if i != old && i != buddy {
				rest = append(rest, i)
			}
		}
		w.Partition([]int{old, buddy}, rest)
		submitEvery(c, 20*time.Millisecond, 8)
		submitEvery(c, 100*time.Millisecond, 8)
		w.Partition([]int{old, buddy, rest[0]}, rest[1:])
		submitEvery(c, 100*time.Millisecond, 10)
		w.Heal()
		submitEvery(c, 100*time.Millisecond, 5)
	})
}

// Votes across a restart, searched: three peers; whenever a peer leads it
// crashes and comes back at once, so that an election follows, and a moment
// drawn from the harness's stream later, while the followers' time-outs
// fire, a peer crashes for 5 ms. Late messages are held 150 ms
// (Options.Long), less than an election time-out, so a candidate is still
// one when they arrive. A peer that voted in a term must not vote again in
// it after a restart (Figure 2: votedFor is persistent state), or two peers
// lead the term (election safety, §5.2).
func TestSearchVoteRestart4C(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 30, Long: 150 * time.Millisecond, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		w := t.World()
		rng := w.Rand()
		for round := 0; round < 6; round++ {
			w.Sleep(time.Duration(100+rng.IntN(200)) * time.Millisecond)
			if l := leaderNow(c); l >= 0 {
				c.Crash(l)
				c.Restart(l)
			}
			w.Sleep(time.Duration(250+rng.IntN(350)) * time.Millisecond)
			v := rng.IntN(3)
			c.Crash(v)
			w.Sleep(5 * time.Millisecond)
			c.Restart(v)
		}
	})
}

// Snapshots, searched: three peers whose service snapshots every 5
// entries, commands every 50 ms, and in turn: a follower cut off long enough
// to need InstallSnapshot; the leader cut off while it takes commands the
// others never see (a suffix the next leader's entries replace), then
// crashed and restarted; a peer drawn from the harness's stream crashed and
// restarted. The logs, the snapshots and what the services applied must
// agree (log matching, state-machine safety) across every restart.
func TestSearchSnapshots4D(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{snapEvery: 5})
		w := t.World()
		rng := w.Rand()
		submitEvery(c, 50*time.Millisecond, 6)
		for round := 0; round < 2; round++ {
			if l := leaderNow(c); l >= 0 {
				f := (l + 1 + rng.IntN(2)) % 3
				w.Disconnect(f)
				submitEvery(c, 50*time.Millisecond, 12)
				w.Connect(f)
			}
			submitEvery(c, 50*time.Millisecond, 4)
			if l := leaderNow(c); l >= 0 {
				w.Disconnect(l)
				submitEvery(c, 50*time.Millisecond, 12)
				w.Connect(l)
				submitEvery(c, 50*time.Millisecond, 2)
				c.Crash(l)
				submitEvery(c, 50*time.Millisecond, 2)
				c.Restart(l)
			}
			submitEvery(c, 50*time.Millisecond, 4)
			v := rng.IntN(3)
			c.Crash(v)
			submitEvery(c, 50*time.Millisecond, 3)
			c.Restart(v)
		}
		submitEvery(c, 50*time.Millisecond, 6)
	})
}

// Reads, searched: three peers; every 20 ms the leader among the connected
// peers takes a command, and each peer that believes it leads, connected or
// not, begins a read (ReadIndex); every 300 ms the leader may be cut off
// (the harness's stream decides) until the next round, while it still
// believes it leads. Every read answered ok must see
// every write applied before the read began, and no more than is committed
// (BeginRead's checks: linearizable reads, thesis §6.4).
func TestSearchReads4E(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 3
		c := replog.NewCluster(t, Engine, n, labrpc.MustProfile("reliable"))
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

// Figure 8 by partitions, searched: five peers play the story of Figure 8
// (§5.4.2). The leader and one follower are cut off with an entry of the
// leader's term that only they hold; the other three elect a leader, which
// takes an entry for the same index and is cut off at once, before it can
// replicate it. The first pair comes back with the two others, whose votes
// elect one of the pair again, and it replicates its old entry to a
// majority but gets no command of its own term; then it is cut off and the
// leader with the newer entry comes back. An entry of an earlier term is
// never committed by counting replicas, or the newer leader overwrites a
// committed entry (state-machine safety).
func TestSearchFigure8Partitions4B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 20, Budget: 10 * time.Second}, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		w := t.World()
		submitEvery(c, 100*time.Millisecond, 5)
		s1 := leaderNow(c)
		if s1 < 0 {
			t.Fatalf("no leader")
		}
		s2 := (s1 + 1) % n
		others := func(out ...int) []int {
			var rest []int
			for i := 0; i < n; i++ {
				if !slices.Contains(out, i) {
					rest = append(rest, i)
				}
			}
			return rest
		}
		w.Partition([]int{s1, s2}, others(s1, s2))
		c.raft(s1).Start("X")
		w.Sleep(50 * time.Millisecond)
		// The three others elect a leader; it takes Y and is cut off.
		var s5 int
		if !w.WaitUntil(func() bool {
			s5 = leaderNow(c)
			return s5 >= 0 && s5 != s1 && s5 != s2
		}, time.Millisecond, 2*time.Second) {
			t.Fatalf("the three did not elect a leader")
		}
		c.raft(s5).Start("Y")
		w.Partition([]int{s5}, others(s5))
		// The old pair and the two others: one of the pair leads again,
		// with X, and gets no command of its own.
		w.Sleep(1500 * time.Millisecond)
		s := leaderNow(c)
		if s != s1 && s != s2 {
			t.Fatalf("neither of the pair leads again")
		}
		w.Sleep(20 * time.Millisecond)
		w.Partition([]int{s}, others(s))
		// The leader with Y comes back to the three others.
		w.Sleep(1500 * time.Millisecond)
		submitEvery(c, 100*time.Millisecond, 5)
	})
}
