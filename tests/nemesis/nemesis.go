// Package nemesis injects faults into a simulated world over virtual time: a
// script says exactly what happens when (the test of a known scenario); a
// random Nemesis draws its faults from the world's harness stream, so it too
// replays from the seed. It imports no testing, so the course tool's 'lab run'
// schedules its faults with the same code as the tests (which spell it
// tests.Nemesis, tests.Script, ...).
package nemesis

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"protolab/labrpc"
)

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

// PauseNode stops node id handling events for d (World.Pause): it keeps its
// state, and what arrives meanwhile waits for it.
func PauseNode(id int, d time.Duration) Fault {
	return Fault{fmt.Sprintf("pause n%d for %v", id, d), func(w *labrpc.World) { w.Pause(id, d) }}
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
	Outages    bool // cut one node off for 100ms to 1s, one at a time: the outage a client waits out
	Unreliable bool // toggle message loss
	Reorder    bool // toggle long reordering
	Pauses     bool // pause one running node for 100ms to 2s (World.Pause: a long GC pause); it keeps its state and catches up after
}

// The length of an outage: from outageMin to outageMin+outageSpread; of a
// pause, from pauseMin to pauseMin+pauseSpread.
const (
	outageMin    = 100 * time.Millisecond
	outageSpread = 900 * time.Millisecond
	pauseMin     = 100 * time.Millisecond
	pauseSpread  = 1900 * time.Millisecond
)

// Start schedules the nemesis on w from now. At the end of For it undoes what
// it did, and only that: it heals the network if it partitioned or cut off a
// node, puts loss and reordering back as they were when it started if it
// toggled them, and restarts every node it crashed. So the test can check that
// the system recovers, under the network profile the test chose.
func (n Nemesis) Start(w *labrpc.World) {
	if n.Every <= 0 || n.For <= 0 || len(n.Nodes) == 0 {
		w.Fail(fmt.Errorf("nemesis: a Nemesis needs Nodes, Every > 0 and For > 0 (got %d nodes, Every=%v, For=%v)", len(n.Nodes), n.Every, n.For))
		return
	}
	if n.MaxDown == 0 {
		n.MaxDown = (len(n.Nodes) - 1) / 2
	}
	rng := w.Rand()
	end := w.Now() + n.For
	before := w.Profile()
	st := &state{}
	var act func()
	act = func() {
		if w.Now() >= end {
			n.restore(w, before, st.down)
			return
		}
		n.act(w, rng, end, st)
		gap := time.Duration(rng.ExpFloat64() * float64(n.Every))
		w.At(min(gap, end-w.Now()), act)
	}
	w.At(time.Duration(rng.ExpFloat64()*float64(n.Every)), act)
}

// restore undoes what the nemesis may have changed: the profile it had when it
// started (if it toggled loss or reordering), the network's links (if it
// partitioned or cut off nodes), the nodes it crashed.
func (n Nemesis) restore(w *labrpc.World, before labrpc.Profile, down []int) {
	w.Note("nemesis: done; heal, restore the network, restart the crashed")
	if n.Partitions || n.Outages {
		w.Heal()
	}
	if p := w.Profile(); (n.Unreliable || n.Reorder) && p != before {
		w.SetProfile(before)
	}
	for _, id := range down {
		w.Restart(id)
	}
}

// state is what a running nemesis has done and not yet undone.
type state struct {
	down   []int // the nodes it crashed, in order
	outage bool  // a node is cut off
}

// act applies one random fault.
func (n Nemesis) act(w *labrpc.World, rng *rand.Rand, end time.Duration, st *state) {
	down := &st.down
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
	if n.Outages {
		choices = append(choices, func() {
			if st.outage {
				return
			}
			var up []int
			for _, id := range n.Nodes {
				if w.Connected(id) {
					up = append(up, id)
				}
			}
			if len(up) == 0 {
				return
			}
			id := up[rng.IntN(len(up))]
			d := outageMin + time.Duration(rng.Int64N(int64(outageSpread)))
			w.Note("nemesis: outage: %s cut off for %v", w.Name(id), d)
			w.Disconnect(id)
			st.outage = true
			w.At(d, func() {
				st.outage = false
				if w.Now() < end { // at the end, restore has reconnected it
					w.Connect(id)
				}
			})
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
	if n.Pauses {
		// A pause needs no undoing at the end: it ends by itself.
		choices = append(choices, func() {
			var running []int
			for _, id := range n.Nodes {
				if w.Alive(id) && !w.Paused(id) {
					running = append(running, id)
				}
			}
			if len(running) == 0 {
				return
			}
			id := running[rng.IntN(len(running))]
			d := pauseMin + time.Duration(rng.Int64N(int64(pauseSpread)))
			w.Note("nemesis: pause %s for %v", w.Name(id), d)
			w.Pause(id, d)
		})
	}
	if len(choices) == 0 {
		return
	}
	choices[rng.IntN(len(choices))]()
}
