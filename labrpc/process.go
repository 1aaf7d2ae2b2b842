package labrpc

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"time"

	"protolab/labrpc/internal/goid"
)

// Client code (a clerk, a test) is written in blocking style: a call waits
// for its reply, Sleep waits for time to pass. Two kinds of code may block:
//
//   - the driver: the test's own goroutine. When it blocks, it runs the
//     event loop itself until what it waits for has happened.
//   - a process started with Go: a goroutine that runs only when the
//     scheduler hands it the turn, and hands it back when it blocks.
//
// Exactly one of them runs at any moment, and a process is resumed only
// from inside an event, so runs stay deterministic however many processes
// there are. Node code never blocks.

// proc is a simulated client process.
type proc struct {
	name     string
	wake     chan struct{}
	finished bool
	num      int64 // its goroutine's number in stack dumps, for the watchdog
}

// Go starts fn as a simulated process at the current virtual time.
func (w *World) Go(name string, fn func()) {
	if !w.owned() {
		w.strayCall("World.Go", -1)
	}
	if w.err != nil {
		w.stopCaller()
		return
	}
	if fn == nil {
		w.refuse(fmt.Errorf("labrpc: World.Go(%q, nil): pass the function the process runs", name))
		return
	}
	p := &proc{name: name, wake: make(chan struct{})}
	w.procs = append(w.procs, p)
	go w.runProc(p, fn)
	w.schedule(w.now, event{kind: evWake, node: -1, p: p})
}

func (w *World) runProc(p *proc, fn func()) {
	defer func() {
		if r := recover(); r != nil {
			w.Fail(fmt.Errorf("process %q panicked at %s: %v\n%s", p.name, fmtTime(w.now), r, trimStack(debug.Stack())))
		}
		p.finished = true
		w.parked <- struct{}{}
	}()
	p.num = goid.Number()
	<-p.wake
	if w.closing {
		runtime.Goexit()
	}
	w.turn.Store(uintptr(goid.Current()))
	w.mark(-1, KindProc, "process "+p.name+" starts")
	fn()
	w.mark(-1, KindProc, "process "+p.name+" ends")
}

// resume gives the turn to p until it blocks or ends.
func (w *World) resume(p *proc) {
	if p.finished {
		return
	}
	prevCtx, prevProc, prevCur := w.ctx, w.curProc, w.cur
	w.ctx, w.curProc, w.cur = ctxProc, p, -1
	w.beat.bump()
	p.wake <- struct{}{}
	<-w.parked
	w.turn.Store(uintptr(w.driver))
	w.ctx, w.curProc, w.cur = prevCtx, prevProc, prevCur
}

// Done reports whether every process started with Go has finished.
func (w *World) Done() bool {
	for _, p := range w.procs {
		if !p.finished {
			return false
		}
	}
	return true
}

// mayBlock reports whether the running code may block (the driver or a
// process), and stops the run with an explanation if not.
func (w *World) mayBlock(what string) bool {
	switch w.ctx {
	case ctxNode:
		w.misuse(fmt.Errorf("labrpc: %s blocked (%s) inside node code; node code must not block: use Env.Call with a done callback, and Env.After instead of sleeping", w.Name(w.cur), what))
		return false
	case ctxWorld:
		w.misuse(fmt.Errorf("labrpc: a function scheduled with World.At blocked (%s); it must not block: start a process with World.Go instead", what))
		return false
	}
	return true
}

// block waits until *done is true. what names the wait, for errors.
func (w *World) block(done *bool, what string) {
	if !w.mayBlock(what) {
		return
	}
	if w.ctx == ctxProc {
		p := w.curProc
		for !*done {
			if w.err != nil {
				runtime.Goexit()
			}
			w.parked <- struct{}{}
			<-p.wake
			if w.closing {
				runtime.Goexit()
			}
			w.turn.Store(uintptr(goid.Current()))
		}
		return
	}
	w.watchBegin()
	defer w.watchEnd()
	for !*done {
		if !w.step() {
			if w.err == nil {
				why := ""
				if s := w.Silence(); s != "" {
					why = "\n" + s
				}
				why += w.unansweredNote()
				w.Fail(fmt.Errorf("labrpc: deadlock at %s: the test waits for %s, but nothing is left to happen (no timers, no messages in flight)%s", fmtTime(w.now), what, why))
			}
			panic(Stopped{w.err})
		}
	}
	if w.err != nil {
		panic(Stopped{w.err})
	}
}

// wakeAt schedules the end of a wait: it sets *done at time at, and
// resumes the waiting process if there is one.
func (w *World) wakeAt(at time.Duration, done *bool) {
	p := w.curProc
	w.schedule(at, event{kind: evWorld, node: -1, fn: func() {
		*done = true
		if p != nil {
			w.resume(p)
		}
	}})
}

