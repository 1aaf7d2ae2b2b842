package tests

import (
	"cmp"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
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
	require.Equal(t, porcupine.Operation{ClientId: 4, Input: [2]int{1, 0}, Call: int64(7*time.Millisecond + 1), Output: nil, Return: math.MaxInt64}, ops[1],
		"an operation that never returns has no return time: it may take effect any time after its call; "+
			"called in the same instant as the one before, after it, it is recorded a nanosecond later")
	w.Sleep(time.Millisecond)
	pending.End(5)
	require.Equal(t, int64(18*time.Millisecond), h.Operations()[1].Return)
	require.Equal(t, 5, h.Operations()[1].Output)
}

// Events of one instant happen one after another, and the history keeps
// their order: a read a client begins at the instant its write returned
// follows the write (a stale read fails), and a write that returns at the
// instant a read began is concurrent with it (the read may miss it).
func TestHistoryKeepsTheOrderOfOneInstant(t *testing.T) {
	check := func(writeFirst bool, read int) error {
		w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
		defer w.Close()
		h := NewHistory(w)
		write := h.Begin(0, [2]int{0, 1})
		w.Sleep(5 * time.Millisecond)
		var op Op
		if writeFirst {
			write.End(nil)
			op = h.Begin(0, [2]int{1, 0})
		} else {
			op = h.Begin(1, [2]int{1, 0})
			write.End(nil)
		}
		w.Sleep(3 * time.Millisecond)
		op.End(read)
		ops := h.Operations()
		require.Zero(t, ops[0].Call, "the history's first event, at time 0")
		require.Equal(t, int64(5*time.Millisecond), min(ops[0].Return, ops[1].Call),
			"the first event of the instant is recorded at its virtual time")
		return h.Check(registerModel, time.Second)
	}
	require.ErrorContains(t, check(true, 0), "not linearizable", "the client's read began after its write returned, in the same instant, and missed it")
	require.NoError(t, check(true, 1))
	require.NoError(t, check(false, 0), "the read began before the write returned, in the same instant: it may miss it")
	require.NoError(t, check(false, 1))
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

// The blame notes (which operations porcupine blames, named in the trace at
// the end of a failed check) on crafted histories, each recorded through a
// History by simulated time: a note must name the operations that could
// come next and the one before them, in order of call, for every key, the
// same on every run.

// keyedRegister is a register per key, {key, 0, v}: write v; {key, 1, 0}:
// read; checked one key at a time, the keys in ascending order.
var keyedRegister = porcupine.Model{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
		var keys [][]porcupine.Operation
		for _, op := range ops {
			k := op.Input.([3]int)[0]
			for len(keys) <= k {
				keys = append(keys, nil)
			}
			keys[k] = append(keys[k], op)
		}
		return keys
	},
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in := input.([3]int)
		if in[1] == 0 {
			return true, in[2]
		}
		return output == nil || output.(int) == state.(int), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.([3]int)
		if in[1] == 0 {
			return fmt.Sprintf("put(k%d, %d)", in[0], in[2])
		}
		return fmt.Sprintf("get(k%d) → %v", in[0], output)
	},
}

// recordAt records ops in a History of a new world, each called and
// returned at its Call and Return (in milliseconds) of virtual time, and
// returns the check's error and the notes it left in the trace.
func recordAt(t *testing.T, model porcupine.Model, ops ...porcupine.Operation) (error, []string) {
	t.Helper()
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
	defer w.Close()
	h := NewHistory(w)
	type event struct {
		at  time.Duration
		ret bool
		i   int
	}
	var events []event
	for i, op := range ops {
		events = append(events, event{time.Duration(op.Call) * time.Millisecond, false, i})
		events = append(events, event{time.Duration(op.Return) * time.Millisecond, true, i})
	}
	slices.SortStableFunc(events, func(a, b event) int { return cmp.Compare(a.at, b.at) })
	begun := make([]Op, len(ops))
	for _, e := range events {
		w.Sleep(e.at - w.Now())
		if e.ret {
			begun[e.i].End(ops[e.i].Output)
		} else {
			begun[e.i] = h.Begin(ops[e.i].ClientId, ops[e.i].Input)
		}
	}
	err := h.Check(model, time.Second)
	var notes []string
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindNote {
			notes = append(notes, strings.TrimPrefix(l.Text, BlamePrefix))
		}
	}
	return err, notes
}

func put(client, key, v int, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: [3]int{key, 0, v}, Call: call, Return: ret}
}

func get(client, key, v int, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: [3]int{key, 1, 0}, Output: v, Call: call, Return: ret}
}

// The operation before a blamed one is named when porcupine placed one
// operation, and none is named when it placed nothing.
func TestBlameNamesTheOnlyOperationPlacedBeforeIt(t *testing.T) {
	err, notes := recordAt(t, keyedRegister, put(0, 0, 1, 0, 10), get(1, 0, 0, 20, 30))
	require.ErrorContains(t, err, "not linearizable")
	require.Equal(t, []string{"c1 [0.020000s, 0.030000s] get(k0) → 0 (after put(k0, 1) by c0)"}, notes,
		"the stale read, after the write: the first operation of the history, and the only one placed")

	err, notes = recordAt(t, keyedRegister, get(1, 0, 5, 0, 10))
	require.ErrorContains(t, err, "not linearizable")
	require.Equal(t, []string{"c1 [0.000000s, 0.010000s] get(k0) → 5"}, notes,
		"a read of a value nobody wrote: nothing can be placed before it")
}

