package labrpc

import (
	"fmt"
	"reflect"
	"time"

	"protolab/labgob"
)

// call is one RPC in flight. A duplicated request shares its call; the
// first completion wins and later ones are ignored.
//
// Calls are recycled (see release): a round trip would otherwise allocate
// its call record, the largest thing it allocates besides the copies, and
// the garbage collector's work grows with the bytes allocated. refs counts
// the events in the queue that carry the call; once it is finished and no
// event carries it any more, nothing can reach it, and the next send
// reuses it. A deferred handler's respond may still read its call after
// the reply has arrived, so such a call is marked keep and left to the
// garbage collector; so is, in effect, one whose event a paused node held
// (pause.go): a held event is never counted down.
type call struct {
	id       int64 // Line.Call
	from, to int
	fromInc  uint32
	refs     int32 // events in the queue that carry this call
	finished bool
	keep     bool          // held outside the queue: never recycled
	route    *route        // the method called: route.method is its name
	args     reflect.Value // the receiver's own copy, decoded at send time
	reply    any           // the caller's reply pointer, filled on arrival
	done     func(ok bool)
	start    time.Duration
}

// newCall returns a call record for the next call, a recycled one if there
// is one. The caller sets every field (init).
func (w *World) newCall() *call {
	if n := len(w.freeCalls); n > 0 {
		c := w.freeCalls[n-1]
		w.freeCalls = w.freeCalls[:n-1]
		return c
	}
	return new(call)
}

// init sets every field of a call record for a new call, in place: a
// recycled record keeps nothing of its last call, and nothing is built
// aside and copied in (see trace.addCall for why that costs). A field added
// to call must be set here too; TestCallInitSetsEveryField checks it.
func (c *call) init(id int64, from, to int, fromInc uint32, r *route, args reflect.Value, reply any, done func(bool), start time.Duration) {
	c.id, c.from, c.to, c.fromInc = id, from, to, fromInc
	c.refs, c.finished, c.keep = 0, false, false
	c.route, c.args, c.reply, c.done = r, args, reply, done
	c.start = start
}

// release lets go of the call an event carried, once that event has run or
// been skipped; the last one of a finished call recycles it. The free list
// keeps what the call last pointed at (its reply, its callback) until the
// call is reused: clearing it here would cost as much as the allocation it
// saves, and the list is never longer than the most calls once in flight.
func (w *World) release(c *call) {
	c.refs--
	if c.refs == 0 && c.finished && !c.keep {
		w.freeCalls = append(w.freeCalls, c)
	}
}

// send starts an RPC from endpoint `from`. Everything a caller can get wrong
// is checked here, at the call site, with the fix in the message.
func (w *World) send(from int, fromInc uint32, to int, method string, args, reply any, done func(bool)) {
	if !w.checkID(to) {
		return
	}
	r, err := w.resolve(method)
	if err != nil {
		w.misuse(err)
		return
	}
	h := r.h
	if at := reflect.TypeOf(args); at != h.argType {
		w.misuse(fmt.Errorf("labrpc: Call(%q): args is a %v but the handler takes a %v", method, at, h.argType))
		return
	}
	if rt := reflect.TypeOf(reply); rt != h.replyType {
		w.misuse(fmt.Errorf("labrpc: Call(%q): reply is a %v but the handler fills a %v", method, rt, h.replyType))
		return
	}
	if err := labgob.CheckZero(reply); err != nil {
		w.misuse(fmt.Errorf("labrpc: Call(%q) from %s: %w", method, w.Name(from), err))
		return
	}
	cp, n, err := w.copyOn(from, to, args)
	if err != nil {
		w.misuse(fmt.Errorf("labrpc: Call(%q): %w", method, err))
		return
	}
	w.ends[from].rpcs++
	w.ends[from].bytes += int64(n)
	w.totalRPCs++
	w.totalBytes += int64(n)
	w.calls++
	w.traceCall(from, KindSend, to, r, n, "", w.calls, nil)
	c := w.newCall()
	c.init(w.calls, from, to, fromInc, r, reflect.ValueOf(cp), reply, done, w.now)
	w.transmit(c)
	if w.chance(w.profile.Duplicate) {
		w.transmit(c)
	}
}

// copyOn copies v through the world's wire as link from→to carries it, and
// returns the copy and its size on that link.
func (w *World) copyOn(from, to int, v any) (any, int, error) {
	l := link{int32(from), int32(to)}
	e := &w.ends[from]
	var st labgob.Link
	if e.lastTo == int32(to)+1 {
		st = e.lastLink // the same as w.links[l]: both are written below
	} else {
		st = w.links[l]
	}
	was := st
	cp, n, err := w.wire.Copy(&st, v)
	if st != was {
		w.links[l] = st
	}
	e.lastTo, e.lastLink = int32(to)+1, st
	return cp, n, err
}

