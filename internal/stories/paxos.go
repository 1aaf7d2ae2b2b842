package stories

import (
	"fmt"
	"io"
	"strings"
	"time"

	"protolab/labrpc"
	"protolab/paxos"
)

// demoPaxos tells lab 5's story in three acts. Act 1 is part 5A: three Paxos
// instances peers, two of which propose different values for one instance at
// the same moment; their ballots outbid each other until one value is
// chosen, and the loser adopts it. Acts 2 and 3 are part 5B, on five
// Multi-Paxos peers: a leader learns that its command is chosen and crashes
// before anyone else knows, and the next leader keeps the command in its
// slot; then a leader's accepts for one slot are lost while those of the
// next arrive, it crashes, and the next leader fills the hole with a no-op.
func demoPaxos(out io.Writer) error {
	fmt.Fprintf(out, "protolab demo: lab 5, Paxos (seed 1)\n\n")
	// The Multi-Paxos world is built first, so that 'lab demo paxos --html'
	// (which draws the first world a demo builds) draws acts 2 and 3.
	profile := labrpc.Profile{Name: "fixed-2ms", MinDelay: 2 * time.Millisecond, MaxDelay: 2 * time.Millisecond, Timeout: 100 * time.Millisecond}
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 5, Profile: profile, KeepTrace: 100000})
	defer w.Close()
	dueling, err := demoDueling(out)
	if err != nil {
		return err
	}
	return demoMultiPaxos(out, w, dueling)
}

// demoDueling is act 1, on Paxos instances.
func demoDueling(out io.Writer) (string, error) {
	const n = 3
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n})
	defer w.Close()
	var decided []string
	for i := 0; i < n; i++ {
		w.Start(i, func(env labrpc.Env) any {
			return paxos.MakeSynod(env, env.Persister(), func(seq int, v any) {
				decided = append(decided, fmt.Sprintf("n%d: %v", i, v))
			})
		})
	}
	synod := func(i int) *paxos.Synod { return w.Service(i, "Synod").(*paxos.Synod) }
	w.Note("act 1: n0 proposes \"apple\" and n2 \"pear\" for instance 0, at the same moment")
	synod(0).Start(0, "apple")
	synod(2).Start(0, "pear")
	if !w.WaitUntil(func() bool { return len(decided) == n }, 10*time.Millisecond, 10*time.Second) {
		return "", fmt.Errorf("act 1: instance 0 was not decided everywhere in 10s")
	}
	w.Sleep(100 * time.Millisecond)
	_, v := synod(1).Status(0)
	w.Note("every peer has decided %q; n1, which proposed nothing, learned it too", v)

	fmt.Fprintf(out, "act 1 (part 5A): dueling proposers\n\n")
	fmt.Fprint(out, w.Timeline(w.Tail(-1)))
	prepares, accepts := 0, 0
	for _, l := range w.Tail(-1) {
		prepares += count(l, "prepare:")
		accepts += count(l, "accept:")
	}
	fmt.Fprintln(out)
	return fmt.Sprintf("%q chosen for instance 0 after %d ballots prepared and %d proposed, %d RPCs", v, prepares, accepts, w.TotalRPCs()), w.Err()
}