// Sleep lets d of virtual time pass for the caller: the driver runs the
// world meanwhile; a process gives up its turn.
func (w *World) Sleep(d time.Duration) { w.sleep("World.Sleep", d) }

func (w *World) sleep(call string, d time.Duration) {
	if !w.owned() {
		w.strayCall(call, -1)
	}
	if w.err != nil {
		w.stopCaller()
		return
	}
	at, ok := w.deadline(call, -1, d)
	if !ok {
		w.stopCaller()
		return
	}
	done := false
	w.wakeAt(at, &done)
	w.block(&done, fmt.Sprintf("Sleep(%v)", d))
}

// stopCaller ends the calling driver or process once the run has failed.
func (w *World) stopCaller() {
	switch w.ctx {
	case ctxProc:
		runtime.Goexit()
	case ctxDriver:
		panic(Stopped{w.err})
	}
}

// WaitUntil lets time pass until cond holds, checking it every poll of
// virtual time, for at most limit. It reports whether cond held.
// poll must be positive, and limit at least 0.
func (w *World) WaitUntil(cond func() bool, poll, limit time.Duration) bool {
	if !w.owned() {
		w.strayCall("World.WaitUntil", -1)
	}
	if w.err != nil {
		w.stopCaller()
		return false
	}
	if cond == nil || poll <= 0 {
		w.refuse(fmt.Errorf("labrpc: World.WaitUntil(cond, poll=%v, limit=%v): poll must be positive and cond not nil; a poll of 0 would check cond forever without letting time pass", poll, limit))
		return false
	}
	deadline, ok := w.deadline("World.WaitUntil", -1, limit)
	if !ok {
		w.stopCaller()
		return false
	}
	for {
		if cond() {
			return true
		}
		if w.now >= deadline {
			return false
		}
		w.Sleep(min(poll, deadline-w.now))
	}
}

// RunUntilDone runs the world until every process started with Go has
// finished, or limit of virtual time has passed; it reports which.
func (w *World) RunUntilDone(limit time.Duration) bool {
	return w.WaitUntil(w.Done, 10*time.Millisecond, limit)
}

// A Client is a network endpoint for client code: clerks call servers
// through one. It is a small value; create one per clerk.
type Client struct {
	w  *World
	id int32
}

// NewClient adds a client endpoint to the network.
func (w *World) NewClient() Client {
	if !w.owned() {
		w.strayCall("World.NewClient", -1)
	}
	if w.err != nil {
		w.stopCaller()
		return Client{w: w, id: -1}
	}
	if len(w.ends) >= w.cfg.MaxEndpoints {
		w.refuse(fmt.Errorf("labrpc: NewClient: %d endpoints (nodes and clients) is the limit (Config.MaxEndpoints); reuse clients, or raise the limit", w.cfg.MaxEndpoints))
		return Client{w: w, id: -1}
	}
	w.ends = append(w.ends, endpoint{})
	return Client{w: w, id: int32(len(w.ends) - 1)}
}

// ID is the client's endpoint id, for Partition, Cut and the trace.
func (c Client) ID() int { return int(c.id) }

// Now is the world's virtual time.
func (c Client) Now() time.Duration {
	if !c.w.owned() {
		c.w.strayCall("Client.Now", -1)
	}
	return c.w.now
}

// Rand is the client's own random stream.
func (c Client) Rand() *rand.Rand {
	if !c.w.owned() {
		c.w.strayCall("Client.Rand", -1)
	}
	e := &c.w.ends[c.id]
	if e.rand == nil {
		e.rand = c.w.randStream(streamClient, uint64(c.id), 0)
	}
	return e.rand
}

// Call sends an RPC and waits for its completion, like Env.Call but
// blocking the calling driver or process. It reports whether a reply came
// back (the request may have been executed even when it did not).
func (c Client) Call(to int, method string, args, reply any) bool {
	w := c.w
	if !w.owned() {
		w.strayCall("Client.Call", -1)
	}
	if w.err != nil {
		w.stopCaller()
		return false
	}
	if !w.mayBlock("Client.Call(" + method + ")") {
		return false
	}
	done, ok := false, false
	p := w.curProc
	w.send(int(c.id), 0, to, method, args, reply, func(got bool) {
		ok, done = got, true
		if p != nil {
			w.resume(p)
		}
	})
	if w.err != nil {
		w.stopCaller()
		return false
	}
	w.block(&done, "the reply to "+method)
	return ok
}

// Sleep lets d of virtual time pass for the calling driver or process (a
// clerk's pause before it retries).
func (c Client) Sleep(d time.Duration) { c.w.sleep("Client.Sleep", d) }
