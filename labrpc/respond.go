package labrpc

import (
	"fmt"
	"reflect"
	"strings"
)

// Deferred replies. A handler of the shape
//
//	func (kv *KVServer) Get(args *GetArgs, reply *GetReply, respond func())
//
// need not have its answer when it returns: a replicated service answers
// once the operation has committed, in a later event. The world sends the
// reply when the node calls respond, from that event or any later one of
// the same incarnation; the reply is copied through labgob at that moment.
// Until then the caller waits, as for a slow server. If the node crashes
// (or restarts) first, the reply is lost: the caller's call completes with
// ok=false after the loss time-out, as for any lost reply.

// deferred is a request whose handler has not yet called respond.
type deferred struct {
	c     *call
	reply reflect.Value
	inc   uint32 // the server incarnation that took the request
	sent  bool   // respond has run
}

// deliverDeferred runs a deferred handler, giving it the respond function
// for this request.
func (w *World) deliverDeferred(c *call, n *node, rcvr, reply reflect.Value) {
	c.keep = true // d holds c until respond, and respond's checks read it after
	d := &deferred{c: c, reply: reply, inc: n.inc}
	n.waiting = append(n.waiting, d)
	n.unanswered++
	respond := reflect.ValueOf(func() { w.respond(d) })
	in := [4]reflect.Value{rcvr, c.args, reply, respond} // on the stack, as in deliver
	w.runAt(c.to, ctxNode, c.route.handlerWhat, func() { c.route.h.fn.Call(in[:]) })
}

// respond sends a deferred reply.
func (w *World) respond(d *deferred) {
	c := d.c
	if !w.owned() {
		w.strayCall("respond ("+c.route.method+")", c.to)
	}
	n := w.ends[c.to].node
	if w.err != nil || !n.alive || n.inc != d.inc {
		return // the incarnation that took the request is gone, and its reply with it
	}
	if d.sent {
		w.misuse(fmt.Errorf("labrpc: %s called respond twice for %s (call %d from %s): a request gets one reply; call respond exactly once, when the reply is complete",
			w.Name(c.to), c.route.method, c.id, w.Name(c.from)))
		return
	}
	d.sent = true
	n.unanswered--
	switch {
	case n.unanswered == 0:
		clear(n.waiting)
		n.waiting = n.waiting[:0]
	case len(n.waiting) > 64 && len(n.waiting) > 2*n.unanswered:
		n.waiting = compactWaiting(n.waiting)
	}
	w.trace(Line{Node: c.to, Kind: KindLog, Peer: -1, Text: "respond: " + shortMethod(c.route.method) + " to " + w.Name(c.from)})
	w.sendReply(c, d.reply)
}

func compactWaiting(ds []*deferred) []*deferred {
	kept := ds[:0]
	for _, d := range ds {
		if !d.sent {
			kept = append(kept, d)
		}
	}
	clear(ds[len(kept):])
	return kept
}

// loseUnanswered drops the replies node n still owes when it crashes:
// each caller's call completes with ok=false after the loss time-out.
func (w *World) loseUnanswered(n *node) {
	for _, d := range n.waiting {
		c := d.c
		if d.sent || c.finished {
			continue
		}
		d.sent = true
		w.traceCall(c.to, KindDrop, c.from, c.route, 0, w.Name(c.to)+" crashed before it responded", c.id, nil)
		at := max(c.start+w.lossTimeout(true), w.now)
		w.scheduleCall(at, evLost, int32(c.from), c.fromInc, c, nil, 0)
	}
	n.waiting, n.unanswered = nil, 0
}

// unansweredNote names the requests nodes took with a deferred handler and
// have not responded to, for a run that stops waiting (a deadlock, the
// time budget): a service that forgets a request leaves its caller
// waiting for good. It is "" when there are none.
func (w *World) unansweredNote() string {
	var b strings.Builder
	for id := range w.cfg.Nodes {
		n := w.ends[id].node
		if !n.alive || n.unanswered == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n%s has not responded to %d request(s) it took:", w.Name(id), n.unanswered)
		shown := 0
		for _, d := range n.waiting {
			if d.sent {
				continue
			}
			if shown == 3 {
				b.WriteString(" ...")
				break
			}
			fmt.Fprintf(&b, " %s from %s (call %d, sent at %s);", d.c.route.method, w.Name(d.c.from), d.c.id, fmtTime(d.c.start))
			shown++
		}
	}
	if b.Len() == 0 {
		return ""
	}
	return b.String() + "\na handler that takes respond must call it once for every request, if only with an error (a wrong leader's, a lost operation's)"
}
