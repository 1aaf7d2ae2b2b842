package paxos

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Part 5A: Paxos instances.

func TestBasic5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newSynods(t, 3, reliable)

		t.Log("a single proposer")
		c.start(0, 0, "hello")
		c.waitn(0, 3)
		require.Equal(t, valueKey("hello"), c.value(0))

		t.Log("many proposers, the same value")
		for i := 0; i < 3; i++ {
			c.start(i, 1, 77)
		}
		c.waitn(1, 3)

		t.Log("many proposers, different values, at once")
		c.start(0, 2, 100)
		c.start(1, 2, 101)
		c.start(2, 2, 102)
		c.waitn(2, 3)

		t.Log("instances out of order")
		c.start(0, 7, 700)
		c.start(0, 6, 600)
		c.start(1, 5, 500)
		c.waitn(7, 3)
		c.start(0, 4, 400)
		c.start(1, 3, 300)
		for seq := 6; seq >= 3; seq-- {
			c.waitn(seq, 3)
		}
		for i := 0; i < 3; i++ {
			require.Equal(t, 7, c.px(i).Max(), "n%d: Max() after instances 0..7", i)
		}
	})
}

func TestDeaf5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newSynods(t, n, reliable)
		c.start(0, 0, "hello")
		c.waitn(0, n)

		t.Log("n0 and n4 go deaf: they hear no request, but their own calls still get replies")
		c.w.Deafen(0)
		c.w.Deafen(n - 1)
		c.start(1, 1, "goodbye")
		c.waitmajority(1)
		c.w.Sleep(time.Second)
		require.Equal(t, n-2, c.ndecided(1), "a deaf peer heard about a decision")

		t.Log("deaf n0 proposes: phase 1 tells it the chosen value")
		c.start(0, 1, "xxx")
		c.waitn(1, n-1)
		c.w.Sleep(time.Second)
		require.Equal(t, n-1, c.ndecided(1), "a deaf peer heard about a decision")
		require.Equal(t, valueKey("goodbye"), c.value(1), "the deaf proposer must adopt the value already chosen")

		c.start(n-1, 1, "yyy")
		c.waitn(1, n)
	})
}

func TestForget5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 6
		c := newSynods(t, n, reliable)
		for i := 0; i < n; i++ {
			require.Equal(t, 0, c.px(i).Min(), "n%d: Min() before any Done", i)
			require.Equal(t, -1, c.px(i).Max(), "n%d: Max() before any instance", i)
		}
		c.start(0, 0, "00")
		c.start(1, 1, "11")
		c.start(2, 2, "22")
		c.start(0, 6, "66")
		c.start(1, 7, "77")
		c.waitn(0, n)
		c.waitn(1, n)
		for i := 0; i < n; i++ {
			require.Equal(t, 0, c.px(i).Min(), "n%d: Min() with no Done yet", i)
		}

		t.Log("every peer is done with 0, all but n0 with 1: Min becomes 1")
		for i := 0; i < n; i++ {
			c.px(i).Done(0)
		}
		for i := 1; i < n; i++ {
			c.px(i).Done(1)
		}
		for i := 0; i < n; i++ {
			c.start(i, 8+i, "xx") // messages carry Done values around
		}
		ok := c.w.WaitUntil(func() bool {
			for i := 0; i < n; i++ {
				if c.px(i).Min() != 1 {
					return false
				}
			}
			return true
		}, 10*time.Millisecond, 10*time.Second)
		for i := 0; i < n; i++ {
			require.True(t, ok, "n%d: Min() = %d after Done(0) everywhere and Done(1) at all but n0; want 1", i, c.px(i).Min())
			fate, _ := c.px(i).Status(0)
			require.Equal(t, Forgotten, fate, "n%d: Status(0) below Min", i)
			fate, _ = c.px(i).Status(1)
			require.Equal(t, Decided, fate, "n%d: Status(1): n0 still needs instance 1", i)
		}

		t.Log("a forgotten instance stays forgotten, whoever starts it again")
		for i := 0; i < n; i++ {
			c.start(i, 0, fmt.Sprint("again", i))
		}
		c.w.Sleep(2 * time.Second)
		for i := 0; i < n; i++ {
			fate, _ := c.px(i).Status(0)
			require.Equal(t, Forgotten, fate, "n%d: Status(0) after Start(0) below Min", i)
		}
	})
}

