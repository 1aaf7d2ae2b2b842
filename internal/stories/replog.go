package stories

import (
	"fmt"
	"time"

	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/replog/harness"
)

// Raft (lab 4) and Multi-Paxos (lab 5B) meet one replicated-log contract
// (replog), so one runner serves both, on the contract's cluster harness
// (replog/harness): a client submits commands to whoever leads, and the
// harness's checker watches what every peer applies and who leads with which
// term or ballot.

var (
	raftRunner  = replogRunner("raft", raft.Engine, "lab 4: a client submits commands to the leader; every peer must apply the same log")
	paxosRunner = replogRunner("paxos", paxos.Engine, "lab 5B: Multi-Paxos, with the same client and checks as raft; every peer must apply the same log")
)

// replogRunner is the runner of an engine, with the service snapshotting
// every 100 indexes so that a long run keeps short logs and a peer that falls
// far behind installs a snapshot.
func replogRunner(name string, e replog.Engine, summary string) Runner {
	e = e.WithSnapshots(100)
	return Runner{Name: name, Summary: summary, Nodes: 5, MinNodes: 1, Load: 200, MaxLoad: 1000,
		Faults: []string{"partitions", "crashes"}, Run: func(r *Run) error { return runReplog(r, e) }}
}

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
// leads, on a harness.Cluster, and measures each from its arrival to the
// first apply anywhere. The cluster checks every apply as it happens (one
// command per index, each peer applying in order without gap or repeat) and,
// after every event, who leads with which term or ballot (at most one peer
// may). At the end every command must have committed.
func runReplog(r *Run, e replog.Engine) error {
	w := r.W
	c := harness.New(w, e, nil)
	check := c.Checker()
	var lost error
	done := false
	defer func() { // also when a check stopped the run
		r.Check("log and election safety", check.Err())
		if done {
			r.Check("all committed", lost)
		}
	}()

	commands := map[int]*replogCommand{}
	committed := int64(0)
	c.OnApply = func(i int, m replog.Msg) {
		if cmd, ok := m.Command.(int); ok && m.CommandValid && commands[cmd] != nil && !commands[cmd].committed {
			commands[cmd].committed = true
			committed++
			r.Latency(w.Now() - commands[cmd].arrived)
		}
	}
	c.StartAll()

	// submit starts cmd on the peer that leads with the highest term, if
	// any peer leads.
	submit := func(cmd int) bool {
		best, bestTerm := -1, -1
		for i := 0; i < r.Nodes; i++ {
			if p := c.Peer(i); p != nil {
				if term, isLeader := p.GetState(); isLeader && term > bestTerm {
					best, bestTerm = i, term
				}
			}
		}
		if best < 0 {
			return false
		}
		_, _, ok := c.Peer(best).Start(cmd)
		if ok {
			commands[cmd].tried = w.Now()
		}
		return ok
	}

	r.StartFaults()
	rng := w.NewClient().Rand()
	end := w.Now() + r.For
	var order []int // the commands not yet seen committed, in arrival order
	w.Go("client", func() {
		// Commands arrive at random; one that arrives while no peer leads
		// waits, with those after it, until one does (or the retries take
		// it over, once the workload ends).
		r.Arrivals(rng, time.Duration(float64(time.Second)/r.Load), func(n int, at time.Duration) {
			cmd := n + 1
			c := &replogCommand{arrived: at}
			commands[cmd] = c
			order = append(order, cmd)
			for c.tried == 0 && w.Now() < end && !submit(cmd) {
				w.Sleep(10 * time.Millisecond)
			}
		})
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
	r.Count("elections won", int64(check.Elections()))
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
