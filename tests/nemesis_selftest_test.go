package tests

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// The nemesis's self-tests: every fault it schedules must reach the world,
// within its bounds, and be undone when it stops. A nemesis that silently
// does nothing turns every fault test above it into a test without faults;
// each test here fails on one that skips its fault.

// observed is what the samples of a world saw while a nemesis acted.
type observed struct {
	cut, healedBetween bool // some pair unreachable; all reachable again before the end
	crashed            int  // the most nodes down at once
	lossy, reordering  bool // message loss, long reordering seen on
	paused             bool // some node paused
}

// watch starts nodes pinging, starts the nemesis and samples the world every
// 5ms until the nemesis's end, then checks that everything is restored.
func watch(t *T, n Nemesis, nodes int) observed {
	t.Helper()
	w := t.NewWorld(labrpc.Config{Nodes: nodes})
	for i := 0; i < nodes; i++ {
		w.Start(i, bootPinger)
	}
	before := w.Profile()
	n.Start(w)
	require.NoError(t, w.Err())
	var o observed
	end := w.Now() + n.For
	for w.Now() < end-5*time.Millisecond {
		w.Sleep(5 * time.Millisecond)
		down, cut := 0, false
		for a := 0; a < nodes; a++ {
			if !w.Alive(a) {
				down++
			}
			for b := 0; b < nodes; b++ {
				if a != b && !w.Reachable(a, b) {
					cut = true
				}
			}
		}
		if o.cut && !cut {
			o.healedBetween = true
		}
		o.cut = o.cut || cut
		o.crashed = max(o.crashed, down)
		for a := 0; a < nodes; a++ {
			o.paused = o.paused || w.Paused(a)
		}
		o.lossy = o.lossy || w.Profile().DropRequest > 0
		o.reordering = o.reordering || w.Profile().LongReorder > 0
	}
	// After For, the nemesis heals and restores everything, and acts no more.
	for range 20 {
		w.Sleep(50 * time.Millisecond)
		for a := 0; a < nodes; a++ {
			require.True(t, w.Alive(a), "n%d is still down %v after the nemesis's end", a, w.Now()-end)
			for b := 0; b < nodes; b++ {
				require.True(t, w.Reachable(a, b), "n%d cannot reach n%d %v after the nemesis's end", a, b, w.Now()-end)
			}
		}
		require.Equal(t, before, w.Profile(), "the network profile after the nemesis's end is not the one it started with")
	}
	return o
}

var five = []int{0, 1, 2, 3, 4}

func TestNemesisPartitionsAndHeals(t *testing.T) {
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 3 * time.Second, Partitions: true}, 5)
		require.True(t, o.cut, "a nemesis with Partitions never cut a link in 3s")
		require.True(t, o.healedBetween, "a nemesis with Partitions never healed before its end")
		require.Zero(t, o.crashed, "a nemesis without Crashes crashed a node")
		require.False(t, o.lossy || o.reordering, "a nemesis with only Partitions touched loss or reordering")
	})
}

func TestNemesisPartitionsAreMajorityMinority(t *testing.T) {
	// Every split leaves both sides non-empty and the larger side a majority,
	// so a test that needs progress can get it.
	Run(t, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 5})
		for i := 0; i < 5; i++ {
			w.Start(i, bootPinger)
		}
		Nemesis{Nodes: five, Every: 50 * time.Millisecond, For: 3 * time.Second, Partitions: true}.Start(w)
		splits := 0
		for w.Now() < 3*time.Second {
			w.Sleep(5 * time.Millisecond)
			side := 0 // the size of n0's side
			for b := 0; b < 5; b++ {
				if w.Reachable(0, b) {
					side++
				}
			}
			if side == 5 {
				continue
			}
			splits++
			require.True(t, side >= 1 && side <= 4, "n0's side has %d nodes", side)
			require.True(t, side >= 3 || 5-side >= 3, "a split of 5 into %d and %d leaves no majority", side, 5-side)
		}
		require.Positive(t, splits)
	})
}

