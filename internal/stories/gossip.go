package stories

import (
	"fmt"
	"io"
	"strings"
	"time"

	"protolab/gossip"
	"protolab/labrpc"
)

// demoGossip tells lab 3's story in three acts, on one group of five nodes,
// each running a broadcast node (3A) and a SWIM member (3B) side by side.
// Act 1: a client broadcasts a value through one node, and it spreads hop
// by hop along a binary tree, one batch interval a hop. Act 2: a member
// stops answering for a moment; a prober's ping and ping-reqs go
// unanswered and it is suspected; the suspicion, piggybacked on the
// protocol's own messages, reaches it, and it refutes with a higher
// incarnation, which cancels every member's timer. Act 3: a member crashes; it is suspected, nobody
// hears a refutation, and when the suspicion timeout runs out every member
// declares it dead.
func demoGossip(out io.Writer) error {
	const (
		n      = 5
		entry  = 4  // the node the client hands the value to
		value  = 42 // the value it broadcasts
		slow   = 1  // the member that stops answering in act 2
		victim = 3  // the member that crashes in act 3
	)
	// One world for the three acts, so that 'lab demo gossip --html' draws
	// them all.
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n, KeepTrace: 200000})
	defer w.Close()

	bcfg := gossip.Config{Topology: gossip.Tree(2), BatchInterval: 20 * time.Millisecond,
		AntiEntropy: gossip.PushPull, AntiEntropyInterval: 2 * time.Second}
	scfg := gossip.DefaultSwimConfig()
	var events []gossip.Event
	scfg.Notify = func(e gossip.Event) { events = append(events, e) }
	for i := 0; i < n; i++ {
		w.Start(i, func(env labrpc.Env) any { return []any{gossip.Make(env, bcfg), gossip.MakeSwim(env, scfg)} })
	}
	bcast := func(i int) *gossip.Broadcast { b, _ := w.Service(i, "Broadcast").(*gossip.Broadcast); return b }
	swim := func(i int) *gossip.Swim { s, _ := w.Service(i, "Swim").(*gossip.Swim); return s }

	// Which message brought the value to each node: a node learns in the
	// handler of a request, or in the callback of a reply, which run just
	// after the line that records them. So at every trace line, a node
	// that has the value now and had it not before got it from the last
	// message it received.
	watching := false
	var lastIn [n]labrpc.Line
	got := map[int]labrpc.Line{}
	catchUp := func() {
		for i := 0; i < n; i++ {
			if _, ok := got[i]; !ok {
				if b := bcast(i); b != nil && b.Has(value) {
					got[i] = lastIn[i]
				}
			}
		}
	}
	w.OnTrace(func(l labrpc.Line) {
		if !watching {
			return
		}
		catchUp()
		if l.Node >= 0 && l.Node < n && (l.Kind == labrpc.KindRecv || l.Kind == labrpc.KindReply) {
			lastIn[l.Node] = l
		}
	})

	full := func() bool {
		for i := 0; i < n; i++ {
			if s := swim(i); s == nil || len(s.Members()) != n {
				return false
			}
		}
		return true
	}
	if !w.WaitUntil(full, 100*time.Millisecond, 30*time.Second) {
		return fmt.Errorf("the group did not form within 30 s")
	}
	w.Note("all %d members know each other", n)
	w.Sleep(5 * time.Second) // let the news of the joins die out

	// Act 1 (3A): a value spreads.
	start1 := w.Now()
	w.Note("act 1: a client broadcasts %d through n%d; it travels a binary tree, in 20ms batches", value, entry)
	watching = true
	clnt := w.NewClient()
	if !clnt.Call(entry, "Broadcast.Broadcast", &gossip.BroadcastArgs{Value: value}, &gossip.BroadcastReply{}) {
		return fmt.Errorf("act 1: n%d did not acknowledge the broadcast", entry)
	}
	acked := w.Now()
	everywhere := func() bool { catchUp(); return len(got) == n }
	if !w.WaitUntil(everywhere, time.Millisecond, 10*time.Second) {
		return fmt.Errorf("act 1: %d had reached %d of %d nodes after 10 s", value, len(got), n)
	}
	watching = false
	var last time.Duration
	for _, l := range got {
		last = max(last, l.At)
	}
	w.Note("every node has %d", value)
	end1 := w.Now()

	// A quiet stretch, to measure SWIM's load when nothing happens.
	quiet := w.Now()
	w.Sleep(10 * time.Second)

	// Act 2 (3B): a member stops answering for a moment. Deafen loses every
	// request sent to it, while its own pings, and the acks to them, still
	// pass: it is a member too busy to serve, not a cut-off one (which
	// would also fail its own probes, and suspect the member it probed).
	start2 := w.Now()
	w.Note("act 2: n%d stops answering: requests to it are lost; its own pings and their acks pass", slow)
	w.Deafen(slow)
	suspectedAt, suspectedBy := time.Duration(-1), -1
	suspected := func() bool {
		for _, e := range events {
			if e.At >= start2 && e.Member == slow && e.Node != slow && e.To == gossip.Suspect {
				suspectedAt, suspectedBy = e.At, e.Node
				return true
			}
		}
		return false
	}
	if !w.WaitUntil(suspected, 10*time.Millisecond, 30*time.Second) {
		return fmt.Errorf("act 2: nobody suspected the deaf n%d within 30 s", slow)
	}
	w.Undeafen(slow)
	w.Note("n%d answers again; n%d, whose probe it missed, suspects it and tells the others", slow, suspectedBy)
	refuted := func() bool {
		for i := 0; i < n; i++ {
			s := swim(i)
			if s == nil {
				return false
			}
			if m, ok := s.Lookup(slow); !ok || m.State != gossip.Alive || m.Incarnation == 0 {
				return false
			}
		}
		return true
	}
	if !w.WaitUntil(refuted, 10*time.Millisecond, 30*time.Second) {
		return fmt.Errorf("act 2: n%d's refutation had not reached every member within 30 s", slow)
	}
	w.Sleep(2 * time.Second)
	inc := swim(slow).Incarnation()
	w.Note("every member holds n%d alive at incarnation %d; nobody declared it dead", slow, inc)
	var refutedAt, aliveForAll time.Duration = -1, 0
	suspicions := map[int]bool{}
	for _, e := range events {
		if e.At < start2 || e.Member != slow {
			continue
		}
		switch {
		case e.To == gossip.Dead:
			return fmt.Errorf("act 2: n%d declared n%d dead at %v, though it only stopped answering for a moment", e.Node, slow, e.At)
		case e.To == gossip.Suspect:
			suspicions[e.Node] = true
		case e.Node == slow && e.To == gossip.Alive && refutedAt < 0:
			refutedAt = e.At
		case e.Node != slow && e.To == gossip.Alive:
			aliveForAll = max(aliveForAll, e.At)
		}
	}

	// Act 3 (3B): a member crashes.
	start3 := w.Now()
	w.Note("act 3: n%d crashes", victim)
	w.Crash(victim)
	crashed := w.Now()
	var firstSuspect, firstDead, allDead time.Duration = -1, -1, -1
	firstSuspectBy, firstDeadBy := -1, -1
	allDeclared := func() bool {
		declared := 0
		for _, e := range events {
			if e.At < crashed || e.Member != victim {
				continue
			}
			if e.To == gossip.Suspect && firstSuspect < 0 {
				firstSuspect, firstSuspectBy = e.At, e.Node
			}
			if e.To == gossip.Dead {
				if firstDead < 0 {
					firstDead, firstDeadBy = e.At, e.Node
				}
				declared++
				allDead = e.At
			}
		}
		return declared == n-1
	}
	if !w.WaitUntil(allDeclared, 100*time.Millisecond, time.Minute) {
		return fmt.Errorf("act 3: n%d was not declared dead by everyone within a minute", victim)
	}
	w.Sleep(2 * time.Second)
	w.Note("every member has declared n%d dead", victim)

	// The story: in act 1 the messages that carried the value, in acts 2
	// and 3 the members' own log lines about the member in trouble
	// (failed probes, changes of view, expired suspicions, refutations).
	// The rest (pings, acks, anti-entropy) would bury it.
	carried := map[labrpc.Line]bool{}
	for _, l := range got {
		carried[l] = true
	}
	var story []labrpc.Line
	swimMsgs := int64(0)
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindSend && strings.HasPrefix(l.Method, "Swim.") && l.At >= quiet && l.At < start2 {
			swimMsgs++
		}
		if l.At < start1 {
			continue
		}
		var keep bool
		switch l.Kind {
		case labrpc.KindNote, labrpc.KindCrash, labrpc.KindFault:
			keep = true
		case labrpc.KindRecv, labrpc.KindReply:
			keep = carried[l]
		case labrpc.KindSend:
			keep = l.At < end1 && l.Method == "Broadcast.Gossip"
		case labrpc.KindLog:
			keep = l.At >= start2 && (strings.HasPrefix(l.Text, "probe:") || strings.HasPrefix(l.Text, "suspect:") ||
				strings.HasPrefix(l.Text, "refute:") ||
				l.Node != slow && strings.HasPrefix(l.Text, fmt.Sprintf("member: n%d ", slow)) ||
				strings.HasPrefix(l.Text, fmt.Sprintf("member: n%d ", victim)))
		}
		if keep {
			story = append(story, l)
		}
	}

	fmt.Fprintf(out, "protolab demo: lab 3, gossip: broadcast and SWIM (seed %d)\n\n", w.Seed())
	fmt.Fprint(out, w.Timeline(story))

	// A node's hop count is its sender's plus one; the client's node is
	// hop 0. The story has the carrying lines in the order they happened,
	// so every sender comes before the nodes it sent to.
	ms := func(d time.Duration) time.Duration { return d.Round(time.Millisecond) }
	var arrivals []string
	hops := map[int]int{}
	mail := 0
	for _, l := range story {
		if carried[l] {
			if l.Peer < n {
				hops[l.Node] = hops[l.Peer] + 1
			}
			arrivals = append(arrivals, fmt.Sprintf("n%d %v", l.Node, ms(l.At-start1)))
		}
		if l.Kind == labrpc.KindSend && l.Method == "Broadcast.Gossip" {
			mail++
		}
	}
	maxHops := 0
	for _, h := range hops {
		maxHops = max(maxHops, h)
	}

	fmt.Fprintf(out, "\nsummary\n")
	fmt.Fprintf(out, "  group            %d nodes, each a broadcast node (3A) and a SWIM member (3B)\n", n)
	fmt.Fprintf(out, "  broadcast        binary tree, %v batches, push-pull anti-entropy every %v\n", bcfg.BatchInterval, bcfg.AntiEntropyInterval)
	fmt.Fprintf(out, "  SWIM             period %v, probe timeout %v, %d indirect probes, suspicion timeout %v\n",
		scfg.ProbeInterval, scfg.ProbeTimeout, scfg.IndirectChecks, scfg.SuspicionTimeout(n))
	fmt.Fprintf(out, "  act 1: spread    %d everywhere %v after the client's call (acknowledged after %v):\n",
		value, ms(last-start1), ms(acked-start1))
	fmt.Fprintf(out, "                   %s;\n", strings.Join(arrivals, ", "))
	fmt.Fprintf(out, "                   %d hops, %d Gossip messages\n", maxHops, mail)
	fmt.Fprintf(out, "  act 2: refuted   n%d suspected by n%d %v after it went deaf (by %d members in all);\n",
		slow, suspectedBy, ms(suspectedAt-start2), len(suspicions))
	fmt.Fprintf(out, "                   it refuted, alive at incarnation %d, %v after the first suspicion;\n", inc, ms(refutedAt-suspectedAt))
	fmt.Fprintf(out, "                   alive again for everyone %v after it, dead for nobody\n", ms(aliveForAll-suspectedAt))
	fmt.Fprintf(out, "  act 3: detected  n%d suspected by n%d %v after its crash, declared dead by n%d %v after it,\n",
		victim, firstSuspectBy, ms(firstSuspect-crashed), firstDeadBy, ms(firstDead-crashed))
	fmt.Fprintf(out, "                   dead for everyone %v after it\n", ms(allDead-crashed))
	fmt.Fprintf(out, "  SWIM load        %.2f messages (requests and replies) per member per period, in the quiet %v before act 2\n",
		2*float64(swimMsgs)/float64(n)/float64((start2-quiet)/scfg.ProbeInterval), start2-quiet)
	fmt.Fprintf(out, "  virtual time     %v (acts 1, 2, 3: %v, %v, %v); %d RPCs in all\n",
		ms(w.Now()), ms(end1-start1), ms(start3-start2), ms(w.Now()-start3), w.TotalRPCs())
	fmt.Fprintf(out, "  trace digest     %s (run it again: the same digest, every time)\n", w.Digest())
	fmt.Fprintf(out, "\nnext: go test ./gossip -run 3B -v, and docs/lab3-gossip.md\n")
	return w.Err()
}