func TestForgetMem5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newSynods(t, n, reliable)
		c.start(0, 0, "x")
		c.waitn(0, n)
		rng := rand.New(rand.NewPCG(uint64(t.Seed), 0))
		for i := 1; i <= 10; i++ {
			big := make([]byte, 1_000_000)
			for j := range big {
				big[j] = byte('a' + rng.IntN(26))
			}
			c.start(0, i, string(big))
			c.waitn(i, n)
		}
		m1 := heapInUse()

		t.Log("every peer is done with 0..10: their megabyte values must be released")
		for i := 0; i < n; i++ {
			c.px(i).Done(10)
		}
		for i := 0; i < n; i++ {
			c.start(i, 11+i, "z")
		}
		c.w.Sleep(3 * time.Second)
		for i := 0; i < n; i++ {
			require.Equal(t, 11, c.px(i).Min(), "n%d: Min() after Done(10) everywhere", i)
		}
		m2 := heapInUse()
		require.Less(t, m2, m1/2, "memory use did not shrink enough after forgetting 10 MB of values on 3 peers (%d MB before, %d MB after)", m1>>20, m2>>20)
	})
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func TestDoneMaxRestart5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newSynods(t, n, reliable)
		for seq := 0; seq < 5; seq++ {
			c.start(seq%n, seq, seq*10)
			c.waitn(seq, n)
		}
		for i := 0; i < n; i++ {
			c.px(i).Done(2)
		}
		c.start(0, 5, 50)
		c.waitn(5, n)
		c.start(1, 6, 60)
		c.waitn(6, n)
		for i := 0; i < n; i++ {
			require.Equal(t, 3, c.px(i).Min(), "n%d: Min() after Done(2) everywhere", i)
		}

		t.Log("every peer crashes and restarts from its stable storage")
		for i := 0; i < n; i++ {
			c.w.Restart(i)
		}
		for i := 0; i < n; i++ {
			px := c.px(i)
			require.Equal(t, 3, px.Min(), "n%d: Min() after a restart: a forgotten instance must stay forgotten", i)
			require.Equal(t, 6, px.Max(), "n%d: Max() after a restart", i)
			for seq := 0; seq < 3; seq++ {
				fate, _ := px.Status(seq)
				require.Equal(t, Forgotten, fate, "n%d: Status(%d) after a restart", i, seq)
			}
		}
		for seq := 3; seq <= 6; seq++ {
			require.Equal(t, n, c.ndecided(seq), "instance %d: a peer forgot a decision in a restart", seq)
		}

		t.Log("old instances started again after the restart stay as they were")
		for i := 0; i < n; i++ {
			c.start(i, 1, "late")
			c.start(i, 4, "late")
		}
		c.start(2, 7, 70)
		c.waitn(7, n)
		c.w.Sleep(time.Second)
		require.Equal(t, valueKey(40), c.value(4))

		t.Log("Done after the restart moves Min on")
		for i := 0; i < n; i++ {
			c.px(i).Done(6)
		}
		for i := 0; i < n; i++ {
			c.start(i, 8+i, 80+i) // each peer's messages carry its Done value to the others
			c.waitn(8+i, n)
		}
		for i := 0; i < n; i++ {
			require.Equal(t, 7, c.px(i).Min(), "n%d: Min() after Done(6) everywhere", i)
			require.Equal(t, 10, c.px(i).Max(), "n%d: Max()", i)
		}
	})
}

