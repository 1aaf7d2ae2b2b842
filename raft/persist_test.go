package raft

import (
	"fmt"
	"testing"
	"time"

	"protolab/tests"
)

// Part 4C: persistence. A crashed peer comes back from its Persister with the
// term, the vote and the log it had (Figure 2, "Persistent state").

func TestPersist14C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(11, 3, true)

		c.w.Note("every peer crashes and restarts")
		for i := 0; i < 3; i++ {
			c.Restart(i)
		}
		c.One(12, 3, true)

		leader1 := c.CheckOneLeader()
		c.w.Note("the leader n%d crashes and restarts", leader1)
		c.Restart(leader1)
		c.One(13, 3, true)

		leader2 := c.CheckOneLeader()
		c.w.Note("the leader n%d crashes; the others go on; it restarts", leader2)
		c.Crash(leader2)
		c.One(14, 2, true)
		c.Start(leader2)
		c.Wait(4, 3) // it catches up before the next crash

		i3 := (c.CheckOneLeader() + 1) % 3
		c.w.Note("the follower n%d crashes; the others go on; it restarts", i3)
		c.Crash(i3)
		c.One(15, 2, true)
		c.Start(i3)
		c.One(16, 3, true)
	})
}

// Five rounds of crashing two and then three of five peers, restarting them
// in a different order.
func TestPersist24C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		index := 1
		for round := 0; round < 5; round++ {
			c.One(10+index, n, true)
			index++

			leader1 := c.CheckOneLeader()
			c.w.Note("round %d: two followers crash", round)
			c.Crash((leader1 + 1) % n)
			c.Crash((leader1 + 2) % n)
			c.One(10+index, n-2, true)
			index++

			c.w.Note("round %d: the other three crash; the first two restart", round)
			c.Crash(leader1)
			c.Crash((leader1 + 3) % n)
			c.Crash((leader1 + 4) % n)
			c.Start((leader1 + 1) % n)
			c.Start((leader1 + 2) % n)
			c.w.Sleep(electionTimeoutMax)
			c.Start((leader1 + 3) % n)
			c.One(10+index, n-2, true)
			index++

			c.Start((leader1 + 4) % n)
			c.Start(leader1)
		}
		c.One(1000, n, true)
	})
}

// A leader and one follower are cut off with an entry; the follower crashes,
// the leader restarts, and the entry must not be lost or duplicated.
func TestPersist34C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(101, 3, true)

		leader := c.CheckOneLeader()
		c.Disconnect((leader + 2) % 3)
		c.One(102, 2, true)

		c.Crash(leader % 3)
		c.Crash((leader + 1) % 3)
		c.Connect((leader + 2) % 3)
		c.Start(leader % 3)
		c.One(103, 2, true)

		c.Start((leader + 1) % 3)
		c.One(104, 3, true)
	})
}

// The receiver's vote and term survive a crash: n0 runs alone and the test
// plays the candidates.
func TestVotePersists4C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{only: []int{0}})
		f := c.fake()
		vote := func(term, candidate int) RequestVoteReply {
			return f.requestVote(0, RequestVoteArgs{Term: term, CandidateId: candidate, LeadershipTransfer: true})
		}
		c.w.Sleep(electionTimeoutMin / 2)
		if r := vote(5, 1); !r.VoteGranted {
			c.Fatalf("n0 refused its vote to the first candidate of term 5")
		}
		c.w.Note("n0 crashes and restarts")
		c.Restart(0)
		if r := vote(5, 2); r.VoteGranted {
			c.Fatalf("after a restart, n0 voted again in term 5, for n2 after n1: votedFor must be persisted before the vote is granted (Figure 2, Persistent state)")
		}
		if r := vote(4, 2); r.VoteGranted || r.Term < 5 {
			c.Fatalf("after a restart, n0 answered a candidate of term 4 with term %d: currentTerm must be persisted", r.Term)
		}

		r := f.appendEntries(0, AppendEntriesArgs{Term: 5, LeaderId: 1, Entries: []Entry{{5, 11}, {5, 12}}})
		if !r.Success {
			c.Fatalf("n0 refused the entries of the leader of term 5")
		}
		c.Restart(0)
		if r := f.appendEntries(0, AppendEntriesArgs{Term: 5, LeaderId: 1, PrevLogIndex: 2, PrevLogTerm: 5, LeaderCommit: 2}); !r.Success {
			c.Fatalf("after a restart, n0 no longer has the entries 1..2 it accepted: the log must be persisted")
		}
		c.w.Sleep(10 * time.Millisecond)
		if c.Applied(0) != 2 {
			c.Fatalf("n0 applied up to %d after leaderCommit 2", c.Applied(0))
		}
	})
}

