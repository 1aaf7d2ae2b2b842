package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"protolab/gossip"
	"protolab/labrpc"
)

func init() {
	registerDemo("gossip", "lab 3: a SWIM group of five; one member crashes, the others suspect, confirm and declare it dead", demoGossip)
}

// demoGossip tells lab 3B's story: five members join through n0, n3
// crashes, a prober's ping and its ping-reqs go unanswered, n3 is
// suspected, the suspicion spreads on the protocol's own messages, and
// when the suspicion timeout runs out every member declares n3 dead.
func demoGossip(out io.Writer) error {
	const n, victim = 5, 3
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n, KeepTrace: 200000})
	defer w.Close()
	cfg := gossip.DefaultSwimConfig()
	type mark struct {
		at   time.Duration
		node int
	}
	var suspected, declared []mark
	cfg.Notify = func(e gossip.Event) {
		if e.Member != victim {
			return
		}
		switch e.To {
		case gossip.Suspect:
			suspected = append(suspected, mark{e.At, e.Node})
		case gossip.Dead:
			declared = append(declared, mark{e.At, e.Node})
		}
	}
	for i := 0; i < n; i++ {
		w.Start(i, func(env labrpc.Env) any { return gossip.MakeSwim(env, cfg) })
	}
	swim := func(i int) *gossip.Swim { s, _ := w.Service(i, "Swim").(*gossip.Swim); return s }
	full := func() bool {
		for i := 0; i < n; i++ {
			if len(swim(i).Members()) != n {
				return false
			}
		}
		return true
	}
	if !w.WaitUntil(full, 100*time.Millisecond, 30*time.Second) {
		return fmt.Errorf("the group did not form within 30 s")
	}
	w.Note("all %d members know each other", n)
	w.Sleep(5 * time.Second)
	rpcs := w.TotalRPCs()

	w.Note("n%d crashes", victim)
	w.Crash(victim)
	crashed := w.Now()
	allDead := func() bool { return len(declared) == n-1 }
	if !w.WaitUntil(allDead, 100*time.Millisecond, time.Minute) {
		return fmt.Errorf("n%d was not declared dead by everyone within a minute", victim)
	}
	w.Sleep(2 * time.Second)
	w.Note("every member has declared n%d dead", victim)

	// The story is in the members' own log lines (member changes and
	// probe verdicts) and the world's events; the messages themselves are
	// left out, or the timeline would be mostly pings.
	var story []labrpc.Line
	for _, l := range w.Tail(-1) {
		if l.At < crashed-3*time.Second {
			continue
		}
		keep := l.Kind == labrpc.KindNote || l.Kind == labrpc.KindCrash ||
			l.Kind == labrpc.KindLog && (strings.HasPrefix(l.Text, "probe:") || strings.HasPrefix(l.Text, "suspect:") ||
				strings.HasPrefix(l.Text, "member: n"+fmt.Sprint(victim)+" "))
		if keep {
			story = append(story, l)
		}
	}
	fmt.Fprintf(out, "protolab demo: lab 3, SWIM failure detection (seed %d)\n\n", w.Seed())
	fmt.Fprint(out, w.Timeline(story))
	fmt.Fprintf(out, "\nsummary\n")
	fmt.Fprintf(out, "  group                %d members, probe period %v, probe timeout %v, %d indirect probes\n", n, cfg.ProbeInterval, cfg.ProbeTimeout, cfg.IndirectChecks)
	fmt.Fprintf(out, "  crash                n%d at %v\n", victim, crashed)
	if len(suspected) > 0 {
		fmt.Fprintf(out, "  first suspicion      by n%d, %v after the crash\n", suspected[0].node, suspected[0].at-crashed)
	}
	fmt.Fprintf(out, "  first declared dead  by n%d, %v after the crash (suspicion timeout %v)\n", declared[0].node, declared[0].at-crashed, cfg.SuspicionTimeout(n))
	fmt.Fprintf(out, "  dead for everyone    %v after the crash\n", declared[len(declared)-1].at-crashed)
	fmt.Fprintf(out, "  messages             %d RPCs from the crash to the end (%.1f per member per period)\n",
		w.TotalRPCs()-rpcs, float64(w.TotalRPCs()-rpcs)/float64(n-1)/float64((w.Now()-crashed)/cfg.ProbeInterval))
	return nil
}