// demoMultiPaxos is acts 2 and 3, on Multi-Paxos.
func demoMultiPaxos(out io.Writer, w *labrpc.World, act1 string) error {
	n := w.Nodes()
	applied := make([]map[int]any, n)
	boot := func(env labrpc.Env) any {
		i := env.Me()
		applied[i] = map[int]any{}
		return paxos.Make(env, env.Persister(), func(m paxos.ApplyMsg) {
			if m.CommandValid {
				applied[i][m.CommandIndex] = m.Command
				env.Logf("apply", "slot %d: %v", m.CommandIndex, m.Command)
			}
		})
	}
	for i := 0; i < n; i++ {
		w.Start(i, boot)
	}
	mp := func(i int) *paxos.MultiPaxos { p, _ := w.Service(i, "MultiPaxos").(*paxos.MultiPaxos); return p }
	leader := func() int {
		l := -1
		w.WaitUntil(func() bool {
			for i := 0; i < n; i++ {
				if p := mp(i); p != nil {
					if _, isLeader := p.GetState(); isLeader {
						l = i
						return true
					}
				}
			}
			return false
		}, 10*time.Millisecond, 10*time.Second)
		return l
	}
	everywhere := func(slot, peers int) bool {
		return w.WaitUntil(func() bool {
			count := 0
			for i := 0; i < n; i++ {
				if _, ok := applied[i][slot]; ok && w.Alive(i) {
					count++
				}
			}
			return count >= peers
		}, 10*time.Millisecond, 10*time.Second)
	}

	l1 := leader()
	if l1 < 0 {
		return fmt.Errorf("act 2: no leader in 10s")
	}
	first, _, _ := mp(l1).Start("a")
	if !everywhere(first, n) {
		return fmt.Errorf("act 2: slot %d not applied everywhere", first)
	}
	start2 := w.Now()
	w.Note("act 2: n%d leads; it starts \"b\", sees it accepted by a majority, and crashes before anyone else learns so", l1)
	chosen, _, _ := mp(l1).Start("b")
	w.Sleep(5 * time.Millisecond)
	w.Crash(l1)
	l2 := leader()
	if l2 < 0 || !everywhere(chosen, n-1) {
		return fmt.Errorf("act 2: slot %d not applied by the others", chosen)
	}
	w.Note("n%d, the new leader, found \"b\" in the promises: slot %d keeps it", l2, chosen)
	w.Start(l1, boot)
	if !everywhere(chosen, n) {
		return fmt.Errorf("act 2: n%d did not catch up", l1)
	}

	start3 := w.Now()
	w.Note("act 3: n%d is cut off while it starts \"lost\", reconnected to start \"kept\", and crashes", l2)
	w.Disconnect(l2)
	hole, _, _ := mp(l2).Start("lost")
	w.Connect(l2)
	kept, _, _ := mp(l2).Start("kept")
	w.Sleep(10 * time.Millisecond)
	w.Crash(l2)
	l3 := leader()
	if l3 < 0 || !everywhere(kept, n-1) {
		return fmt.Errorf("act 3: slot %d not applied by the others", kept)
	}
	w.Note("n%d, the new leader, found no proposal for slot %d in any promise: a hole, filled with a no-op", l3, hole)
	w.Start(l2, boot)
	if !everywhere(kept, n) {
		return fmt.Errorf("act 3: n%d did not catch up", l2)
	}
	w.Note("n%d is back: its own \"lost\" at slot %d gives way to the no-op", l2, hole)

	// The story is in the peers' role changes, their starts and applies,
	// and the world's events; the Accepts and heartbeats are left out.
	fmt.Fprintf(out, "acts 2 and 3 (part 5B): Multi-Paxos, five peers, 2ms messages\n\n")
	var story []labrpc.Line
	for _, l := range w.Tail(-1) {
		if l.At < start2 {
			continue
		}
		if l.Kind == labrpc.KindNote || l.Kind == labrpc.KindCrash || l.Kind == labrpc.KindStart || l.Kind == labrpc.KindFault ||
			l.Kind == labrpc.KindLog && !strings.HasPrefix(l.Text, "state: role=follower") {
			story = append(story, l)
		}
	}
	fmt.Fprint(out, w.Timeline(story))

	fmt.Fprintf(out, "\nsummary\n")
	fmt.Fprintf(out, "  act 1            %s\n", act1)
	fmt.Fprintf(out, "  act 2            slot %d holds %v on every peer, though its leader n%d crashed before telling anyone\n", chosen, applied[l2][chosen], l1)
	fmt.Fprintf(out, "  act 3            slot %d holds %v, slot %d holds %v (leaders n%d, n%d, n%d)\n", hole, applied[l3][hole], kept, applied[l3][kept], l1, l2, l3)
	fmt.Fprintf(out, "  virtual time     %v (acts 2 and 3: %v and %v of it)\n", w.Now(), start3-start2, w.Now()-start3)
	fmt.Fprintf(out, "  RPCs sent        %d (%d bytes, requests and replies), heartbeats included\n", w.TotalRPCs(), w.TotalBytes())
	fmt.Fprintf(out, "  trace digest     %s (run it again: the same digest, every time)\n", w.Digest())
	fmt.Fprintf(out, "\nnext: go test ./paxos -run 5A -v, and docs/lab5-paxos.md\n")
	return w.Err()
}

// count is 1 if l is a node's log line with the given topic.
func count(l labrpc.Line, topic string) int {
	if l.Kind == labrpc.KindLog && strings.HasPrefix(l.Text, topic) {
		return 1
	}
	return 0
}
