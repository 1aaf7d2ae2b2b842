package gossip

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"protolab/labrpc"
)

// Helpers for the 3B and 3C tests and benchmarks: a group of SWIM members
// and a watcher that hears every member's every change of view.

// group is a SWIM cluster in a world, watched.
type group struct {
	w   *labrpc.World
	n   int
	cfg SwimConfig

	deadAt    map[[2]int]time.Duration // (node, member) → when node last declared member dead
	suspected map[int]int              // member → how many times someone suspected it
	refuted   map[int]int              // member → how many times it refuted
	// everDown: members that have crashed or left at some point; only a
	// declaration of death of a member that never did is a false one.
	everDown map[int]bool
	// exempt: members whose deaths are not counted as false (a member the
	// nemesis makes slow is not "healthy").
	exempt      map[int]bool
	falseDeaths []Event
	checkFalse  bool // fail the run at the first false death (w.Check)
}

func newGroup(w *labrpc.World, n int, cfg SwimConfig) *group {
	g := &group{w: w, n: n, cfg: cfg, deadAt: map[[2]int]time.Duration{}, suspected: map[int]int{},
		refuted: map[int]int{}, everDown: map[int]bool{}, exempt: map[int]bool{}}
	g.cfg.Notify = g.notify
	w.Check(g.check)
	return g
}

func (g *group) boot(env labrpc.Env) any { return MakeSwim(env, g.cfg) }

func (g *group) start(ids ...int) {
	for _, id := range ids {
		g.w.Start(id, g.boot)
	}
}

func (g *group) startAll() { g.start(seq(g.n)...) }

func (g *group) crash(id int) {
	g.everDown[id] = true
	g.w.Crash(id)
}

// member is node id's Swim, or nil while it is down.
func (g *group) member(id int) *Swim {
	if s, ok := g.w.Service(id, "Swim").(*Swim); ok {
		return s
	}
	return nil
}

func (g *group) notify(e Event) {
	switch {
	case e.To == Dead:
		g.deadAt[[2]int{e.Node, e.Member}] = e.At
		if !g.everDown[e.Member] && !g.exempt[e.Member] && g.w.Alive(e.Member) {
			g.falseDeaths = append(g.falseDeaths, e)
		}
	case e.To == Suspect && e.From != Suspect:
		g.suspected[e.Member]++
	case e.Node == e.Member && e.To == Alive && !e.New:
		g.refuted[e.Member]++
	}
}

// check is the continuous invariant "no false deaths", when armed: a
// member that never crashed nor left must not be declared dead.
func (g *group) check() error {
	if g.checkFalse && len(g.falseDeaths) > 0 {
		e := g.falseDeaths[0]
		return fmt.Errorf("false death: n%d declared n%d dead (incarnation %d) at %v, but n%d never crashed nor left", e.Node, e.Member, e.Incarnation, e.At, e.Member)
	}
	return nil
}

// live are the nodes running and not leaving, in id order.
func (g *group) live() []int {
	var ids []int
	for id := 0; id < g.n; id++ {
		if s := g.member(id); s != nil && !s.leaving {
			ids = append(ids, id)
		}
	}
	return ids
}

// converged reports whether every live member's view is exactly the live
// members.
func (g *group) converged() bool {
	live := g.live()
	for _, id := range live {
		if !slices.Equal(g.member(id).Members(), live) {
			return false
		}
	}
	return true
}

// views describes who sees whom, for failure messages.
func (g *group) views() string {
	var b strings.Builder
	live := g.live()
	fmt.Fprintf(&b, "live members: %v\n", live)
	for _, id := range live {
		if got := g.member(id).Members(); !slices.Equal(got, live) {
			fmt.Fprintf(&b, "  n%d sees %v\n", id, got)
		}
	}
	return b.String()
}

// allDeclaredDead reports whether every live member but victim has
// declared victim dead since t.
func (g *group) allDeclaredDead(victim int, since time.Duration) (time.Duration, bool) {
	last := time.Duration(0)
	for _, id := range g.live() {
		if id == victim {
			continue
		}
		at, ok := g.deadAt[[2]int{id, victim}]
		if !ok || at < since {
			return 0, false
		}
		last = max(last, at)
	}
	return last, true
}

// lossyNet loses each message, request or reply, with probability p, on
// the reliable profile's delays.
func lossyNet(p float64) labrpc.Profile {
	return labrpc.Profile{Name: fmt.Sprintf("lose %.0f%%", 100*p), DropRequest: p, DropReply: p,
		MinDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond, Timeout: 100 * time.Millisecond}
}

// detectionBound is how long after a crash every member must have declared
// the crashed member dead, in a group of n: the first probe of it (within
// n-1 periods: every member's round-robin pass reaches everyone), the probe
// itself (one period), the suspicion timeout, and the spread of the
// suspicion and the verdict by piggybacking, O(log n) periods (here
// 3·⌈log₂ n⌉, for the retransmits of λ·⌈log₁₀(n+1)⌉ to reach everyone
// with loss of nothing).
func detectionBound(cfg SwimConfig, n int) time.Duration {
	log2 := 0
	for 1<<log2 < n {
		log2++
	}
	T := cfg.ProbeInterval
	return time.Duration(n-1)*T + T + suspicionTimeout(cfg.SuspicionMult, n, T) + time.Duration(3*log2)*T
}
