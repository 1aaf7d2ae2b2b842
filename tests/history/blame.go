package history

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"

	"protolab/labrpc"
)

// Which operations a linearizability failure is about. Porcupine finds the
// longest prefixes of the history it can explain (its partial
// linearizations); the operations it blames are those that could come next
// after the longest of them, since none began after another operation not
// yet placed had returned, but that the model refuses, each one. Its own
// visualisation marks the same operations in red. The harness notes each in
// the trace, at the end of the run:
//
//	── linearizability: porcupine blames c2 [0.412000s, 0.520000s] get("x") → "1" (after put("x", "2") → OK)
//
// so that a timeline says which reply broke the history, and the viewer
// draws a box around each operation, on its client's lane.

// BlamePrefix starts a trace note that names an operation porcupine blames.
const BlamePrefix = "linearizability: porcupine blames "

// maxBlamed bounds the notes: a broken history can blame many operations,
// and a few are enough to start from.
const maxBlamed = 8

// blamed returns the operations porcupine blames, for each partition of
// the history it could not explain, with the last operation of the longest
// partial linearization before them (its index in part, or -1 if none).
func blamed(model porcupine.Model, ops []porcupine.Operation, info porcupine.LinearizationInfo) (out []blamedOp) {
	parts := [][]porcupine.Operation{ops}
	if model.Partition != nil {
		parts = model.Partition(ops)
	}
	partials := info.PartialLinearizations()
	for p, part := range parts {
		if p >= len(partials) {
			break
		}
		// The longest; of equal ones, the least in order of operation ids:
		// porcupine hands them over in an order that changes from run to
		// run (it collects them in a map), and a seed's trace must not.
		var longest []int
		for _, lin := range partials[p] {
			if len(lin) > len(longest) || len(lin) == len(longest) && slices.Compare(lin, longest) < 0 {
				longest = lin
			}
		}
		if len(longest) == len(part) {
			continue // this partition is linearizable
		}
		placed := make([]bool, len(part))
		for _, id := range longest {
			placed[id] = true
		}
		minEnd := int64(math.MaxInt64)
		for i, op := range part {
			if !placed[i] {
				minEnd = min(minEnd, op.Return)
			}
		}
		after := -1
		if len(longest) > 0 {
			after = longest[len(longest)-1]
		}
		for i, op := range part {
			if !placed[i] && op.Call < minEnd {
				b := blamedOp{op: op}
				if after >= 0 {
					b.after, b.hasAfter = part[after], true
				}
				out = append(out, b)
			}
		}
	}
	slices.SortStableFunc(out, func(a, b blamedOp) int {
		switch {
		case a.op.Call < b.op.Call:
			return -1
		case a.op.Call > b.op.Call:
			return 1
		}
		return a.op.ClientId - b.op.ClientId
	})
	return out
}

type blamedOp struct {
	op       porcupine.Operation
	after    porcupine.Operation
	hasAfter bool
}

// noteBlame notes the blamed operations in the history's world.
func (h *History) noteBlame(model porcupine.Model, info porcupine.LinearizationInfo) {
	if h.w == nil {
		return
	}
	bs := blamed(model, h.ops, info)
	for i, b := range bs {
		if i == maxBlamed {
			h.w.Note("linearizability: and %d more operations", len(bs)-maxBlamed)
			break
		}
		h.w.Note("%s", blameText(model, h.w.Nodes(), b))
	}
}

// blameText is a blamed operation's note. The client is named as traces
// name clients: History's client k is the test's k-th client, c<k>.
func blameText(model porcupine.Model, nodes int, b blamedOp) string {
	ret := "never"
	if b.op.Return != math.MaxInt64 {
		ret = fmtSeconds(b.op.Return)
	}
	s := fmt.Sprintf("%s%s [%s, %s] %s", BlamePrefix, labrpc.EndpointName(nodes+b.op.ClientId, nodes),
		fmtSeconds(b.op.Call), ret, describeOp(model, b.op))
	if b.hasAfter {
		s += fmt.Sprintf(" (after %s by %s)", describeOp(model, b.after), labrpc.EndpointName(nodes+b.after.ClientId, nodes))
	}
	return s
}

func describeOp(model porcupine.Model, op porcupine.Operation) string {
	if model.DescribeOperation != nil {
		return model.DescribeOperation(op.Input, op.Output)
	}
	return fmt.Sprintf("%v → %v", op.Input, op.Output)
}

// fmtSeconds writes a virtual time as traces do: seconds, to the
// microsecond.
func fmtSeconds(ns int64) string {
	d := time.Duration(ns)
	return fmt.Sprintf("%d.%06ds", d/time.Second, (d%time.Second)/time.Microsecond)
}