// Each key is checked apart; the blamed reads of every key are noted in
// order of call, whatever order the keys came in (calls of one instant in
// the order they were made: the History keeps it, see stamp).
func TestBlameNamesEveryKeysStaleReadsInOrderOfCall(t *testing.T) {
	var ops []porcupine.Operation
	for k := range 5 {
		ops = append(ops, put(0, k, 1, int64(2*k), int64(2*k+1)))
	}
	ops = append(ops,
		get(4, 1, 0, 20, 60), // key 1 before key 0, though called later
		get(3, 0, 0, 30, 60),
		get(6, 2, 0, 50, 60), // three called in one instant: in the order called
		get(5, 3, 0, 50, 60),
		get(7, 4, 0, 50, 60),
		get(2, 0, 1, 40, 60), // a good read
	)
	err, notes := recordAt(t, keyedRegister, ops...)
	require.ErrorContains(t, err, "not linearizable")
	require.Equal(t, []string{
		"c4 [0.020000s, 0.060000s] get(k1) → 0 (after put(k1, 1) by c0)",
		"c3 [0.030000s, 0.060000s] get(k0) → 0 (after get(k0) → 1 by c2)",
		"c6 [0.050000s, 0.060000s] get(k2) → 0 (after put(k2, 1) by c0)",
		"c5 [0.050000s, 0.060000s] get(k3) → 0 (after put(k3, 1) by c0)",
		"c7 [0.050000s, 0.060000s] get(k4) → 0 (after put(k4, 1) by c0)",
	}, notes)
}

// A history that breaks everywhere blames at most 8 operations, and says
// how many more it does not name.
func TestBlameNamesAtMostEightOperations(t *testing.T) {
	ops := []porcupine.Operation{put(0, 0, 1, 0, 10)}
	for i := range 10 {
		ops = append(ops, get(10-i, 0, 0, int64(20+i), 100)) // called in turn, by clients 10 down to 1
	}
	err, notes := recordAt(t, keyedRegister, ops...)
	require.ErrorContains(t, err, "not linearizable")
	require.Len(t, notes, 9)
	for i := range 8 {
		require.Equal(t, fmt.Sprintf("c%d [0.0%d000s, 0.100000s] get(k0) → 0 (after put(k0, 1) by c0)", 10-i, 20+i), notes[i])
	}
	require.Equal(t, "linearizability: and 2 more operations", notes[8])
}

// Two writes at once, then a read of each value at once: porcupine explains
// three operations either way (the one write, the other, the read of the
// second) and finds the two explanations in an order that changes from run
// to run. The blame must not: the trace of a seed replays the same.
func TestBlameIsTheSameOnEveryRun(t *testing.T) {
	var first []string
	for run := range 30 {
		err, notes := recordAt(t, keyedRegister,
			put(0, 0, 1, 0, 10), put(1, 0, 2, 0, 10),
			get(2, 0, 1, 20, 30), get(3, 0, 2, 20, 30))
		require.ErrorContains(t, err, "not linearizable")
		if run == 0 {
			first = notes
			continue
		}
		require.Equal(t, first, notes, "run %d blames other operations than the first", run)
	}
	require.Equal(t, []string{"c2 [0.020000s, 0.030000s] get(k0) → 1 (after get(k0) → 2 by c3)"}, first,
		"of two explanations as long, the first in order of operations (put 1, put 2, get 2) is the one blamed from")
}

// The failure page shows an operation's metadata as the model describes it,
// escaped, and nothing for an operation without metadata.
func TestLinearizabilityPageShowsTheModelsMetadata(t *testing.T) {
	page := func(model porcupine.Model, meta any) string {
		stale := []porcupine.Operation{
			{ClientId: 0, Input: [2]int{0, 1}, Call: 0, Output: nil, Return: 10, Metadata: meta},
			{ClientId: 1, Input: [2]int{1, 0}, Call: 20, Output: 0, Return: 25, Metadata: meta},
		}
		err := Linearizable(model, stale, time.Second)
		require.ErrorContains(t, err, "not linearizable")
		_, path, ok := strings.Cut(err.Error(), "porcupine's visualisation: ")
		require.True(t, ok, err.Error())
		data, rerr := os.ReadFile(path)
		require.NoError(t, rerr)
		os.RemoveAll(filepath.Dir(path))
		return string(data)
	}
	described := registerModel
	described.DescribeOperationMetadata = func(info any) string { return fmt.Sprintf("attempt %v of <3>", info) }
	require.Contains(t, page(described, 2), `"Metadata":"attempt 2 of \u0026lt;3\u0026gt;"`, "the model's description, escaped")
	p := page(registerModel, nil)
	require.Contains(t, p, `"Metadata":""`)
	require.NotContains(t, p, "nil\\u0026gt;", "an operation without metadata shows none")
	require.Contains(t, page(registerModel, 7), `"Metadata":"7"`, "metadata printed as %v when the model has no description for it")
}
