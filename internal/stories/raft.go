package stories

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"protolab/labrpc"
	"protolab/raft"
)

// demoSnapEvery is how often the demo's service snapshots: after every
// demoSnapEvery-th command it applies.
const demoSnapEvery = 6

// demoRaft tells lab 4's story on five Raft peers, one act at a time: they
// elect a leader and agree on three commands; the leader is cut off, with a
// command it can never commit; the others elect a new leader and go on; the
// network heals, and the old leader steps down and has its uncommitted entry
// overwritten; a follower crashes and comes back from its Persister; and a
// follower cut off while the others compact their logs gets the leader's
// snapshot (InstallSnapshot) when it returns. The service snapshots every
// demoSnapEvery commands. The timeline shows the lines of the story:
// elections, what the peers log, faults, crashes, restarts, snapshots sent,
// and the acts' titles; not the heartbeats.
func demoRaft(out io.Writer) error {
	const n = 5
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n, KeepTrace: 200000})
	defer w.Close()

	// The service on each peer: the commands it has applied, as a list
	// (its state, which its snapshots hold), and how it came by them.
	applied := make([]int, n) // last index applied by each peer's current incarnation
	restored := make([]int, n)
	installed := map[int]int{} // peer -> index of the last snapshot a leader installed on it
	booting := make([]bool, n)
	boot := func(env labrpc.Env) any {
		i := env.Me()
		applied[i], restored[i] = 0, 0
		var state []string
		var rf *raft.Raft
		booting[i] = true
		rf = raft.Make(env, env.Persister(), func(m raft.ApplyMsg) {
			switch {
			case m.CommandValid:
				applied[i] = m.CommandIndex
				state = append(state, m.Command.(string))
				env.Logf("apply", "%d %v", m.CommandIndex, m.Command)
				if m.CommandIndex%demoSnapEvery == 0 && rf != nil {
					rf.Snapshot(m.CommandIndex, []byte(strings.Join(state, ",")))
				}
			case m.SnapshotValid:
				state = strings.Split(string(m.Snapshot), ",")
				applied[i] = m.SnapshotIndex
				if booting[i] {
					restored[i] = m.SnapshotIndex
				} else {
					installed[i] = m.SnapshotIndex
				}
				env.Logf("restore", "snapshot through %d", m.SnapshotIndex)
			}
		})
		booting[i] = false
		return rf
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
	// leader waits for a leader among peers and returns it.
	leader := func(peers ...int) (int, error) {
		l := -1
		w.WaitUntil(func() bool {
			for _, i := range peers {
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
			return -1, fmt.Errorf("no leader among %v within 5s", peers)
		}
		return l, nil
	}
	all := []int{0, 1, 2, 3, 4}
	without := func(i int) []int { return slices.DeleteFunc(slices.Clone(all), func(p int) bool { return p == i }) }
	// submit gives the leader the commands, all at once, and waits until
	// `peers` peers have applied them.
	submit := func(l int, peers int, cmds ...string) error {
		last := 0
		for _, cmd := range cmds {
			index, _, ok := peer(l).Start(cmd)
			if !ok {
				return fmt.Errorf("n%d refused %q: it no longer leads", l, cmd)
			}
			last = index
		}
		if len(cmds) == 1 {
			w.Note("client: Start(%q) at n%d → index %d", cmds[0], l, last)
		} else {
			w.Note("client: Start %s at n%d → indexes %d to %d", strings.Join(quoteAll(cmds), ", "), l, last-len(cmds)+1, last)
		}
		if !w.WaitUntil(func() bool {
			count := 0
			for i := 0; i < n; i++ {
				if w.Alive(i) && applied[i] >= last {
					count++
				}
			}
			return count >= peers
		}, time.Millisecond, 5*time.Second) {
			return fmt.Errorf("%q was not applied by %d peers within 5s", cmds[len(cmds)-1], peers)
		}
		return nil
	}

	w.Note("act 1, election: five peers boot as followers; the first whose timer fires asks for votes")
	for i := 0; i < n; i++ {
		w.Start(i, boot)
	}
	l1, err := leader(all...)
	if err != nil {
		return err
	}
	w.Sleep(50 * time.Millisecond)
	w.Note("the leader n%d replicates three commands; each commits on a majority", l1)
	for _, cmd := range []string{"x=1", "y=2", "z=3"} {
		if err := submit(l1, n, cmd); err != nil {
			return err
		}
	}
	w.Sleep(150 * time.Millisecond)

	w.Note("act 2, leader cut off: n%d loses its links; it still believes it leads", l1)
	w.Disconnect(l1)
	lostIndex, _, ok := peer(l1).Start("w=lost")
	if !ok {
		return fmt.Errorf("the cut-off leader n%d refused a command at once", l1)
	}
	w.Note("client: Start(%q) at n%d → index %d, which no majority will ever store", "w=lost", l1, lostIndex)
	cutAt := w.Now()

	others := without(l1)
	l2, err := leader(others...)
	if err != nil {
		return err
	}
	failover := w.Now() - cutAt
	w.Note("act 3, re-election: n%d leads, %v after the cut; the other four go on without n%d", l2, failover, l1)
	if err := submit(l2, n-1, "x=4", "y=5"); err != nil {
		return err
	}
	w.Sleep(100 * time.Millisecond)

	if _, stillLeads := peer(l1).GetState(); stillLeads {
		w.Note("act 4, heal: n%d rejoins, still believing it leads; it steps down and takes the log of the new term", l1)
	} else {
		w.Note("act 4, heal: n%d rejoins (CheckQuorum made it step down already) and takes the log of the new term", l1)
	}
	w.Connect(l1)
	if !w.WaitUntil(func() bool { return applied[l1] >= applied[l2] }, time.Millisecond, 5*time.Second) {
		return fmt.Errorf("the healed n%d did not catch up within 5s", l1)
	}
	w.Note("n%d applied %q at index %d: its own %q there was never committed, and the new leader overwrote it (§5.3)", l1, "x=4", lostIndex, "w=lost")
	if err := submit(l2, n, "a=6", "b=7"); err != nil {
		return err
	}
	w.Sleep(150 * time.Millisecond)

	crashed := slices.IndexFunc(all, func(i int) bool { return i != l1 && i != l2 })
	w.Note("act 5, crash and restart: the follower n%d crashes; the others commit without it", crashed)
	w.Crash(crashed)
	if err := submit(l2, n-1, "c=8"); err != nil {
		return err
	}
	w.Note("n%d restarts from its Persister: its snapshot, its term and vote, and its log after the snapshot", crashed)
	w.Start(crashed, boot)
	if !w.WaitUntil(func() bool { return applied[crashed] >= applied[l2] }, time.Millisecond, 5*time.Second) {
		return fmt.Errorf("the restarted n%d did not catch up within 5s", crashed)
	}
	w.Sleep(150 * time.Millisecond)

	lagging := slices.IndexFunc(all, func(i int) bool { return i != l1 && i != l2 && i != crashed })
	w.Note("act 6, a snapshot installed: n%d is cut off while the others commit and compact their logs", lagging)
	w.Disconnect(lagging)
	cmds := []string{"d=9", "e=10", "f=11", "g=12", "h=13", "i=14", "j=15", "k=16"}
	if err := submit(l2, n-1, cmds...); err != nil {
		return err
	}
	w.Sleep(50 * time.Millisecond)
	w.Note("n%d returns; the leader's log starts after its snapshot, past what n%d lacks, so it sends the snapshot (§7)", lagging, lagging)
	w.Connect(lagging)
	if !w.WaitUntil(func() bool { return applied[lagging] >= applied[l2] }, time.Millisecond, 5*time.Second) {
		return fmt.Errorf("the lagging n%d did not catch up within 5s", lagging)
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
	fmt.Fprintf(out, "  re-election      %v after the leader was cut off\n", failover)
	fmt.Fprintf(out, "  commits          %d commands, applied by every peer in the same order\n", applied[l2])
	fmt.Fprintf(out, "  restart          n%d restored its snapshot through %d from its Persister, then caught up\n", crashed, restored[crashed])
	fmt.Fprintf(out, "  snapshots        taken every %d commands; n%d got the leader's through %d (InstallSnapshot)\n", demoSnapEvery, lagging, installed[lagging])
	fmt.Fprintf(out, "  virtual time     %v\n", w.Now())
	fmt.Fprintf(out, "  RPCs sent        %d (%d bytes, requests and replies)\n", w.TotalRPCs(), w.TotalBytes())
	fmt.Fprintf(out, "  events           %d\n", w.Steps())
	fmt.Fprintf(out, "  trace digest     %s (run it again: the same digest, every time)\n", w.Digest())
	fmt.Fprintf(out, "\nnext: go test ./raft -run 4A -v, and docs/lab4-raft.md\n")
	return w.Err()
}

func quoteAll(ss []string) []string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return q
}

// storyLines keeps what tells the story: elections (pre-votes, votes),
// snapshots sent, what the peers log (roles, commits, snapshots, applies),
// faults, crashes, restarts and the demo's notes. Heartbeats and the
// AppendEntries that carry entries, their answers, and timers are left out.
// The apply lines one peer logs in one event become one line ("apply: 9..16
// d=9 … k=16"), so that a batch reads as one step.
func storyLines(lines []labrpc.Line) []labrpc.Line {
	var keep []labrpc.Line
	for _, l := range lines {
		switch l.Kind {
		case labrpc.KindLog:
			if strings.HasPrefix(l.Text, "state: ") {
				continue // for the viewer's colours; the elect lines tell it here
			}
			if prev := len(keep) - 1; prev >= 0 && isApply(l) && isApply(keep[prev]) && keep[prev].Node == l.Node && keep[prev].Step == l.Step {
				keep[prev].Text = joinApplies(keep[prev].Text, l.Text)
				continue
			}
			keep = append(keep, l)
		case labrpc.KindStart, labrpc.KindCrash, labrpc.KindFault, labrpc.KindNote:
			keep = append(keep, l)
		case labrpc.KindSend:
			if strings.HasSuffix(l.Method, "RequestVote") || strings.HasSuffix(l.Method, "PreVote") || strings.HasSuffix(l.Method, "InstallSnapshot") {
				keep = append(keep, l)
			}
		}
	}
	return keep
}

// isApply reports whether l is a command the demo's service applied
// ("apply: 4 x=4").
func isApply(l labrpc.Line) bool {
	rest, found := strings.CutPrefix(l.Text, "apply: ")
	span, _, _ := strings.Cut(rest, " ")
	from, _, _ := strings.Cut(span, "..")
	_, err := strconv.Atoi(from)
	return l.Kind == labrpc.KindLog && found && err == nil
}

// joinApplies merges "apply: 9 d=9" (or "apply: 9..10 d=9 … e=10") with the
// next apply, "apply: 11 f=11", into "apply: 9..11 d=9 … f=11".
func joinApplies(first, next string) string {
	span, rest, _ := strings.Cut(strings.TrimPrefix(first, "apply: "), " ")
	from, _, _ := strings.Cut(span, "..")
	firstCmd, _, _ := strings.Cut(rest, " … ")
	to, lastCmd, _ := strings.Cut(strings.TrimPrefix(next, "apply: "), " ")
	return fmt.Sprintf("apply: %s..%s %s … %s", from, to, firstCmd, lastCmd)
}