// TestPromiseKept5A is the scenario that makes an acceptor's promise matter.
// With three peers and 2ms messages (10ms on the link n0→n1):
//
//	0ms   n0 proposes "a" in ballot 1.0; n0 and n2 cannot reach each other
//	10ms  n1 promises 1.0; n0 has a majority {n0, n1}: accept 1.0 "a", due at n1 at 22ms
//	13ms  n2 proposes "b" in ballot 1.2; n1 promises 1.2 at 15ms: a majority {n1, n2}
//	16ms  (variant) n1 crashes and restarts from its stable storage
//	22ms  n1 must refuse 1.0, having promised 1.2; if it accepted, "a" would be
//	      chosen by {n0, n1}, and then "b" by {n1, n2} when 1.2's accept arrives
func TestPromiseKept5A(t *testing.T) {
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprint("restart=", restart), func(t *testing.T) {
			tests.Run(t, func(t *tests.T) {
				c := newSynods(t, 3, fixedDelay(2*time.Millisecond))
				c.w.Partition([]int{0}, []int{2}) // n1 is in no group: it reaches both
				c.w.SetLinkDelay(0, 1, 10*time.Millisecond, 10*time.Millisecond)
				c.start(0, 0, "a")
				c.w.At(13*time.Millisecond, func() { c.start(2, 0, "b") })
				c.w.At(14*time.Millisecond, func() { c.w.SetLinkDelay(2, 1, 10*time.Millisecond, 10*time.Millisecond) })
				if restart {
					c.w.At(16*time.Millisecond, func() { c.w.Restart(1) })
				}
				c.w.Sleep(40 * time.Millisecond)
				require.Equal(t, valueKey("b"), c.value(0), "ballot 1.2 must win: n1 promised it before ballot 1.0's accept arrived")
				c.w.Heal()
				c.start(0, 0, "a") // n0 tries again, in case it gave up
				c.waitn(0, 3)
			})
		})
	}
}

// TestAcceptedSurvivesRestart5A: a value accepted by a majority is chosen,
// even if one of that majority crashes at once. With three peers and 2ms
// messages, n0 and n2 unable to reach each other:
//
//	0ms   n0 proposes "a"; {n0, n1} promise, then accept "a" at 6ms: chosen
//	7ms   n1 crashes and restarts from its stable storage
//	20ms  n2 proposes "b" to {n1, n2}: n1's promise must report "a"
func TestAcceptedSurvivesRestart5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newSynods(t, 3, fixedDelay(2*time.Millisecond))
		c.w.Partition([]int{0}, []int{2})
		c.start(0, 0, "a")
		c.w.At(7*time.Millisecond, func() { c.w.Restart(1) })
		c.w.At(20*time.Millisecond, func() { c.start(2, 0, "b") })
		c.w.Sleep(50 * time.Millisecond)
		require.Equal(t, valueKey("a"), c.value(0), "a is chosen at 8ms")
		c.waitn(0, 2)

		t.Log("the partition heals; the network turns lossy; all three propose for instance 1")
		c.w.Heal()
		c.w.SetReliable(false)
		for i := 0; i < 3; i++ {
			c.start(i, 1, i)
		}
		c.waitn(1, 3)
		c.waitn(0, 3)
	})
}

// TestHighestBallotWins5A is Paxos Made Simple §2.2's reason for taking, in
// phase 2, the value of the highest-ballot proposal that the promises report.
// With five peers and 2ms messages:
//
//  1. n0 gets promises from {n0, n1, n2}, but its accept of "v1" reaches only
//     n0 and n1 before n2 is cut off: "v1" is accepted by two, not chosen;
//  2. on the other side, n3 gets "v2" chosen by {n2, n3, n4}, in a higher
//     ballot; n2 is cut off again before it hears of the decision;
//  3. n1 proposes "v3" to {n0, n1, n2}: the promises report "v1" (from n0 and
//     n1) and "v2" (from n2, in a higher ballot). Only "v2" is right.
func TestHighestBallotWins5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newSynods(t, 5, fixedDelay(2*time.Millisecond))
		c.w.Partition([]int{0, 1, 2}, []int{3, 4})
		c.w.SetLinkDelay(0, 2, 20*time.Millisecond, 20*time.Millisecond)
		c.start(0, 0, "v1")
		c.w.At(30*time.Millisecond, func() { c.w.Partition([]int{0, 1}, []int{2, 3, 4}) })
		c.w.Sleep(50 * time.Millisecond)
		require.Positive(t, received(c.w, 1, 0, "Synod.Accept"), "premise: n0's Accept reached n1 (this scenario assumes that a proposer calls its own acceptor directly, as call in synod.go does)")
		require.Zero(t, received(c.w, 2, 0, "Synod.Accept"), "premise: n0's Accept did not reach n2")
		fate, _ := c.px(0).Status(0)
		require.Equal(t, Pending, fate, "premise: v1 is accepted by n0 and n1 only, so it is not chosen")

		c.start(3, 0, "v2")
		c.w.WaitUntil(func() bool { return c.value(0) != "" }, time.Millisecond, time.Second)
		c.w.Partition([]int{0, 1, 2}, []int{3, 4})
		c.w.Sleep(10 * time.Millisecond)
		require.Equal(t, valueKey("v2"), c.value(0), "premise: v2 is chosen on the majority side")
		fate, _ = c.px(2).Status(0)
		require.Equal(t, Pending, fate, "premise: n2 accepted v2 but did not hear that it was chosen")
		require.Positive(t, received(c.w, 2, 3, "Synod.Accept"), "premise: n3's Accept reached n2")

		c.start(1, 0, "v3")
		c.waitn(0, 3)
		c.w.Heal()
		c.waitn(0, 4) // n3 knows it; n4 learns it from n3's announcement or stays pending
	})
}

