package ctrler

import (
	"fmt"
	"slices"
	"testing"

	"protolab/chash"
)

// How lab 2's placements do as the controller's: shards moved by each Join
// and Leave over the ideal, and the load of the fullest group over the
// average. Groups 1..10 join one by one, then leave from the middle until
// one is left. The ideal for the Join of the k-th group is NShards/k (its
// fair share); for a Leave, the shards the group held (they must move,
// nothing else need). The figures are exact (no randomness):
//
//	go test ./shardkv/ctrler -run '^$' -bench Placement
//
// (docs/lab7-shardkv.md has the table.)
func BenchmarkPlacement(b *testing.B) {
	placements := []struct {
		name string
		make func() placer
	}{
		{"modn", func() placer {
			return &stateless{hasher: func(names []string) chash.Hasher { return must(chash.NewModN(names...)) }}
		}},
		{"ring", func() placer {
			return &stateless{hasher: func(names []string) chash.Hasher { r := chash.NewRing(0); mustDo(r.Add(names...)); return r }}
		}},
		{"rendezvous", func() placer {
			return &stateless{hasher: func(names []string) chash.Hasher { return must(chash.NewRendezvous(names...)) }}
		}},
		{"bounded-ring", func() placer { return newBoundedPlacer() }},
		{"ctrler-ring", func() placer { c := newConfigs(); c.choose = ringChooser; return &controller{c: c} }},
		{"ctrler", func() placer { return &controller{c: newConfigs()} }},
	}
	for _, p := range placements {
		b.Run(p.name, func(b *testing.B) {
			var r placementRun
			for i := 0; i < b.N; i++ {
				r = runPlacement(p.make())
			}
			b.ReportMetric(r.joinMoved/r.joinIdeal, "join-moved/ideal")
			b.ReportMetric(r.leaveMoved/r.leaveIdeal, "leave-moved/ideal")
			b.ReportMetric(r.maxOverAvg/float64(r.configs), "max/avg")
			b.ReportMetric(r.worstMaxOverAvg, "worst-max/avg")
		})
	}
}

// A placer places NShards shards on groups as they join and leave.
type placer interface {
	join(gid int) [NShards]int
	leave(gid int) [NShards]int
}

type placementRun struct {
	joinMoved, joinIdeal, leaveMoved, leaveIdeal float64
	maxOverAvg, worstMaxOverAvg                  float64
	configs                                      int
}

func runPlacement(p placer) placementRun {
	var r placementRun
	var prev [NShards]int
	var gids []int
	note := func(cur [NShards]int) {
		load := make(map[int]int)
		for _, gid := range cur {
			load[gid]++
		}
		most := 0
		for _, gid := range gids {
			most = max(most, load[gid])
		}
		ratio := float64(most) / (float64(NShards) / float64(len(gids)))
		r.maxOverAvg += ratio
		r.worstMaxOverAvg = max(r.worstMaxOverAvg, ratio)
		r.configs++
	}
	for gid := 1; gid <= NShards; gid++ {
		gids = append(gids, gid)
		cur := p.join(gid)
		if gid > 1 { // the first Join places every shard, whatever the algorithm
			r.joinMoved += float64(movedShards(prev, cur))
			r.joinIdeal += float64(NShards) / float64(gid)
		}
		note(cur)
		prev = cur
	}
	for len(gids) > 1 {
		gid := gids[len(gids)/2]
		held := 0
		for _, g := range prev {
			if g == gid {
				held++
			}
		}
		gids = slices.DeleteFunc(gids, func(g int) bool { return g == gid })
		cur := p.leave(gid)
		r.leaveMoved += float64(movedShards(prev, cur))
		r.leaveIdeal += float64(held)
		note(cur)
		prev = cur
	}
	return r
}

func movedShards(a, b [NShards]int) int {
	n := 0
	for s := range a {
		if a[s] != b[s] {
			n++
		}
	}
	return n
}

// stateless places each shard on its owner under one of lab 2's hashers,
// built afresh over the groups of the moment.
type stateless struct {
	hasher func(names []string) chash.Hasher
	gids   []int
}

func (p *stateless) join(gid int) [NShards]int {
	p.gids = append(p.gids, gid)
	return p.place()
}

func (p *stateless) leave(gid int) [NShards]int {
	p.gids = slices.DeleteFunc(p.gids, func(g int) bool { return g == gid })
	return p.place()
}

func (p *stateless) place() [NShards]int {
	names := make([]string, len(p.gids))
	for i, gid := range p.gids {
		names[i] = groupName(gid)
	}
	h := p.hasher(names)
	var shards [NShards]int
	for s := range shards {
		shards[s] = gidOf(h.Lookup(shardName(s)), names, p.gids)
	}
	return shards
}

// boundedPlacer is lab 2B's bounded-load ring (c = 1.25) holding the shards
// as its keys: stateful, it reports the moves of each change.
type boundedPlacer struct {
	b     *chash.Bounded
	names []string
	gids  []int
}

func newBoundedPlacer() *boundedPlacer {
	return &boundedPlacer{b: must(chash.NewBounded(1.25, 0))}
}

func (p *boundedPlacer) join(gid int) [NShards]int {
	p.names, p.gids = append(p.names, groupName(gid)), append(p.gids, gid)
	must(p.b.AddMember(groupName(gid)))
	if p.b.Len() == 0 {
		for s := 0; s < NShards; s++ {
			must(p.b.AddKey(shardName(s)))
		}
	}
	return p.shards()
}

func (p *boundedPlacer) leave(gid int) [NShards]int {
	must(p.b.RemoveMember(groupName(gid)))
	i := slices.Index(p.gids, gid)
	p.names, p.gids = slices.Delete(p.names, i, i+1), slices.Delete(p.gids, i, i+1)
	return p.shards()
}

func (p *boundedPlacer) shards() [NShards]int {
	var shards [NShards]int
	for s := range shards {
		shards[s] = gidOf(p.b.Lookup(shardName(s)), p.names, p.gids)
	}
	return shards
}

// controller is the controller's own placement (configs), with its chooser.
type controller struct{ c *configs }

func (p *controller) join(gid int) [NShards]int {
	p.c.apply(JoinOp{Groups: map[int][]int{gid: {gid}}})
	return p.c.latest().Shards
}

func (p *controller) leave(gid int) [NShards]int {
	p.c.apply(LeaveOp{GIDs: []int{gid}})
	return p.c.latest().Shards
}

// ringChooser is the controller's rules with lab 2A's ring as the
// preference instead of rendezvous.
func ringChooser(shard int, gids []int) int {
	names := make([]string, len(gids))
	for i, gid := range gids {
		names[i] = groupName(gid)
	}
	r := chash.NewRing(0)
	mustDo(r.Add(names...))
	return gidOf(r.Lookup(shardName(shard)), names, gids)
}

func must[T any](v T, err error) T {
	mustDo(err)
	return v
}

func mustDo(err error) {
	if err != nil {
		panic(fmt.Sprintf("placement benchmark: %v", err))
	}
}