// gossipRunner is lab 3A's workload for 'lab run gossip'.
var gossipRunner = Runner{
	Name:     "gossip",
	Summary:  "lab 3A: a client broadcasts values through random nodes; every value must reach every node",
	Nodes:    5,
	MinNodes: 2,
	Load:     50,
	Faults:   []string{"partitions", "outages"},
	Run:      runGossip,
}

// gossipSettle is how long the run waits, after the workload and the faults
// end, for anti-entropy to bring every value to every node.
const gossipSettle = 5 * time.Second

// runGossip broadcasts r.Load values per second through random nodes of a
// total topology with batching and push-pull anti-entropy, measures how long
// each value takes to reach every node, and checks at the end that every
// acknowledged value reached every node.
func runGossip(r *Run) error {
	w := r.W
	cfg := gossip.Config{Topology: gossip.Total(), BatchInterval: 20 * time.Millisecond,
		AntiEntropy: gossip.PushPull, AntiEntropyInterval: 200 * time.Millisecond}
	for i := 0; i < r.Nodes; i++ {
		w.Start(i, func(env labrpc.Env) any { return gossip.Make(env, cfg) })
	}
	r.StartFaults()
	node := func(i int) *gossip.Broadcast {
		b, _ := w.Service(i, "Broadcast").(*gossip.Broadcast)
		return b
	}
	everywhere := func(v int) bool {
		for i := 0; i < r.Nodes; i++ {
			if b := node(i); b == nil || !b.Has(v) {
				return false
			}
		}
		return true
	}

	// Every 5ms of virtual time, note which values have reached every node.
	sent := map[int]time.Duration{}
	var pending []int
	var watch func()
	watch = func() {
		kept := pending[:0]
		for _, v := range pending {
			if everywhere(v) {
				r.Latency(w.Now() - sent[v])
			} else {
				kept = append(kept, v)
			}
		}
		pending = kept
		w.At(5*time.Millisecond, watch)
	}
	w.At(5*time.Millisecond, watch)

	clnt := w.NewClient()
	rng := clnt.Rand()
	gap := time.Duration(float64(time.Second) / r.Load)
	acked := 0
	w.Go("client", func() {
		r.Arrivals(rng, gap, func(n int, _ time.Duration) {
			// A lost reply leaves the client unsure; it tries again, through
			// another node, until one acknowledges (values are a set).
			v := n + 1
			sent[v] = w.Now()
			pending = append(pending, v)
			for !clnt.Call(rng.IntN(r.Nodes), "Broadcast.Broadcast", &gossip.BroadcastArgs{Value: v}, &gossip.BroadcastReply{}) {
			}
			acked++
		})
	})
	if !w.RunUntilDone(r.For + time.Minute) {
		return fmt.Errorf("the client had not finished a minute of virtual time after the workload's end")
	}
	w.Sleep(gossipSettle)

	missing, deliveries := 0, int64(0)
	for v := range sent {
		for i := 0; i < r.Nodes; i++ {
			if b := node(i); b != nil && b.Has(v) {
				deliveries++
			} else {
				missing++
			}
		}
	}
	r.Count("broadcasts", int64(acked))
	r.Count("deliveries", deliveries)
	r.Count("messages/broadcast", w.TotalRPCs()/int64(max(acked, 1)))
	var err error
	if missing > 0 {
		err = fmt.Errorf("%d (value, node) pairs missing %v after the faults ended", missing, gossipSettle)
	}
	r.Check("reaches every node", err)
	return nil
}
