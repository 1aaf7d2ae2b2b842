package explore

import (
	"fmt"

	"protolab/labrpc"
)

// Bounded exhaustive search. A schedule is the run's choices with a few of
// them set to something other than the default (no loss, the shortest
// delay, events due at once in order): a message lost, one held to the
// profile's longest delay or past it (Options.Long), two events due at once
// swapped. Breadth first, the search tries every schedule with one such
// deviation among the first MaxPos choices, then every one with two, up to
// MaxFaults: so the first failure it finds has the fewest deviations there
// are. Depth first (dfs) it goes down one branch before the next.
//
// The tree is cut two ways. With state hashes (every node a
// labrpc.StateHasher), a deviation already tried from the same state is not
// tried again, wherever the state was reached: a stateful search, as
// DSLabs' model checker does. Without them the search is stateless, and at
// most MaxPrefixes schedules are queued (the visited-prefix bound).
//
// The nodes' own random draws (an election time-out) are not choices but
// the seed's: with Seeds > 1 the search grows one tree per seed, side by
// side, level by level.
//
// The run itself still keeps time: a schedule is a timed run, and the
// choices it varies are where the network could have gone another way.

type treeNode struct {
	seed  int64
	plan  Plan
	last  int // the last position set; children set positions after it
	depth int // deviations beyond the base
}

func (s *search) bounded() {
	base, from := Plan{Set: map[int]int64{}}, 0
	if s.o.Goal {
		var ok bool
		base, from, ok = s.reachGoal()
		if !ok {
			return
		}
	}
	s.states = map[uint64]bool{}
	seen := map[uint64]bool{} // distinct states, for the report
	var frontier []treeNode
	seeds := s.o.Seeds
	if s.o.Goal {
		seeds = 1 // the goal was reached on the first seed
	}
	for i := 0; i < seeds; i++ { // one tree per seed, searched side by side
		frontier = append(frontier, treeNode{seed: s.o.Seed + int64(i), plan: base, last: from - 1})
	}
	queued, cut := len(frontier), false
	for len(frontier) > 0 && !s.over() {
		var n treeNode
		if s.o.Strategy == DFS {
			n, frontier = frontier[len(frontier)-1], frontier[:len(frontier)-1]
		} else {
			n, frontier = frontier[0], frontier[1:]
		}
		r := &recorder{plan: n.plan, hash: true}
		s.try(n.seed, r)
		s.rep.Depth = max(s.rep.Depth, n.depth)
		if n.depth >= s.o.MaxFaults {
			continue
		}
		for j := n.last + 1; j < min(len(r.points), s.o.MaxPos); j++ {
			pt := r.points[j]
			if pt.Hashed && !seen[pt.State] {
				seen[pt.State] = true
				s.rep.States = len(seen)
			}
			for _, alt := range alternatives(pt, s.o) {
				if pt.Hashed {
					key := mix(pt.State ^ mix(uint64(pt.Kind)<<56^uint64(alt)))
					if s.states[key] {
						continue // tried from this state already
					}
					s.states[key] = true
				} else if queued >= s.o.MaxPrefixes {
					cut = true
					continue
				}
				queued++
				frontier = append(frontier, treeNode{seed: n.seed, plan: n.plan.with(j, alt), last: j, depth: n.depth + 1})
			}
		}
	}
	if len(frontier) == 0 && s.found == nil {
		s.rep.Why = fmt.Sprintf("searched every schedule with at most %d deviations among the first %d choices", s.o.MaxFaults, s.o.MaxPos)
		if cut {
			s.rep.Why = fmt.Sprintf("searched the %d prefixes the stateless bound allows (no state hashes; Options.MaxPrefixes)", s.o.MaxPrefixes)
		}
	}
}

// reachGoal is a staged search's first stage: the schedule with the fewest
// deviations whose run reaches the goal, and the position it reached it at.
func (s *search) reachGoal() (Plan, int, bool) {
	frontier := []treeNode{{plan: Plan{Set: map[int]int64{}}, last: -1}}
	for len(frontier) > 0 && !s.over() {
		n := frontier[0]
		frontier = frontier[1:]
		r := &recorder{plan: n.plan}
		res := s.try(s.o.Seed, r)
		if res.GoalAt >= 0 {
			return n.plan, res.GoalAt, true
		}
		if n.depth >= s.o.MaxFaults {
			continue
		}
		for j := n.last + 1; j < min(len(r.points), s.o.MaxPos); j++ {
			for _, alt := range alternatives(r.points[j], s.o) {
				frontier = append(frontier, treeNode{plan: n.plan.with(j, alt), last: j, depth: n.depth + 1})
			}
		}
	}
	if s.found == nil && s.rep.Why == "" {
		s.rep.Why = "no schedule within the bounds reached the goal"
	}
	return Plan{}, 0, false
}

// alternatives are the values a search tries for a point besides the default.
func alternatives(p Point, o Options) []int64 {
	long := o.Long
	switch p.Kind {
	case labrpc.ChoiceLoss:
		if o.NoFaults {
			return nil
		}
		return []int64{1}
	case labrpc.ChoiceDelay:
		var alts []int64
		if p.Hi > p.Lo {
			alts = append(alts, p.Hi)
		}
		if !o.NoFaults {
			alts = append(alts, p.Hi+int64(long))
		}
		return alts
	case labrpc.ChoiceOrder:
		var alts []int64
		for i := int64(1); i <= min(p.Hi, 2); i++ {
			alts = append(alts, i)
		}
		return alts
	}
	return nil
}

// mix is SplitMix64's finaliser.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