func TestRPCCount5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, ninst = 3, 5
		c := newSynods(t, n, reliable)
		seq := 0
		for i := 0; i < ninst; i++ {
			c.start(0, seq, "x")
			c.waitn(seq, n)
			seq++
		}
		c.w.Sleep(2 * time.Second)
		total := c.w.TotalRPCs()
		require.LessOrEqual(t, total, int64(ninst*n*n), "too many RPCs for %d sequential instances with one proposer", ninst)
		t.Logf("%d RPCs for %d instances, one proposer", total, ninst)

		before := total
		for i := 0; i < ninst; i++ {
			for j := 0; j < n; j++ {
				c.start(j, seq, j+i*10)
			}
			c.waitn(seq, n)
			seq++
		}
		c.w.Sleep(2 * time.Second)
		total = c.w.TotalRPCs() - before
		require.LessOrEqual(t, total, int64(ninst*n*15), "too many RPCs for %d instances with %d concurrent proposers each", ninst, n)
		t.Logf("%d RPCs for %d instances, %d concurrent proposers each", total, ninst, n)
	})
}

func TestMany5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, ninst = 3, 50
		c := newSynods(t, n, reliable)
		for seq := 0; seq < ninst; seq++ {
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		for seq := 0; seq < ninst; seq++ {
			c.waitn(seq, n)
		}
	})
}

func TestOld5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := &synods{t: t, n: n, proposed: map[int]map[string]bool{}, chosen: map[int]decision{}}
		c.w = t.NewWorld(labrpc.Config{Nodes: n, Profile: reliable})
		c.w.Check(func() error { return c.err })
		for _, i := range []int{1, 2, 3} {
			c.w.Start(i, c.boot)
		}
		c.start(1, 1, 111)
		c.waitmajority(1)

		t.Log("n0 starts late and proposes another value for the same old instance")
		c.w.Start(0, c.boot)
		c.start(0, 1, 222)
		c.waitn(1, 4)
		require.Equal(t, valueKey(111), c.value(1), "the value decided earlier must stand")

		c.w.Start(4, c.boot)
		c.start(4, 1, 444)
		c.waitn(1, n)
	})
}

func TestManyUnreliable5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, ninst = 3, 50
		c := newSynods(t, n, unreliable)
		for seq := 0; seq < ninst; seq++ {
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		for seq := 0; seq < ninst; seq++ {
			c.waitn(seq, n)
		}
	})
}

