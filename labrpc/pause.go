package labrpc

import (
	"fmt"
	"time"
)

// Node pause: a long garbage-collection pause, a stopped VM, a process
// under a debugger. The node stays alive with all its state, but handles
// no event for a while: messages to it, its timers and the replies to its
// calls wait, as a stopped process's socket buffers and timer wheel do,
// and are handled when the pause ends, in the order they would have run.
// Its clock does not run ahead of what it sees: it observes the jump when
// it runs again.

// pauseState is a node's pause, kept apart from node so that the event
// loop pays for pauses only while one is in effect (World.holding).
type pauseState struct {
	paused   bool
	until    time.Duration
	gen      uint32  // bumped by each Pause and by a crash: an older resume is void
	held     []event // its events, in the order they came due
	draining bool    // an evDrain is scheduled
	holding  bool    // counted in World.holding: paused, or held not empty
}

// Pause stops node id from handling events for d of virtual time (see
// pauseState). It stays alive; a crash ends the pause. Pausing a paused
// node extends the pause to whichever end is later. d = 0 does nothing.
func (w *World) Pause(id int, d time.Duration) {
	if !w.owned() {
		w.strayCall("World.Pause", -1)
	}
	if !w.nodeID("World.Pause", id) {
		return
	}
	end, ok := w.deadline("World.Pause", -1, d)
	if !ok {
		w.stopCaller()
		return
	}
	n := w.ends[id].node
	if !n.alive {
		w.refuse(fmt.Errorf("labrpc: World.Pause(%d, %v): %s is down, and a pause keeps a running node's state; Start or Restart it first, or leave the node down", id, d, w.Name(id)))
		return
	}
	if d == 0 {
		return
	}
	p := &n.pause
	if p.paused && p.until >= end {
		return
	}
	p.paused, p.until = true, end
	p.gen++
	if !p.holding {
		p.holding = true
		w.holding++
	}
	w.fault(fmt.Sprintf("pause %s for %v", w.Name(id), end-w.now))
	w.schedule(end, event{kind: evResume, node: -1, n: int32(id), inc: p.gen})
}

// Paused reports whether node id is paused right now.
func (w *World) Paused(id int) bool {
	if !w.owned() {
		w.strayCall("World.Paused", -1)
	}
	return w.nodeID("World.Paused", id) && w.ends[id].node.pause.paused
}

// hold keeps ev for later if it belongs to a node that is paused, or that
// still has held events to run first. It reports whether it kept ev.
func (w *World) hold(ev *event) bool {
	if ev.node < 0 || int(ev.node) >= w.cfg.Nodes {
		return false
	}
	p := &w.ends[ev.node].node.pause
	if !p.paused && len(p.held) == 0 {
		return false
	}
	p.held = append(p.held, *ev)
	return true
}

// resumeNode ends node id's pause, if gen is still its pause.
func (w *World) resumeNode(id int, gen uint32) {
	p := &w.ends[id].node.pause
	if !p.paused || p.gen != gen {
		return // extended, or ended by a crash
	}
	p.paused = false
	w.fault("resume " + w.Name(id))
	w.drainLater(id)
}

// endPause ends a pause at a crash: what was held runs as it would have
// (a request then finds the node down; timers and replies of the crashed
// incarnation are skipped).
func (w *World) endPause(id int) {
	p := &w.ends[id].node.pause
	if !p.paused {
		return
	}
	p.paused = false
	p.gen++
	w.fault(fmt.Sprintf("resume %s (crashed while paused)", w.Name(id)))
	w.drainLater(id)
}

// drainLater schedules the running of node id's held events, one per
// event, from now; a node with none stops being counted as holding.
func (w *World) drainLater(id int) {
	p := &w.ends[id].node.pause
	switch {
	case len(p.held) == 0:
		if p.holding {
			p.holding = false
			w.holding--
		}
	case !p.draining:
		p.draining = true
		w.schedule(w.now, event{kind: evDrain, node: -1, n: int32(id)})
	}
}

// drain runs node id's oldest held event that is still due to run, as
// this step, and schedules the next.
func (w *World) drain(id int) {
	p := &w.ends[id].node.pause
	p.draining = false
	if p.paused {
		return // paused again; its resume drains
	}
	for len(p.held) > 0 {
		ev := p.held[0]
		p.held[0] = event{}
		p.held = p.held[1:]
		if len(p.held) == 0 {
			p.held = nil
		}
		if w.stale(&ev) {
			continue
		}
		w.fire(&ev)
		break
	}
	w.drainLater(id)
}
