package gossip

import (
	"fmt"
	"math/rand/v2"
	//lab:solution 3A
	"slices"
	//lab:end
)

// A Topology is the overlay that direct mail follows: whom each node sends
// new values to. Fixed topologies are computed from the node's id and the
// group's size alone, the same on every node, and every edge goes both
// ways. In a self-organised one each node picks its own neighbours and
// introduces itself to them.
//
// The choice is a trade between messages and hops. A value crosses each
// edge of a tree once (n-1 messages, the fewest that reach everyone), but
// a tree's depth is hops of latency, and one lost batch cuts off a whole
// subtree until anti-entropy repairs it. Denser overlays send duplicates
// (a value reaches a node by several paths) and in exchange reach it by
// the first of them.
type Topology struct {
	kind      topologyKind
	k         int  // fan-out of a tree, picks of a self-organised overlay
	introduce bool // nodes say hello to the neighbours they picked
}

type topologyKind uint8

const (
	noTopology topologyKind = iota
	totalTopology
	lineTopology
	gridTopology
	treeTopology
	randomTopology
)

// Total connects every node to every other: one hop, n-1 duplicates of
// each value at each node.
func Total() Topology { return Topology{kind: totalTopology} }

// Line connects node i to i-1 and i+1: n-1 hops end to end.
func Line() Topology { return Topology{kind: lineTopology} }

// Grid lays the nodes out row by row on a square grid ⌈√n⌉ wide and
// connects each to the nodes above, below, left and right of it.
func Grid() Topology { return Topology{kind: gridTopology} }

// Tree connects node i to its parent (i-1)/k and its children k·i+1 ..
// k·i+k: a k-ary tree rooted at node 0, of depth about log_k n. Tree(n-1)
// is a star.
func Tree(k int) Topology {
	if k < 1 {
		panic(fmt.Sprintf("gossip: Tree(%d): the fan-out must be at least 1", k))
	}
	return Topology{kind: treeTopology, k: k}
}

// SelfOrganised lets the nodes build the overlay: each picks k peers at
// random and introduces itself, and a node that hears from a stranger
// makes it a neighbour. The result is a random graph in which every node
// has at least k edges; for k >= 2 it is connected with high probability,
// and anti-entropy covers the rare case that it is not.
func SelfOrganised(k int) Topology {
	if k < 1 {
		panic(fmt.Sprintf("gossip: SelfOrganised(%d): each node must pick at least 1 peer", k))
	}
	return Topology{kind: randomTopology, k: k, introduce: true}
}

func (t Topology) String() string {
	switch t.kind {
	case totalTopology:
		return "total"
	case lineTopology:
		return "line"
	case gridTopology:
		return "grid"
	case treeTopology:
		return fmt.Sprintf("tree(%d)", t.k)
	case randomTopology:
		return fmt.Sprintf("self-organised(%d)", t.k)
	}
	return "none"
}

// neighbours returns node me's neighbours among nodes 0..n-1, in
// increasing order. rng is used only by the self-organised topology.
func (t Topology) neighbours(me, n int, rng *rand.Rand) []int {
	//lab:solution 3A
	var nbs []int
	add := func(id int) {
		if id >= 0 && id < n && id != me {
			nbs = append(nbs, id)
		}
	}
	switch t.kind {
	case totalTopology:
		for id := 0; id < n; id++ {
			add(id)
		}
	case lineTopology:
		add(me - 1)
		add(me + 1)
	case gridTopology:
		width := gridWidth(n)
		row, col := me/width, me%width
		if row > 0 {
			add(me - width)
		}
		if col > 0 {
			add(me - 1)
		}
		if col+1 < width {
			add(me + 1) // may be past n on the last row; add drops it
		}
		add(me + width)
	case treeTopology:
		if me > 0 {
			add((me - 1) / t.k)
		}
		for c := t.k*me + 1; c <= t.k*me+t.k; c++ {
			add(c)
		}
	case randomTopology:
		if n <= 1 {
			return nil
		}
		picks := map[int]bool{}
		for len(picks) < min(t.k, n-1) {
			// Draw among the n-1 others: skip over me.
			id := rng.IntN(n - 1)
			if id >= me {
				id++
			}
			picks[id] = true
		}
		for id := range picks {
			nbs = append(nbs, id)
		}
	}
	slices.Sort(nbs)
	return nbs
	//lab:stub
	// TODO(3A): the neighbours of node me for each kind of topology (see
	// the constructors above); a self-organised node picks t.k distinct
	// peers other than itself with rng. Return them in increasing order.
	//> return nil
	//lab:end
}

// gridWidth is the width of the square grid that holds n nodes: ⌈√n⌉.
func gridWidth(n int) int {
	w := 1
	for w*w < n {
		w++
	}
	return w
}

// addNeighbour makes id a neighbour, if it is not one yet.
func (b *Broadcast) addNeighbour(id int) {
	//lab:solution 3A
	if id == b.me || slices.Contains(b.neighbours, id) {
		return
	}
	b.neighbours = append(b.neighbours, id)
	//lab:stub
	// TODO(3A): append id to b.neighbours unless it is this node or there.
	//lab:end
}

// introduce sends an empty batch to each neighbour this node picked, so
// that the neighbour adds it back (Gossip makes senders neighbours).
func (b *Broadcast) introduce() {
	//lab:solution 3A
	for _, nb := range b.neighbours {
		b.env.Call(nb, "Broadcast.Gossip", &GossipArgs{From: b.me}, &GossipReply{}, func(bool) {})
	}
	//lab:stub
	// TODO(3A): send each neighbour an empty Gossip from this node.
	//lab:end
}