func TestNemesisCrashesAtMostMaxDownAndRestartsAll(t *testing.T) {
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 50 * time.Millisecond, For: 3 * time.Second, Crashes: true}, 5)
		require.Equal(t, 2, o.crashed, "the default MaxDown of 5 nodes is 2, and 3s of crashes every 50ms reach it")
		require.False(t, o.cut, "a nemesis without Partitions cut a link")
	})
	Run(t, func(t *T) {
		// Of 4 nodes a minority is 1: two down would leave no majority.
		o := watch(t, Nemesis{Nodes: []int{0, 1, 2, 3}, Every: 50 * time.Millisecond, For: 3 * time.Second, Crashes: true}, 4)
		require.Equal(t, 1, o.crashed, "the default MaxDown of 4 nodes is 1")
	})
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 50 * time.Millisecond, For: 3 * time.Second, Crashes: true, MaxDown: 1}, 5)
		require.Equal(t, 1, o.crashed, "MaxDown 1 allows exactly one node down at a time")
	})
	Run(t, func(t *T) {
		// Only the listed nodes are crashed.
		w := t.NewWorld(labrpc.Config{Nodes: 5})
		for i := 0; i < 5; i++ {
			w.Start(i, bootPinger)
		}
		Nemesis{Nodes: []int{3, 4}, Every: 20 * time.Millisecond, For: 2 * time.Second, Crashes: true, MaxDown: 2}.Start(w)
		sawDown := false
		for w.Now() < 2*time.Second {
			w.Sleep(5 * time.Millisecond)
			require.True(t, w.Alive(0) && w.Alive(1) && w.Alive(2), "the nemesis crashed a node outside its Nodes")
			sawDown = sawDown || !w.Alive(3) || !w.Alive(4)
		}
		require.True(t, sawDown)
	})
}

func TestNemesisCutsNodesOffForOutages(t *testing.T) {
	RunTwice(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 3 * time.Second, Outages: true}, 5)
		require.True(t, o.cut && o.healedBetween, "a nemesis with Outages never cut a node off and let it back")
		require.False(t, o.lossy || o.reordering || o.crashed > 0, "a nemesis with only Outages did something else")
	})
}

// Pauses stop a running node for a while and need no undoing: every node
// runs again after the nemesis's end (watch checks they are alive; here,
// that none is still paused a pause's length later).
func TestNemesisPausesNodes(t *testing.T) {
	RunTwice(t, func(t *T) {
		n := Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 3 * time.Second, Pauses: true}
		o := watch(t, n, 5)
		require.True(t, o.paused, "a nemesis with Pauses never paused a node")
		require.False(t, o.cut || o.lossy || o.reordering || o.crashed > 0, "a nemesis with only Pauses did something else")
	})
}

// A scripted pause reaches the world, and the node runs again after it.
func TestScriptedPause(t *testing.T) {
	Run(t, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 3})
		for i := 0; i < 3; i++ {
			w.Start(i, bootPinger)
		}
		Script(w, Step{At: 100 * time.Millisecond, Fault: PauseNode(1, 500*time.Millisecond)})
		w.Sleep(200 * time.Millisecond)
		require.True(t, w.Paused(1), "n1 is not paused 100ms into a 500ms pause")
		w.Sleep(500 * time.Millisecond)
		require.False(t, w.Paused(1), "n1 is still paused after its pause ended")
	})
}

// The nemesis undoes what it did, and only that: a test that runs on a lossy
// network keeps it after the nemesis's end (it used to be made reliable, and
// 'lab run --faults unreliable+crashes' had to put the loss back).
func TestNemesisRestoresTheProfileItFound(t *testing.T) {
	RunTwice(t, func(t *T) {
		for _, n := range []Nemesis{
			{Nodes: five, Every: 50 * time.Millisecond, For: 2 * time.Second, Unreliable: true, Reorder: true},
			{Nodes: five, Every: 50 * time.Millisecond, For: 2 * time.Second, Partitions: true, Crashes: true, Outages: true},
		} {
			w := t.NewWorld(labrpc.Config{Nodes: 5, Profile: labrpc.MustProfile("unreliable")})
			for i := 0; i < 5; i++ {
				w.Start(i, bootPinger)
			}
			before := w.Profile()
			n.Start(w)
			w.Sleep(n.For + 100*time.Millisecond)
			require.Equal(t, before, w.Profile(), "the nemesis %+v did not leave the network as it found it", n)
		}
	})
}

func TestNemesisTogglesLossAndReordering(t *testing.T) {
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 3 * time.Second, Unreliable: true}, 5)
		require.True(t, o.lossy, "a nemesis with Unreliable never turned message loss on")
		require.False(t, o.reordering || o.cut || o.crashed > 0, "a nemesis with only Unreliable did something else")
	})
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 3 * time.Second, Reorder: true}, 5)
		require.True(t, o.reordering, "a nemesis with Reorder never turned long reordering on")
		require.False(t, o.lossy || o.cut || o.crashed > 0, "a nemesis with only Reorder did something else")
	})
}

func TestNemesisEverythingAtOnce(t *testing.T) {
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 50 * time.Millisecond, For: 4 * time.Second,
			Partitions: true, Crashes: true, Unreliable: true, Reorder: true}, 5)
		require.True(t, o.cut && o.crashed > 0 && o.lossy && o.reordering, "with every fault on, each must happen in 4s: %+v", o)
	})
}