// Figure 8 at random: the leader crashes right after taking a command, over
// and over (3000 times: virtual time is cheap), with at most two of five peers
// down; then everyone must agree.
func TestFigure84C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		rng := c.w.Rand()
		c.One(rng.IntN(1_000_000), 1, true)

		nup := n
		for iter := 0; iter < 3000; iter++ {
			leader := -1
			for i := 0; i < n; i++ {
				if rf := c.raft(i); rf != nil {
					if _, _, ok := rf.Start(rng.IntN(1_000_000)); ok {
						leader = i
					}
				}
			}
			if rng.IntN(1000) < 100 {
				c.w.Sleep(time.Duration(rng.Int64N(int64(electionTimeoutMax / 2))))
			} else {
				c.w.Sleep(time.Duration(rng.IntN(13)) * time.Millisecond)
			}
			if leader != -1 {
				c.Crash(leader)
				nup--
			}
			if nup < 3 {
				if s := rng.IntN(n); !c.w.Alive(s) {
					c.Start(s)
					nup++
				}
			}
		}
		for i := 0; i < n; i++ {
			if !c.w.Alive(i) {
				c.Start(i)
			}
		}
		c.One(rng.IntN(1_000_000), n, true)
	})
}

// Agreement with concurrent clients over a network that loses 10% of the
// messages and delays the rest.
func TestUnreliableAgree4C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{profile: "unreliable"})
		for iter := 1; iter < 50; iter++ {
			for j := 0; j < 4; j++ {
				c.w.Go(fmt.Sprintf("client %d.%d", iter, j), func() { c.InProcess().One((100*iter)+j, 1, true) })
			}
			c.One(iter, 1, true)
		}
		c.w.SetReliable(true)
		if !c.w.RunUntilDone(20 * time.Second) {
			c.Fatalf("clients still waiting 20s after the network became reliable")
		}
		c.One(100, n, true)
	})
}

// Figure 8 on an unreliable network with long reordering: leaders are cut off
// right after taking commands, messages arrive seconds late and out of order.
func TestFigure8Unreliable4C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{profile: "unreliable"})
		rng := c.w.Rand()
		c.One(rng.IntN(10000), 1, true)

		nup := n
		for iter := 0; iter < 1000; iter++ {
			if iter == 200 {
				c.w.SetLongReordering(true)
			}
			leader := -1
			for i := 0; i < n; i++ {
				if _, _, ok := c.peers[i].Start(rng.IntN(10000)); ok && c.w.Connected(i) {
					leader = i
				}
			}
			if rng.IntN(1000) < 100 {
				c.w.Sleep(time.Duration(rng.Int64N(int64(electionTimeoutMax / 2))))
			} else {
				c.w.Sleep(time.Duration(rng.IntN(13)) * time.Millisecond)
			}
			if leader != -1 && rng.IntN(1000) < int(electionTimeoutMax/time.Millisecond)/2 {
				c.Disconnect(leader)
				nup--
			}
			if nup < 3 {
				if s := rng.IntN(n); !c.w.Connected(s) {
					c.Connect(s)
					nup++
				}
			}
		}
		// Safety was checked under reordering all along; agreement is
		// required once messages are no longer held back for seconds.
		c.w.SetLongReordering(false)
		for i := 0; i < n; i++ {
			c.Connect(i)
		}
		c.One(rng.IntN(10000), n, true)
	})
}

