package tests

import (
	"math"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// The linearizability path end to end: a History must record each operation
// at the virtual times its client called it and saw it return, or the checker
// judges another history than the one the clients lived. Each test breaks one
// step of the path (the times recorded, an operation that never returns, the
// checker's verdict reaching the test) and must fail.

// client runs body as a simulated process, as a test's clerk would.
func client(w *labrpc.World, name string, body func()) { w.Go(name, body) }

func TestHistoryRecordsVirtualCallAndReturnTimes(t *testing.T) {
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
	defer w.Close()
	h := NewHistory(w)
	w.Sleep(7 * time.Millisecond)
	op := h.Begin(3, [2]int{0, 5})
	pending := h.Begin(4, [2]int{1, 0})
	w.Sleep(10 * time.Millisecond)
	op.End(nil)
	require.Equal(t, 2, h.Len())
	ops := h.Operations()
	require.Equal(t, porcupine.Operation{ClientId: 3, Input: [2]int{0, 5}, Call: int64(7 * time.Millisecond), Output: nil, Return: int64(17 * time.Millisecond)}, ops[0])
	require.Equal(t, porcupine.Operation{ClientId: 4, Input: [2]int{1, 0}, Call: int64(7 * time.Millisecond), Output: nil, Return: math.MaxInt64}, ops[1],
		"an operation that never returns has no return time: it may take effect any time after its call")
	w.Sleep(time.Millisecond)
	pending.End(5)
	require.Equal(t, int64(18*time.Millisecond), h.Operations()[1].Return)
	require.Equal(t, 5, h.Operations()[1].Output)
}

// register runs a write of 1 by client 0 and two reads by client 1, each a
// simulated process, with the read results given; the reads start after the
// write returned.
func register(t *testing.T, first, second int) error {
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
	defer w.Close()
	h := NewHistory(w)
	state := 0
	client(w, "writer", func() {
		op := h.Begin(0, [2]int{0, 1})
		w.Sleep(5 * time.Millisecond)
		state = 1
		w.Sleep(5 * time.Millisecond)
		op.End(nil)
	})
	client(w, "reader", func() {
		w.Sleep(20 * time.Millisecond)
		op := h.Begin(1, [2]int{1, 0})
		w.Sleep(3 * time.Millisecond)
		op.End(first)
		op = h.Begin(1, [2]int{1, 0})
		w.Sleep(3 * time.Millisecond)
		op.End(second)
	})
	w.Sleep(time.Second)
	require.Equal(t, 1, state)
	require.Equal(t, 3, h.Len())
	return h.Check(registerModel, time.Second)
}

func TestHistoryOfClientProcessesIsChecked(t *testing.T) {
	require.NoError(t, register(t, 1, 1), "reads after the write see it")
	require.ErrorContains(t, register(t, 0, 0), "not linearizable", "a read that starts after the write returned and misses it")
	require.ErrorContains(t, register(t, 1, 0), "not linearizable", "a read that goes back")
}

func TestHistoryWithAnOperationThatNeverReturns(t *testing.T) {
	// The write's client gave up: its write may or may not have happened, so a
	// later read may see either value, but not the new one and then the old.
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
	defer w.Close()
	check := func(reads ...int) error {
		h := NewHistory(w)
		h.Begin(0, [2]int{0, 1}) // never ends
		for _, r := range reads {
			w.Sleep(10 * time.Millisecond)
			op := h.Begin(1, [2]int{1, 0})
			w.Sleep(time.Millisecond)
			op.End(r)
		}
		return h.Check(registerModel, time.Second)
	}
	require.NoError(t, check(0, 0))
	require.NoError(t, check(0, 1))
	require.NoError(t, check(1, 1))
	require.ErrorContains(t, check(1, 0), "not linearizable")
}

func TestCheckLinearizableFailsTheTest(t *testing.T) {
	// The verdict must reach the test: run CheckLinearizable on a fake T.
	for _, c := range []struct {
		reads []int
		fails bool
	}{{[]int{1}, false}, {[]int{0}, true}} {
		ft := &testing.T{}
		done := make(chan struct{})
		go func() {
			defer close(done)
			runSeed(ft, 1, func(t *T) {
				w := t.NewWorld(labrpc.Config{Nodes: 1})
				h := NewHistory(w)
				op := h.Begin(0, [2]int{0, 1})
				w.Sleep(time.Millisecond)
				op.End(nil)
				for _, r := range c.reads {
					w.Sleep(time.Millisecond)
					op := h.Begin(1, [2]int{1, 0})
					w.Sleep(time.Millisecond)
					op.End(r)
				}
				CheckLinearizable(t, registerModel, h, time.Second)
			}, true)
		}()
		<-done
		require.Equal(t, c.fails, ft.Failed(), "reads %v", c.reads)
	}
}
