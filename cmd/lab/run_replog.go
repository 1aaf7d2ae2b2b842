package main

import (
	"fmt"
	"time"

	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/tests/replog"
)

// Raft (lab 4) and Multi-Paxos (lab 5B) meet one replicated-log contract
// (tests/replog), so one runner serves both: a client submits commands to
// whoever leads, and the suite's checker watches what every peer applies.

func init() {
	for _, e := range []struct {
		engine  replog.Engine
		summary string
	}{
		{raftEngine, "lab 4: a client submits commands to the leader; every peer must apply the same log"},
		{multiPaxosEngine, "lab 5B: Multi-Paxos, with the same client and checks as raft; every peer must apply the same log"},
	} {
		registerRunner(runner{
			name:     e.engine.Name,
			summary:  e.summary,
			nodes:    5,
			minNodes: 1,
			load:     200,
			maxLoad:  1000,
			faults:   []string{"partitions", "crashes"},
			run:      func(r *simRun) error { return runReplog(r, e.engine) },
		})
	}
}

// The two engines, built as raft/replog_test.go and paxos/replog_test.go
// build theirs, with the service snapshotting every 100 indexes so that a
// long run keeps short logs and a peer that falls far behind installs a
// snapshot.
var (
	raftEngine = replog.Engine{Name: "raft", SnapshotEvery: 100,
		Boot: func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
			return raft.Make(env, p, func(m raft.ApplyMsg) { apply(replog.Msg(m)) })
		}}
	multiPaxosEngine = replog.Engine{Name: "paxos", SnapshotEvery: 100,
		Boot: func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
			return paxos.Make(env, p, func(m paxos.ApplyMsg) { apply(replog.Msg(m)) })
		}}
)

const (
	// replogRetry is how long the client waits for a command to commit
	// before it submits it again, to whoever leads then: the leader it went
	// to may have been cut off or crashed. A command can so commit twice, at
	// two indexes; the client counts it once.
	replogRetry = time.Second
	// replogSettle is how long the run waits, after the workload ends, for
	// every submitted command to commit (the faults end before the workload
	// does).
	replogSettle = 10 * time.Second
)

// A command the client submitted.
type replogCommand struct {
	arrived   time.Duration // when the client had it to submit
	tried     time.Duration // when a leader last took it (0: none yet)
	committed bool          // some peer has applied it
}