func TestNemesisWithNothingToDoDoesNothing(t *testing.T) {
	Run(t, func(t *T) {
		o := watch(t, Nemesis{Nodes: five, Every: 50 * time.Millisecond, For: time.Second}, 5)
		require.False(t, o.cut || o.crashed > 0 || o.lossy || o.reordering, "%+v", o)
	})
}

func TestNemesisMisconfiguredStopsTheWorld(t *testing.T) {
	for _, n := range []Nemesis{
		{Every: time.Second, For: time.Second},
		{Nodes: five, For: time.Second},
		{Nodes: five, Every: time.Second},
	} {
		w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 5})
		n.Start(w)
		require.ErrorContains(t, w.Err(), "nemesis: a Nemesis needs Nodes, Every > 0 and For > 0")
		w.Close()
	}
}

func TestNemesisNotesEveryFaultAndReplaysFromTheSeed(t *testing.T) {
	faults := func(seed int64) []string {
		// The whole trace: the world's tail keeps only the last lines.
		var trace strings.Builder
		w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 5, TraceTo: &trace})
		for i := 0; i < 5; i++ {
			w.Start(i, bootPinger)
		}
		Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 2 * time.Second,
			Partitions: true, Crashes: true, Unreliable: true, Reorder: true}.Start(w)
		w.Sleep(3 * time.Second)
		w.Close()
		var notes []string
		for _, line := range strings.Split(trace.String(), "\n") {
			if _, note, ok := strings.Cut(line, "nemesis: "); ok {
				notes = append(notes, "nemesis: "+note)
			}
		}
		return notes
	}
	a, b, c := faults(1), faults(1), faults(2)
	require.Greater(t, len(a), 5, "a 2s nemesis acting every 100ms notes its faults in the trace")
	require.Equal(t, a, b, "the same seed schedules the same faults")
	require.NotEqual(t, a, c, "another seed schedules other faults")
	require.Equal(t, "nemesis: done; heal, restore the network, restart the crashed", a[len(a)-1])

	// Each node is crashed, then restarted, then crashed again: a restart of a
	// node that runs (one the nemesis forgot it had restarted) would wipe its
	// state without a crash in the schedule.
	for _, seed := range []int64{1, 2, 3, 4, 5} {
		down := map[string]bool{}
		for _, note := range faults(seed) {
			if node, ok := strings.CutPrefix(note, "nemesis: crash "); ok {
				require.False(t, down[node], "seed %d: %s crashed twice without a restart", seed, node)
				down[node] = true
			}
			if node, ok := strings.CutPrefix(note, "nemesis: restart "); ok {
				require.True(t, down[node], "seed %d: %s restarted while it ran", seed, node)
				down[node] = false
			}
		}
	}
}

func TestScriptTogglesLossAndReordering(t *testing.T) {
	Run(t, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		Script(w,
			Step{At: 100 * time.Millisecond, Fault: Unreliable(true)},
			Step{At: 200 * time.Millisecond, Fault: LongReordering(true)},
			Step{At: 300 * time.Millisecond, Fault: Unreliable(false)},
			Step{At: 400 * time.Millisecond, Fault: LongReordering(false)},
		)
		w.Sleep(150 * time.Millisecond)
		require.Positive(t, w.Profile().DropRequest, "Unreliable(true) turns loss on")
		w.Sleep(100 * time.Millisecond)
		require.Positive(t, w.Profile().LongReorder, "LongReordering(true) turns it on")
		w.Sleep(100 * time.Millisecond)
		require.Zero(t, w.Profile().DropRequest, "Unreliable(false) turns loss off")
		require.Positive(t, w.Profile().LongReorder)
		w.Sleep(100 * time.Millisecond)
		require.Zero(t, w.Profile().LongReorder, "LongReordering(false) turns it off")
	})
}

// What the nemesis says it does: each fault it schedules is noted in the
// trace ("nemesis: ..."), the note at the instant of the fault and the
// fault right after it, one fault an act; a learner's timeline reads its
// schedule from these notes.

// quiet boots a node that does nothing: the trace holds only the faults.
func quiet(env labrpc.Env) any { return &struct{}{} }

// quietWorld is a world of n idle nodes that keeps its whole trace.
func quietWorld(t *T, n int) *labrpc.World {
	w := t.NewWorld(labrpc.Config{Nodes: n, KeepTrace: 1 << 16})
	for i := range n {
		w.Start(i, quiet)
	}
	return w
}