// transmit puts a request on the wire, or loses it.
func (w *World) transmit(c *call) {
	switch {
	case !w.reachable(c.from, c.to):
		w.drop(c, c.from, c.to, "link down", true, nil)
	case w.ends[c.to].deaf:
		w.drop(c, c.from, c.to, w.Name(c.to)+" is deaf", true, nil)
	case w.chance(w.profile.DropRequest):
		w.drop(c, c.from, c.to, "request lost", false, nil)
	default:
		w.scheduleCall(w.now+w.delay(c.from, c.to), evDeliver, int32(c.to), 0, c, nil, 0)
	}
}

// drop records a lost message and schedules the caller's ok=false.
// answer is the server's reply when the message lost is a reply (for the
// trace line: what the server had answered), nil for a request.
func (w *World) drop(c *call, from, to int, why string, unreachable bool, answer any) {
	w.traceCall(from, KindDrop, to, c.route, 0, why, c.id, answer)
	at := max(c.start+w.lossTimeout(unreachable), w.now)
	w.scheduleCall(at, evLost, int32(c.from), c.fromInc, c, nil, 0)
}

// deliver runs the handler on the server, then sends the reply back.
func (w *World) deliver(c *call) {
	n := w.ends[c.to].node
	if n != nil && !n.alive {
		w.drop(c, c.from, c.to, w.Name(c.to)+" is down", true, nil)
		return
	}
	if !w.reachable(c.from, c.to) {
		w.drop(c, c.from, c.to, "link went down", true, nil)
		return
	}
	if w.ends[c.to].deaf {
		w.drop(c, c.from, c.to, w.Name(c.to)+" went deaf", true, nil)
		return
	}
	var rcvr reflect.Value
	if n != nil {
		rcvr = n.receiver(c.route.svc)
	}
	if !rcvr.IsValid() {
		w.misuse(fmt.Errorf("labrpc: Call(%q) to %s, which runs no %s service (it runs: %s)",
			c.route.method, w.Name(c.to), c.route.svc.name, listOrNone(sortedKeys(servicesOf(n)))))
		return
	}
	w.ends[c.to].events++
	w.traceCall(c.to, KindRecv, c.from, c.route, 0, "", c.id, nil)
	reply := reflect.New(c.route.h.replyElem)
	if c.route.h.deferred {
		w.deliverDeferred(c, n, rcvr, reply)
		return
	}
	// The arguments live on the stack (reflect's Call does not keep them):
	// storing them in the World would cost a write barrier per pointer
	// while the garbage collector runs, and as many again to clear them.
	// They are set one by one: a composite literal is built aside and
	// copied in, which reads its fresh writes back and stalls (queue.add).
	var in [3]reflect.Value
	in[0], in[1], in[2] = rcvr, c.args, reply
	w.runAt(c.to, ctxNode, c.route.handlerWhat, func() { c.route.h.fn.Call(in[:]) })
	if w.err != nil {
		return
	}
	w.sendReply(c, reply)
}

// sendReply copies a handler's reply through labgob, as it is at this
// moment, and puts it on the wire back to the caller, or loses it.
func (w *World) sendReply(c *call, reply reflect.Value) {
	cp, size, err := w.copyOn(c.to, c.from, reply.Interface())
	if err != nil {
		w.misuse(fmt.Errorf("labrpc: reply of %s: %w", c.route.method, err))
		return
	}
	w.ends[c.to].bytes += int64(size)
	w.totalBytes += int64(size)
	switch {
	case !w.reachable(c.to, c.from):
		w.drop(c, c.to, c.from, "reply link down", true, cp)
	case w.chance(w.profile.DropReply):
		w.drop(c, c.to, c.from, "reply lost", false, cp)
	default:
		w.scheduleCall(w.now+w.delay(c.to, c.from), evReply, int32(c.from), c.fromInc, c, cp, int32(size))
	}
}

func servicesOf(n *node) map[string]reflect.Value {
	if n == nil {
		return nil
	}
	return n.services
}

// arrive hands a reply to its caller.
func (w *World) arrive(c *call, val any, size int) {
	if c.finished {
		return // a duplicate's reply, or one that came after the time-out
	}
	c.finished = true
	reflect.ValueOf(c.reply).Elem().Set(reflect.ValueOf(val).Elem())
	w.ends[c.from].events++
	w.traceCall(c.from, KindReply, c.to, c.route, size, "", c.id, val)
	w.complete(c, true)
}

// giveUp completes a call whose message was lost.
func (w *World) giveUp(c *call) {
	if c.finished {
		return
	}
	c.finished = true
	w.ends[c.from].events++
	w.traceCall(c.from, KindLost, c.to, c.route, 0, "no reply", c.id, nil)
	w.complete(c, false)
}

func (w *World) complete(c *call, ok bool) {
	if w.ends[c.from].node != nil {
		w.runAt(c.from, ctxNode, c.route.callbackWhat, func() { c.done(ok) })
	} else {
		c.done(ok) // a client's completion resumes its process itself
	}
}