func TestPartition5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newSynods(t, n, reliable)
		seq := 0

		t.Log("no decision if partitioned")
		c.w.Partition([]int{0, 2}, []int{1, 3}, []int{4})
		c.start(1, seq, 111)
		c.w.Sleep(2 * time.Second)
		c.checkmax(seq, 0)

		t.Log("a decision in the majority partition")
		c.w.Partition([]int{0}, []int{1, 2, 3}, []int{4})
		c.waitmajority(seq)
		c.w.Sleep(time.Second)
		c.checkmax(seq, 3)

		t.Log("all agree after the partition heals")
		c.start(0, seq, 1000) // poke the minority
		c.start(4, seq, 1004)
		c.w.Heal()
		c.waitn(seq, n)

		t.Log("one peer switches partitions")
		for iters := 0; iters < 20; iters++ {
			seq++
			c.w.Partition([]int{0, 1, 2}, []int{3, 4})
			c.start(0, seq, seq*10)
			c.start(3, seq, seq*10+1)
			c.waitmajority(seq)
			c.checkmax(seq, 3)
			c.w.Partition([]int{0, 1}, []int{2, 3, 4})
			c.waitn(seq, n)
		}

		t.Log("one peer switches partitions, unreliable")
		for iters := 0; iters < 20; iters++ {
			seq++
			c.w.SetReliable(false)
			c.w.Partition([]int{0, 1, 2}, []int{3, 4})
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i)
			}
			c.waitn(seq, 3)
			c.checkmax(seq, 3)
			c.w.Partition([]int{0, 1}, []int{2, 3, 4})
			c.w.SetReliable(true)
			c.waitn(seq, n)
		}
	})
}

func TestLots5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, ninst = 5, 100
		c := newSynods(t, n, unreliable)
		tests.Nemesis{Nodes: []int{0, 1, 2, 3, 4}, Every: 300 * time.Millisecond, For: 10 * time.Second,
			Partitions: true, Unreliable: true}.Start(c.w)
		rng := c.w.Rand()
		for seq := 0; seq < ninst; seq++ {
			// Instances start over the nemesis's ten seconds, each at a few peers.
			at := time.Duration(rng.Int64N(int64(9 * time.Second)))
			for i := 0; i < n; i++ {
				if rng.IntN(2) == 0 || i == seq%n {
					c.w.At(at+time.Duration(i)*time.Millisecond, func() { c.start(i, seq, seq*10+i) })
				}
			}
		}
		c.w.Sleep(10 * time.Second)
		for seq := 0; seq < ninst; seq++ {
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i) // every peer asks, so that every peer learns
			}
		}
		for seq := 0; seq < ninst; seq++ {
			c.waitn(seq, n)
		}
	})
}

func TestCrashRestart5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, ninst = 5, 60
		c := newSynods(t, n, unreliable)
		tests.Nemesis{Nodes: []int{0, 1, 2, 3, 4}, Every: 100 * time.Millisecond, For: 8 * time.Second,
			Crashes: true, MaxDown: 2, Partitions: true}.Start(c.w)
		rng := c.w.Rand()
		for seq := 0; seq < ninst; seq++ {
			at := time.Duration(rng.Int64N(int64(7 * time.Second)))
			for i := 0; i < n; i++ {
				if rng.IntN(2) == 0 {
					// Peers that are down when their turn comes do not propose.
					c.w.At(at+time.Duration(rng.IntN(30))*time.Millisecond, func() {
						if c.px(i) != nil {
							c.start(i, seq, seq*10+i)
						}
					})
				}
			}
		}
		c.w.Sleep(9 * time.Second) // the nemesis restarts every peer it crashed at 8s
		for seq := 0; seq < ninst; seq++ {
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		for seq := 0; seq < ninst; seq++ {
			c.waitn(seq, n)
		}
	})
}

func TestSameSeedSameRun5A(t *testing.T) {
	tests.RunTwice(t, func(t *tests.T) {
		const n, ninst = 5, 10
		c := newSynods(t, n, unreliable)
		for seq := 0; seq < ninst; seq++ {
			for i := 0; i < n; i++ {
				c.start(i, seq, seq*10+i)
			}
		}
		for seq := 0; seq < ninst; seq++ {
			c.waitn(seq, n)
		}
	})
}

// received counts the requests of method from one node that reached another,
// as the trace recorded them.
func received(w *labrpc.World, to, from int, method string) int {
	n := 0
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindRecv && l.Node == to && l.Peer == from && l.Method == method {
			n++
		}
	}
	return n
}