// nemesisNotes returns the nemesis's notes in w's trace, each with the line
// after it.
func nemesisNotes(w *labrpc.World) (notes []labrpc.Line, next []labrpc.Line) {
	lines := w.Tail(-1)
	for i, l := range lines {
		if l.Kind == labrpc.KindNote && strings.HasPrefix(l.Text, "nemesis: ") {
			notes = append(notes, l)
			if i+1 < len(lines) {
				next = append(next, lines[i+1])
			} else {
				next = append(next, labrpc.Line{})
			}
		}
	}
	return notes, next
}

func TestNemesisNotesEachFaultAsItHappens(t *testing.T) {
	for _, c := range []struct {
		n    Nemesis
		note string
	}{
		{Nemesis{Partitions: true}, "nemesis: partition "},
		{Nemesis{Partitions: true}, "nemesis: heal"},
		{Nemesis{Crashes: true}, "nemesis: crash n"},
		{Nemesis{Crashes: true}, "nemesis: restart n"},
		{Nemesis{Outages: true}, "nemesis: outage: n"},
		{Nemesis{Unreliable: true}, "nemesis: unreliable true"},
		{Nemesis{Unreliable: true}, "nemesis: unreliable false"},
		{Nemesis{Reorder: true}, "nemesis: long reordering true"},
		{Nemesis{Reorder: true}, "nemesis: long reordering false"},
		{Nemesis{Pauses: true}, "nemesis: pause n"},
	} {
		Run(t, func(t *T) {
			w := quietWorld(t, 5)
			n := c.n
			n.Nodes, n.Every, n.For = five, 100*time.Millisecond, 3*time.Second
			n.Start(w)
			w.Sleep(n.For + time.Second)
			require.NoError(t, w.Err())
			notes, next := nemesisNotes(w)
			seen := false
			for i, note := range notes {
				seen = seen || strings.HasPrefix(note.Text, c.note)
				if i > 0 {
					require.Less(t, notes[i-1].At, note.At, "two faults at %v: an act applies one fault (%q, %q)", note.At, notes[i-1].Text, note.Text)
				}
				if note.Text == "nemesis: done; heal, restore the network, restart the crashed" {
					continue
				}
				require.True(t, next[i].At == note.At && next[i].Kind != labrpc.KindNote,
					"the note %q at %v is not followed by its fault (a fault, crash or start line at the same time): %+v", note.Text, note.At, next[i])
			}
			require.True(t, seen, "a nemesis %+v acting every 100ms for 3s never noted %q", c.n, c.note)
		})
	}
}

// A split is of every node listed, into two sides that are both non-empty;
// any node may fall on either side, and the smaller side may be one node
// alone or two (of five).
func TestNemesisSplitsAreOfEveryNodeAndAnySize(t *testing.T) {
	Run(t, func(t *T) {
		w := quietWorld(t, 5)
		Nemesis{Nodes: five, Every: 50 * time.Millisecond, For: 4 * time.Second, Partitions: true}.Start(w)
		w.Sleep(5 * time.Second)
		smaller := map[int]bool{} // sizes of the smaller side
		alone := map[int]bool{}   // nodes on the smaller side
		splits := 0
		notes, _ := nemesisNotes(w)
		for _, note := range notes {
			sides, ok := strings.CutPrefix(note.Text, "nemesis: partition ")
			if !ok {
				continue
			}
			splits++
			var a, b []int
			for i, side := range strings.Split(sides, " | ") {
				fields := strings.Fields(strings.Trim(side, "[]"))
				require.NotEmpty(t, fields, "a side of the split %q is empty: it cuts nothing", sides)
				for _, f := range fields {
					id, err := strconv.Atoi(f)
					require.NoError(t, err, sides)
					if i == 0 {
						a = append(a, id)
					} else {
						b = append(b, id)
					}
				}
			}
			require.ElementsMatch(t, five, append(slices.Clone(a), b...), "the split %q is not of the nodes listed", sides)
			if len(b) < len(a) {
				a, b = b, a
			}
			smaller[len(a)] = true
			for _, id := range a {
				alone[id] = true
			}
		}
		require.Greater(t, splits, 10)
		require.Equal(t, map[int]bool{1: true, 2: true}, smaller, "the smaller sides of %d splits of five", splits)
		require.Len(t, alone, 5, "in %d splits, only %v were ever on the smaller side", splits, alone)
	})
}

// A nemesis that does not toggle loss or reordering leaves the profile to
// the test: a change the test makes while it acts stays after its end.
func TestNemesisLeavesTheTestsOwnProfileChange(t *testing.T) {
	Run(t, func(t *T) {
		w := quietWorld(t, 5)
		Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 2 * time.Second, Partitions: true, Crashes: true}.Start(w)
		w.Sleep(time.Second)
		w.SetReliable(false)
		lossy := w.Profile()
		w.Sleep(2 * time.Second)
		require.Equal(t, lossy, w.Profile(), "the nemesis put back a profile it never changed")
	})
}