// runReplog offers r.Load commands per second (Poisson arrivals) to whoever
// leads, measures each from its arrival to the first apply anywhere, and
// has the replicated-log suite's checker check every apply as it happens:
// one command per index, each peer applying in order without gap or repeat.
// After every event it also notes which peer leads with which term (or
// ballot): at most one may. At the end every command must have committed.
func runReplog(r *simRun, e replog.Engine) error {
	w := r.W
	check := replog.NewChecker(e.Name, r.Nodes)
	w.Check(check.Err)
	var twoLeaders, lost error
	done := false
	defer func() { // also when a check stopped the run
		r.Check("log safety", check.Err())
		r.Check("election safety", twoLeaders)
		if done {
			r.Check("all committed", lost)
		}
	}()

	commands := map[int]*replogCommand{}
	committed := int64(0)
	peers := make([]replog.Peer, r.Nodes)
	for i := range peers {
		w.Start(i, func(env labrpc.Env) any {
			check.Boot(i)
			peers[i] = nil // Make may apply a snapshot before it returns
			peers[i] = e.Boot(env, env.Persister(), func(m replog.Msg) {
				if !check.Apply(i, m) || !m.CommandValid {
					return
				}
				if cmd, ok := m.Command.(int); ok && commands[cmd] != nil && !commands[cmd].committed {
					commands[cmd].committed = true
					committed++
					r.Latency(w.Now() - commands[cmd].arrived)
				}
				if e.SnapshotEvery > 0 && m.CommandIndex%e.SnapshotEvery == 0 && peers[i] != nil {
					peers[i].Snapshot(m.CommandIndex, check.State(m.CommandIndex))
				}
			})
			return peers[i]
		})
	}

	// Leaders, after every event: a new term (or ballot) with a leader is
	// an election won; two peers leading with one is a violation.
	leaderOf := map[int]int{}
	w.Check(func() error {
		for i, p := range peers {
			if p == nil || !w.Alive(i) {
				continue
			}
			term, isLeader := p.GetState()
			if !isLeader {
				continue
			}
			if l, seen := leaderOf[term]; !seen {
				leaderOf[term] = i
			} else if l != i && twoLeaders == nil {
				twoLeaders = fmt.Errorf("two leaders with term or ballot %d: n%d and n%d (at most one leader per term, Raft §5.2; a ballot has one owner)", term, l, i)
			}
		}
		return twoLeaders
	})

	// submit starts cmd on the peer that leads with the highest term, if
	// any peer leads.
	submit := func(cmd int) bool {
		best, bestTerm := -1, -1
		for i, p := range peers {
			if p == nil || !w.Alive(i) {
				continue
			}
			if term, isLeader := p.GetState(); isLeader && term > bestTerm {
				best, bestTerm = i, term
			}
		}
		if best < 0 {
			return false
		}
		_, _, ok := peers[best].Start(cmd)
		if ok {
			commands[cmd].tried = w.Now()
		}
		return ok
	}

	r.StartFaults()
	rng := w.NewClient().Rand()
	end := w.Now() + r.For
	gap := time.Duration(float64(time.Second) / r.Load)
	var order []int // the commands not yet seen committed, in arrival order
	w.Go("client", func() {
		// Commands arrive at random; one that arrives while no peer leads
		// waits, with those after it, until one does (or the retries take
		// it over, once the workload ends).
		next := w.Now()
		for cmd := 1; ; cmd++ {
			next += expGap(rng, gap)
			if next >= end {
				// The next arrival is past the workload's end: wait for the end,
				// not for it, so that a light load never outlasts the run.
				w.Sleep(max(end-w.Now(), 0))
				return
			}
			if next > w.Now() {
				w.Sleep(next - w.Now())
			}
			if w.Now() >= end {
				return
			}
			c := &replogCommand{arrived: next}
			commands[cmd] = c
			order = append(order, cmd)
			for c.tried == 0 && w.Now() < end && !submit(cmd) {
				w.Sleep(10 * time.Millisecond)
			}
		}
	})
	w.Go("retry", func() {
		for w.Now() < end+replogSettle {
			kept := order[:0]
			for _, cmd := range order {
				c := commands[cmd]
				if c.committed {
					continue
				}
				kept = append(kept, cmd)
				if w.Now()-max(c.tried, c.arrived) >= replogRetry {
					submit(cmd)
				}
			}
			order = kept
			if w.Now() >= end && len(order) == 0 {
				return
			}
			w.Sleep(100 * time.Millisecond)
		}
	})
	if !w.RunUntilDone(r.For + replogSettle + time.Second) {
		return fmt.Errorf("the client had not finished %v of virtual time after the workload's end", replogSettle)
	}

	r.Count("submitted", int64(len(commands)))
	r.Count("committed", committed)
	r.Count("log indexes", int64(check.LastCommitted()))
	r.Count("elections won", int64(len(leaderOf)))
	// Counts are whole numbers, rounded; messages are counted per hundred
	// commits, since a leader that batches commands (Raft does) sends fewer
	// RPCs than it commits commands.
	r.Count("msgs/100 commits", perCommit(100*w.TotalRPCs(), committed))
	r.Count("bytes/commit", perCommit(w.TotalBytes(), committed))
	if n := int64(len(commands)) - committed; n > 0 {
		lost = fmt.Errorf("%d of %d commands not committed %v after the workload ended (and the faults before it)", n, len(commands), replogSettle)
	}
	done = true
	return nil
}

// perCommit is n / commits, rounded to the nearest whole number.
func perCommit(n, commits int64) int64 {
	if commits == 0 {
		return 0
	}
	return (n + commits/2) / commits
}