// Churn: clients keep submitting while peers are cut off, crashed and
// restarted at random. Every value a client saw committed must be in the
// final log.
func churn(t *tests.T, unreliable bool) {
	const n = 5
	profile := "reliable"
	if unreliable {
		profile = "unreliable"
	}
	c := newCluster(t, n, clusterConfig{profile: profile})
	stop := false
	var seen [][]int // what each client saw committed
	for client := 0; client < 3; client++ {
		seen = append(seen, nil)
		c.w.Go(fmt.Sprintf("client%d", client), func() {
			rng := c.w.Rand()
			for !stop {
				c.w.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond) // a client's pace
				x := rng.Int()
				index := -1
				for i := 0; i < n && index < 0; i++ {
					if rf := c.raft((client + i) % n); rf != nil {
						if idx, _, ok := rf.Start(x); ok {
							index = idx
						}
					}
				}
				if index < 0 {
					c.w.Sleep(time.Duration(79+client*17) * time.Millisecond)
					continue
				}
				for _, to := range []int{10, 20, 50, 100, 200} {
					if nd, cmd := c.NCommitted(index); nd > 0 {
						if cmd == x {
							seen[client] = append(seen[client], x)
						}
						break
					}
					c.w.Sleep(time.Duration(to) * time.Millisecond)
				}
			}
		})
	}

	// The churn never takes a majority down at once: Raft promises progress
	// only while a majority can talk (§5), and the test checks progress. A
	// fault that would leave fewer than a majority healthy is skipped.
	healthy := func() int {
		up := 0
		for i := 0; i < n; i++ {
			if c.w.Alive(i) && c.w.Connected(i) {
				up++
			}
		}
		return up
	}
	mayHurt := func(i int) bool { return !c.w.Alive(i) || !c.w.Connected(i) || healthy() > n/2+1 }
	rng := c.w.Rand()
	for iter := 0; iter < 20; iter++ {
		if rng.IntN(1000) < 200 {
			if i := rng.IntN(n); mayHurt(i) {
				c.Disconnect(i)
			}
		}
		if rng.IntN(1000) < 500 {
			i := rng.IntN(n)
			if !c.w.Alive(i) {
				c.Start(i)
			}
			c.Connect(i)
		}
		if rng.IntN(1000) < 200 {
			i := rng.IntN(n)
			if c.w.Alive(i) && mayHurt(i) {
				c.Crash(i)
			}
		}
		c.w.Sleep(electionTimeoutMax * 7 / 10)
	}
	c.w.Sleep(electionTimeoutMax)
	c.w.SetReliable(true)
	for i := 0; i < n; i++ {
		if !c.w.Alive(i) {
			c.Start(i)
		}
		c.Connect(i)
	}
	stop = true
	if !c.w.RunUntilDone(10 * time.Second) {
		c.Fatalf("the clients did not stop")
	}
	last := c.One(rng.Int(), n, true)

	inLog := map[any]bool{}
	for index := 1; index <= last; index++ {
		nd, cmd := c.NCommitted(index)
		if nd == 0 {
			c.Fatalf("no peer applied index %d of %d", index, last)
		}
		inLog[cmd] = true
	}
	total := 0
	for client, values := range seen {
		for _, v := range values {
			if !inLog[v] {
				c.Fatalf("client %d saw %d committed, but it is not in the final log", client, v)
			}
		}
		total += len(values)
	}
	t.Logf("%d values committed while peers failed; all in the final log of %d entries", total, last)
	if total == 0 {
		c.Fatalf("no value committed during the churn: the cluster made no progress")
	}
}

func TestReliableChurn4C(t *testing.T) {
	tests.Run(t, func(t *tests.T) { churn(t, false) })
}

func TestUnreliableChurn4C(t *testing.T) {
	tests.Run(t, func(t *tests.T) { churn(t, true) })
}
