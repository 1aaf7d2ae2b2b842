package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"protolab/labrpc"
	"protolab/raft"
)

func init() {
	registerDemo("raft", "lab 4: an election, agreement, the leader crashes, a re-election, the old leader catches up", demoRaft)
}

// demoRaft tells lab 4's story on five Raft peers: they elect a leader, agree
// on three commands, lose the leader, elect another within a second, agree on
// two more with four peers, and the old leader comes back from its Persister
// and catches up. The timeline leaves out heartbeats and what answers them.
func demoRaft(out io.Writer) error {
	const n = 5
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n, KeepTrace: 200000})
	defer w.Close()

	applied := make([]int, n) // last index applied by each peer's current incarnation
	boot := func(env labrpc.Env) any {
		i := env.Me()
		applied[i] = 0
		return raft.Make(env, env.Persister(), func(m raft.ApplyMsg) {
			if m.CommandValid {
				applied[i] = m.CommandIndex
				env.Logf("apply", "%d %v", m.CommandIndex, m.Command)
			}
		})
	}
	peer := func(i int) *raft.Raft { rf, _ := w.Service(i, "Raft").(*raft.Raft); return rf }

	// Who led which term, seen after every event.
	leaders := map[int]int{}
	w.Check(func() error {
		for i := 0; i < n; i++ {
			if rf := peer(i); rf != nil {
				if term, isLeader := rf.GetState(); isLeader {
					if l, ok := leaders[term]; ok && l != i {
						return fmt.Errorf("two leaders in term %d: n%d and n%d", term, l, i)
					}
					leaders[term] = i
				}
			}
		}
		return nil
	})
	leader := func() (int, error) {
		l := -1
		w.WaitUntil(func() bool {
			for i := 0; i < n; i++ {
				if rf := peer(i); rf != nil {
					if _, isLeader := rf.GetState(); isLeader {
						l = i
						return true
					}
				}
			}
			return false
		}, time.Millisecond, 5*time.Second)
		if l < 0 {
			return -1, fmt.Errorf("no leader within 5s")
		}
		return l, nil
	}
	// submit gives the leader a command and waits until `peers` peers applied it.
	submit := func(l int, cmd string, peers int) error {
		index, _, ok := peer(l).Start(cmd)
		if !ok {
			return fmt.Errorf("n%d refused %q: it no longer leads", l, cmd)
		}
		w.Note("client: Start(%q) at n%d → index %d", cmd, l, index)
		if !w.WaitUntil(func() bool {
			count := 0
			for i := 0; i < n; i++ {
				if w.Alive(i) && applied[i] >= index {
					count++
				}
			}
			return count >= peers
		}, time.Millisecond, 5*time.Second) {
			return fmt.Errorf("%q was not applied by %d peers within 5s", cmd, peers)
		}
		return nil
	}

	w.Note("act 1: five peers boot as followers; the first whose timer fires asks for votes")
	for i := 0; i < n; i++ {
		w.Start(i, boot)
	}
	l1, err := leader()
	if err != nil {
		return err
	}
	w.Sleep(50 * time.Millisecond)

	w.Note("act 2: the leader n%d replicates three commands; each commits on a majority", l1)
	for _, cmd := range []string{"x=1", "y=2", "z=3"} {
		if err := submit(l1, cmd, n); err != nil {
			return err
		}
	}
	w.Sleep(150 * time.Millisecond)

	w.Note("act 3: the leader n%d crashes; the others notice when their election timers fire", l1)
	w.Crash(l1)
	crashedAt := w.Now()
	l2, err := leader()
	if err != nil {
		return err
	}
	failover := w.Now() - crashedAt
	w.Note("n%d leads, %v after the crash", l2, failover)
	for _, cmd := range []string{"x=4", "y=5"} {
		if err := submit(l2, cmd, n-1); err != nil {
			return err
		}
	}

	w.Note("act 4: n%d restarts from its Persister (term, vote, log) and catches up", l1)
	w.Start(l1, boot)
	if !w.WaitUntil(func() bool { return applied[l1] >= applied[l2] }, time.Millisecond, 5*time.Second) {
		return fmt.Errorf("the restarted n%d did not catch up within 5s", l1)
	}
	w.Sleep(150 * time.Millisecond)

	fmt.Fprintf(out, "protolab demo: lab 4, Raft (seed %d)\n\n", w.Seed())
	fmt.Fprint(out, w.Timeline(storyLines(w.Tail(-1))))

	terms := make([]int, 0, len(leaders))
	for term := range leaders {
		terms = append(terms, term)
	}
	slices.Sort(terms)
	var led []string
	for _, term := range terms {
		led = append(led, fmt.Sprintf("term %d: n%d", term, leaders[term]))
	}
	fmt.Fprintf(out, "\nsummary\n")
	fmt.Fprintf(out, "  leaders          %s\n", strings.Join(led, ", "))
	fmt.Fprintf(out, "  re-election      %v after the leader crashed\n", failover)
	fmt.Fprintf(out, "  commits          %d commands, applied by every peer in the same order\n", applied[l2])
	fmt.Fprintf(out, "  virtual time     %v\n", w.Now())
	fmt.Fprintf(out, "  RPCs sent        %d (%d bytes, requests and replies)\n", w.TotalRPCs(), w.TotalBytes())
	fmt.Fprintf(out, "  events           %d\n", w.Steps())
	fmt.Fprintf(out, "  trace digest     %s (run it again: the same digest, every time)\n", w.Digest())
	fmt.Fprintf(out, "\nnext: go test ./raft -run 4A -v, and docs/lab4-raft.md\n")
	return w.Err()
}

// storyLines keeps what tells the story: elections (pre-votes, votes), what
// the peers log (roles, commits, applies), crashes, restarts and the test's
// notes. Heartbeats and their answers, and timers, are left out.
func storyLines(lines []labrpc.Line) []labrpc.Line {
	var keep []labrpc.Line
	for _, l := range lines {
		switch l.Kind {
		case labrpc.KindLog, labrpc.KindStart, labrpc.KindCrash, labrpc.KindFault, labrpc.KindNote:
			keep = append(keep, l)
		case labrpc.KindSend:
			if strings.HasSuffix(l.Method, "RequestVote") || strings.HasSuffix(l.Method, "PreVote") {
				keep = append(keep, l)
			}
		}
	}
	return keep
}
