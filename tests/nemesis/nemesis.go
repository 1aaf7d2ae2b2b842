package tests

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"protolab/labrpc"
)

// The nemesis injects faults over virtual time. A scripted one says exactly
// what happens when (the test of a known scenario); a random one draws its
// faults from the world's harness stream, so it too replays from the seed.

// A Fault is one change to the world.
type Fault struct {
	Name string
	Do   func(w *labrpc.World)
}

// A Step is a fault at a virtual time, counted from when the script starts.
type Step struct {
	At    time.Duration
	Fault Fault
}

// Script schedules steps on w, relative to now.
func Script(w *labrpc.World, steps ...Step) {
	for _, s := range steps {
		f := s.Fault
		w.At(s.At, func() {
			w.Note("nemesis: %s", f.Name)
			f.Do(w)
		})
	}
}

// The faults a script or a random nemesis uses.

// PartitionInto splits the world into the given groups.
func PartitionInto(groups ...[]int) Fault {
	return Fault{fmt.Sprint("partition ", groups), func(w *labrpc.World) { w.Partition(groups...) }}
}

// HealAll removes every partition, cut and disconnection.
func HealAll() Fault { return Fault{"heal", func(w *labrpc.World) { w.Heal() }} }

// CrashNode crashes a node.
func CrashNode(id int) Fault {
	return Fault{fmt.Sprint("crash n", id), func(w *labrpc.World) { w.Crash(id) }}
}

// RestartNode restarts a node from its Persister.
func RestartNode(id int) Fault {
	return Fault{fmt.Sprint("restart n", id), func(w *labrpc.World) { w.Restart(id) }}
}

// Unreliable turns message loss on or off.
func Unreliable(on bool) Fault {
	return Fault{fmt.Sprint("unreliable ", on), func(w *labrpc.World) { w.SetReliable(!on) }}
}

// LongReordering turns long reordering on or off.
func LongReordering(on bool) Fault {
	return Fault{fmt.Sprint("long reordering ", on), func(w *labrpc.World) { w.SetLongReordering(on) }}
}

// Nemesis describes a random fault schedule.
type Nemesis struct {
	Nodes []int         // the nodes it may cut off or crash
	Every time.Duration // mean time between faults (exponential gaps)
	For   time.Duration // how long it acts; then it heals everything

	Partitions bool // random majority/minority splits, and heals
	Crashes    bool // crash and restart nodes (at most MaxDown down at once)
	MaxDown    int  // default: a minority, (len(Nodes)-1)/2
	Unreliable bool // toggle message loss
	Reorder    bool // toggle long reordering
}

// Start schedules the nemesis on w from now. At the end of For it heals the
// network, turns loss and reordering off, and restarts every node it
// crashed, so the test can check that the system recovers.
func (n Nemesis) Start(w *labrpc.World) {
	if n.Every <= 0 || n.For <= 0 || len(n.Nodes) == 0 {
		w.Fail(fmt.Errorf("tests: a Nemesis needs Nodes, Every > 0 and For > 0 (got %d nodes, Every=%v, For=%v)", len(n.Nodes), n.Every, n.For))
		return
	}
	if n.MaxDown == 0 {
		n.MaxDown = (len(n.Nodes) - 1) / 2
	}
	rng := w.Rand()
	end := w.Now() + n.For
	var down []int
	var act func()
	act = func() {
		if w.Now() >= end {
			w.Note("nemesis: done; heal, restore the network, restart the crashed")
			w.Heal()
			w.SetReliable(true)
			w.SetLongReordering(false)
			for _, id := range down {
				w.Restart(id)
			}
			return
		}
		n.act(w, rng, &down)
		gap := time.Duration(rng.ExpFloat64() * float64(n.Every))
		w.At(min(gap, end-w.Now()), act)
	}
	w.At(time.Duration(rng.ExpFloat64()*float64(n.Every)), act)
}

// act applies one random fault.
func (n Nemesis) act(w *labrpc.World, rng *rand.Rand, down *[]int) {
	var choices []func()
	if n.Partitions {
		choices = append(choices, func() {
			nodes := slices.Clone(n.Nodes)
			rng.Shuffle(len(nodes), func(i, j int) { nodes[i], nodes[j] = nodes[j], nodes[i] })
			cut := 1 + rng.IntN(len(nodes)/2+len(nodes)%2)
			if cut >= len(nodes) {
				cut = len(nodes) / 2
			}
			a, b := slices.Sorted(slices.Values(nodes[:cut])), slices.Sorted(slices.Values(nodes[cut:]))
			w.Note("nemesis: partition %v | %v", a, b)
			w.Partition(a, b)
		}, func() {
			w.Note("nemesis: heal")
			w.Heal()
		})
	}
	if n.Crashes {
		choices = append(choices, func() {
			if len(*down) >= n.MaxDown {
				id := (*down)[0]
				*down = (*down)[1:]
				w.Note("nemesis: restart n%d", id)
				w.Restart(id)
				return
			}
			var up []int
			for _, id := range n.Nodes {
				if w.Alive(id) {
					up = append(up, id)
				}
			}
			if len(up) == 0 {
				return
			}
			id := up[rng.IntN(len(up))]
			*down = append(*down, id)
			w.Note("nemesis: crash n%d", id)
			w.Crash(id)
		}, func() {
			if len(*down) == 0 {
				return
			}
			i := rng.IntN(len(*down))
			id := (*down)[i]
			*down = slices.Delete(*down, i, i+1)
			w.Note("nemesis: restart n%d", id)
			w.Restart(id)
		})
	}
	if n.Unreliable {
		choices = append(choices, func() {
			on := w.Profile().DropRequest == 0
			w.Note("nemesis: unreliable %v", on)
			w.SetReliable(!on)
		})
	}
	if n.Reorder {
		choices = append(choices, func() {
			on := w.Profile().LongReorder == 0
			w.Note("nemesis: long reordering %v", on)
			w.SetLongReordering(on)
		})
	}
	if len(choices) == 0 {
		return
	}
	choices[rng.IntN(len(choices))]()
}