// A nanosecond is a time like any other.
func TestNemesisOfOneNanosecond(t *testing.T) {
	Run(t, func(t *T) {
		w := quietWorld(t, 5)
		Nemesis{Nodes: five, Every: 1, For: 1, Crashes: true}.Start(w)
		w.Sleep(time.Millisecond)
		require.NoError(t, w.Err())
		notes, _ := nemesisNotes(w)
		require.NotEmpty(t, notes)
		require.Equal(t, "nemesis: done; heal, restore the network, restart the crashed", notes[len(notes)-1].Text)
	})
}

// Crashes reach every listed node, the last one running too, and a MaxDown
// above the nodes listed is not an error.
func TestNemesisCrashesTheLastNodeUp(t *testing.T) {
	for _, maxDown := range []int{2, 3} {
		Run(t, func(t *T) {
			w := quietWorld(t, 5)
			Nemesis{Nodes: []int{3, 4}, Every: 20 * time.Millisecond, For: 2 * time.Second, Crashes: true, MaxDown: maxDown}.Start(w)
			both := false
			for w.Now() < 2*time.Second {
				w.Sleep(5 * time.Millisecond)
				both = both || !w.Alive(3) && !w.Alive(4)
			}
			require.NoError(t, w.Err())
			require.True(t, both, "MaxDown %d of 2 nodes: both were never down at once", maxDown)
		})
	}
}

// Outages reach a lone listed node, one after another; a node the test cut
// off itself is left to the test.
func TestNemesisOutagesOfOneNode(t *testing.T) {
	Run(t, func(t *T) {
		w := quietWorld(t, 5)
		Nemesis{Nodes: []int{2}, Every: 100 * time.Millisecond, For: 4 * time.Second, Outages: true}.Start(w)
		w.Sleep(5 * time.Second)
		require.NoError(t, w.Err())
		outages := 0
		notes, _ := nemesisNotes(w)
		for _, note := range notes {
			if strings.HasPrefix(note.Text, "nemesis: outage: n2 cut off for ") {
				outages++
			}
		}
		require.GreaterOrEqual(t, outages, 2, "4s of outages of 100ms to 1s, one at a time: n2 was cut off %d times", outages)
	})
	Run(t, func(t *T) {
		w := quietWorld(t, 5)
		w.Disconnect(2)
		Nemesis{Nodes: []int{2}, Every: 50 * time.Millisecond, For: time.Second, Outages: true}.Start(w)
		w.Sleep(500 * time.Millisecond)
		require.NoError(t, w.Err())
		require.False(t, w.Connected(2), "the nemesis reconnected a node the test had cut off, before its end")
	})
}

// Pauses reach the last node running, and never a node that is down.
func TestNemesisPausesOnlyRunningNodes(t *testing.T) {
	Run(t, func(t *T) {
		w := quietWorld(t, 5)
		for id := range 4 {
			w.Crash(id)
		}
		Nemesis{Nodes: five, Every: 100 * time.Millisecond, For: 3 * time.Second, Pauses: true}.Start(w)
		paused := false
		for w.Now() < 3*time.Second {
			w.Sleep(5 * time.Millisecond)
			paused = paused || w.Paused(4)
		}
		require.NoError(t, w.Err(), "the nemesis paused a node that is down")
		require.True(t, paused, "n4, the one node running, was never paused")
	})
}

// A script notes each fault by name, at its time.
func TestScriptNotesEachFault(t *testing.T) {
	Run(t, func(t *T) {
		w := quietWorld(t, 3)
		Script(w,
			Step{At: 100 * time.Millisecond, Fault: CrashNode(2)},
			Step{At: 200 * time.Millisecond, Fault: PartitionInto([]int{0}, []int{1})},
			Step{At: 300 * time.Millisecond, Fault: RestartNode(2)},
		)
		w.Sleep(time.Second)
		notes, next := nemesisNotes(w)
		var got []string
		for i, note := range notes {
			got = append(got, fmt.Sprintf("%v %s", note.At, note.Text))
			require.True(t, next[i].At == note.At && next[i].Kind != labrpc.KindNote, "the note %q is not followed by its fault: %+v", note.Text, next[i])
		}
		require.Equal(t, []string{"100ms nemesis: crash n2", "200ms nemesis: partition [[0] [1]]", "300ms nemesis: restart n2"}, got)
	})
}
