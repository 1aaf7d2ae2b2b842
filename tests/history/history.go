// Package history records what simulated clients called and saw, timed by the
// virtual clock, and checks it for linearizability with porcupine. It imports
// no testing, so the course tool's 'lab run' checks its histories with the same
// code as the tests (which spell it tests.NewHistory, tests.CheckLinearizable).
package history

import (
	"fmt"
	"html"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/anishathalye/porcupine"

	"protolab/labrpc"
)

// A History records client operations with their virtual call and return
// times, for the linearizability checker. Client processes take turns, so
// recording needs no lock.
//
// Events of one instant of virtual time still happen one after another, and
// porcupine takes a call and a return at the same time as concurrent: a read
// a client begins at the instant its write returned could be placed before
// the write, and a stale read would pass. So each time recorded is the
// virtual time, made a nanosecond later than the time recorded before it
// when they would be equal: the times keep the order the events happened in.
type History struct {
	w    *labrpc.World
	ops  []porcupine.Operation
	last int64 // the last time recorded
}

// New returns an empty history timed by w's clock.
func New(w *labrpc.World) *History { return &History{w: w, last: -1} }

// stamp is the time of an event recorded now: the virtual time, or a
// nanosecond after the last time recorded if that is not earlier.
func (h *History) stamp() int64 {
	h.last = max(int64(h.w.Now()), h.last+1)
	return h.last
}

// An Op is an operation that has been called and not yet returned.
type Op struct {
	h *History
	i int
}

// Begin records that client called an operation with input, now (see stamp).
func (h *History) Begin(client int, input any) Op {
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: input, Call: h.stamp(), Return: math.MaxInt64})
	return Op{h, len(h.ops) - 1}
}

// End records that the operation returned output, now (see stamp). An
// operation that never ends (its client gave up, or the run ended first)
// stays in the history with a nil output and no return time: the model must
// accept a nil output as "no answer seen", since such an operation may or
// may not have taken effect.
func (o Op) End(output any) {
	o.h.ops[o.i].Output = output
	o.h.ops[o.i].Return = o.h.stamp()
}

// Len is the number of operations recorded.
func (h *History) Len() int { return len(h.ops) }

// Operations returns the recorded operations.
func (h *History) Operations() []porcupine.Operation { return h.ops }

// Check checks the history against model, as Linearizable does; on a
// violation it also notes in the world's trace which operations porcupine
// blames (see blame.go), for the timeline and the viewer.
func (h *History) Check(model porcupine.Model, limit time.Duration) error {
	return linearizable(model, h.ops, limit, func(info porcupine.LinearizationInfo) { h.noteBlame(model, info) })
}

// Linearizable checks ops against model, for tools that record histories
// outside a test (lab run). It returns nil only when the checker finished
// and found the history linearizable.
func Linearizable(model porcupine.Model, ops []porcupine.Operation, limit time.Duration) error {
	return linearizable(model, ops, limit, nil)
}

// linearizable is Linearizable; on a violation it first hands porcupine's
// findings to blame, if set.
func linearizable(model porcupine.Model, ops []porcupine.Operation, limit time.Duration, blame func(porcupine.LinearizationInfo)) error {
	res, info := porcupine.CheckOperationsVerbose(model, ops, limit)
	switch res {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return fmt.Errorf("the linearizability checker ran out of time (%v) on %d operations: that is a failure, not a pass; make the history shorter or give the checker longer", limit, len(ops))
	}
	if blame != nil {
		blame(info)
	}
	path := "(visualisation not written)"
	if dir, err := os.MkdirTemp("", "protolab-linearizability-"); err == nil {
		p := filepath.Join(dir, "history.html")
		if err := porcupine.VisualizePath(htmlSafe(model), info, p); err == nil {
			path = p
		}
	}
	return fmt.Errorf("the history of %d operations is not linearizable: no order of the operations, each taking effect between its call and its return, explains what the clients saw.\nporcupine's visualisation: %s", len(ops), path)
}

// htmlSafe returns model with descriptions that are safe in porcupine's
// page. The page inserts a state's description (and an operation's metadata)
// as HTML, in the tooltip shown when the mouse is over an operation, and an
// operation's description as text. A value a client wrote, like
// "<img src=x onerror=...>", would otherwise become an element of the page,
// and its script would run in the browser of whoever reads the report. So
// this escapes every state description and metadata here, once, for every
// model: a model describes its states as plain text (porcupine prints them
// with %v if it does not) and need not know where they end up.
func htmlSafe(model porcupine.Model) porcupine.Model {
	state := model.DescribeState
	if state == nil {
		state = func(s any) string { return fmt.Sprintf("%v", s) }
	}
	model.DescribeState = func(s any) string { return html.EscapeString(state(s)) }
	meta := model.DescribeOperationMetadata
	model.DescribeOperationMetadata = func(info any) string {
		switch {
		case meta != nil:
			return html.EscapeString(meta(info))
		case info == nil:
			return ""
		}
		return html.EscapeString(fmt.Sprintf("%v", info))
	}
	return model
}
