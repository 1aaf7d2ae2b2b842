package labrpc

import (
	"fmt"
	"io"
	"math/rand/v2"
	"reflect"
	"runtime/debug"
	"strings"
	"time"

	"protolab/labgob"
)

// Config sets up a World.
type Config struct {
	Seed  int64 // every random choice of the run derives from it
	Nodes int   // node ids are 0..Nodes-1; clients get the ids after them

	// Profile is the network's starting profile; the zero value means the
	// "reliable" profile.
	Profile Profile

	// The run stops with a clear error past either budget: a livelock or
	// a timer loop that never ends must fail, not hang. Zero means the
	// default: 30 minutes of virtual time, 50 million events.
	MaxTime   time.Duration
	MaxEvents int64

	// KeepTrace is how many recent trace lines are kept for the failure
	// report (default 4000). TraceTo, if set, receives every line: as text
	// (Line.Format), or as JSON lines if TraceJSON is set (see ReadTrace).
	KeepTrace int
	TraceTo   io.Writer
	TraceJSON bool
}

// A World is one simulated run: the clock, the event queue, the network,
// the nodes and the clients. It is not safe for use by several goroutines;
// test code and client processes take turns, one at a time, as the
// scheduler resumes them.
type World struct {
	cfg     Config
	now     time.Duration
	seq     uint64
	steps   int64
	q       queue
	err     error
	profile Profile
	netRand *rand.Rand
	hRand   *rand.Rand
	draws   int64

	ends      []endpoint
	cuts      map[link]bool
	linkDelay map[link][2]time.Duration
	streams   map[link]*labgob.Stream
	svcByName map[string]*serviceType
	routes    map[string]*route
	tr        *trace
	checks    []func() error

	// Who is running right now: the test's own goroutine (the driver),
	// a client process, node code, or a world function. Blocking is allowed
	// only for the driver and processes.
	ctx     runContext
	cur     int    // endpoint whose code runs, for attribution; -1 if none
	doing   string // what that code is doing, for panic reports
	curProc *proc
	procs   []*proc
	parked  chan struct{}
	closing bool

	totalRPCs, totalBytes int64
	calls                 int64 // calls made so far; the last one's Line.Call
	argBuf                [3]reflect.Value
}

type runContext uint8

const (
	ctxDriver runContext = iota
	ctxNode
	ctxWorld
	ctxProc
)

// endpoint is one address on the network: a node or a client. Clients are
// kept small, since a test may create a hundred thousand of them.
type endpoint struct {
	node     *node // nil for clients
	rand     *rand.Rand
	rpcs     int64 // RPCs sent
	bytes    int64 // bytes sent, requests and replies
	events   int64 // events run at this endpoint
	group    int32
	disabled bool
	deaf     bool // requests to it are lost; see Deafen
}

// NewWorld returns a world with cfg.Nodes nodes, none of them started.
func NewWorld(cfg Config) *World {
	if cfg.Nodes < 0 {
		panic(fmt.Sprintf("labrpc: Config.Nodes = %d; it must be at least 0", cfg.Nodes))
	}
	if cfg.Profile.Name == "" && cfg.Profile.Timeout == 0 {
		cfg.Profile = MustProfile("reliable")
	}
	if err := cfg.Profile.validate(); err != nil {
		panic(err)
	}
	if cfg.MaxTime == 0 {
		cfg.MaxTime = 30 * time.Minute
	}
	if cfg.MaxEvents == 0 {
		cfg.MaxEvents = 50_000_000
	}
	if cfg.KeepTrace == 0 {
		cfg.KeepTrace = 4000
	}
	w := &World{
		cfg:       cfg,
		profile:   cfg.Profile,
		cuts:      map[link]bool{},
		linkDelay: map[link][2]time.Duration{},
		streams:   map[link]*labgob.Stream{},
		svcByName: map[string]*serviceType{},
		routes:    map[string]*route{},
		tr:        newTrace(cfg.KeepTrace, cfg.TraceTo, cfg.Nodes),
		cur:       -1,
		parked:    make(chan struct{}),
	}
	w.tr.json = cfg.TraceJSON
	w.netRand = w.randStream(streamNetwork, 0, 0)
	w.ends = make([]endpoint, cfg.Nodes)
	for i := range w.ends {
		w.ends[i].node = &node{id: i, persister: NewPersister()}
	}
	notifyWatchers(w)
	return w
}

// Rand is the harness's random stream (nemesis choices, workloads), apart
// from the network's and the nodes', so that a test's own draws do not shift
// what the network does.
func (w *World) Rand() *rand.Rand {
	if w.hRand == nil {
		w.hRand = w.randStream(streamHarness, 0, 0)
	}
	return w.hRand
}

// Seed is the run's seed.
func (w *World) Seed() int64 { return w.cfg.Seed }

// Now is the virtual time since the run began.
func (w *World) Now() time.Duration { return w.now }

// Steps is the number of events run so far.
func (w *World) Steps() int64 { return w.steps }

// Nodes is the number of nodes (started or not).
func (w *World) Nodes() int { return w.cfg.Nodes }

// Name is how traces name endpoint id: n3 for a node, c7 for a client.
func (w *World) Name(id int) string { return endpointName(id, w.cfg.Nodes) }

// Digest is a hash over every trace line so far, in hex. Same code and
// same seed give the same digest; the harness checks it.
func (w *World) Digest() string { return fmt.Sprintf("%016x", w.tr.digest) }

// Tail returns the last n trace lines kept (all kept lines if n < 0).
func (w *World) Tail(n int) []Line { return w.tr.tail(n) }

// Timeline renders lines as a per-node timeline.
func (w *World) Timeline(lines []Line) string { return Timeline(lines, w.cfg.Nodes) }

// Err is the error that stopped the run, if any.
func (w *World) Err() error { return w.err }

// Fail stops the run with err (the first failure wins). Checkers call it;
// so does the world itself on a misuse or a panic in node code.
func (w *World) Fail(err error) {
	if w.err != nil || err == nil {
		return
	}
	w.err = err
	w.mark(-1, KindNote, "FAIL: "+firstLine(err.Error()))
}

func (w *World) misuse(err error) { w.Fail(err) }

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Check adds an invariant that runs after every event; the first error
// it returns stops the run. Safety properties are checked this way, so that
// a violation is caught at the step that caused it.
func (w *World) Check(f func() error) { w.checks = append(w.checks, f) }

// Note adds a line of the test's own to the trace ("leader 2 cut off").
func (w *World) Note(format string, args ...any) {
	w.mark(-1, KindNote, fmt.Sprintf(format, args...))
}

// Stopped is the panic value with which a blocking call in test code gives
// up when the run has stopped with an error. The harness in package tests
// turns it into a test failure; elsewhere it reads as the error.
type Stopped struct{ Err error }

func (s Stopped) Error() string { return "labrpc: run stopped: " + s.Err.Error() }

// IsStopped reports whether a recovered panic value is a Stopped.
func IsStopped(v any) (Stopped, bool) {
	s, ok := v.(Stopped)
	return s, ok
}

// trace records a message line (one with a peer) at the current step.
func (w *World) trace(l Line) {
	l.Step, l.At = w.steps, w.now
	w.tr.add(l)
}

// mark records a line that involves no peer: a start, a crash, a log line,
// a fault, a note. node is -1 for the world.
func (w *World) mark(node int, kind Kind, text string) {
	w.tr.add(Line{Step: w.steps, At: w.now, Node: node, Kind: kind, Peer: -1, Text: text})
}

func (w *World) fault(text string) { w.mark(-1, KindFault, text) }

func (w *World) checkID(id int) bool {
	if id < 0 || id >= len(w.ends) {
		w.misuse(fmt.Errorf("labrpc: no endpoint %d: nodes are 0..%d and clients %d..%d", id, w.cfg.Nodes-1, w.cfg.Nodes, len(w.ends)-1))
		return false
	}
	return true
}

func (w *World) schedule(at time.Duration, e event) {
	e.at, e.seq = at, w.seq
	w.seq++
	w.q.push(e)
}

// At runs f at virtual time now+d, as the world rather than as a node: the
// harness's way to schedule faults (partitions, crashes) and checks. f must
// not block.
func (w *World) At(d time.Duration, f func()) {
	w.schedule(w.now+d, event{kind: evWorld, node: -1, fn: f})
}

// stale reports whether ev belongs to a node incarnation that has crashed
// or been replaced, or to a cancelled timer.
func (w *World) stale(ev *event) bool {
	if ev.tm != nil && ev.tm.stopped {
		return true
	}
	if ev.node < 0 || ev.kind == evDeliver {
		return false
	}
	n := w.ends[ev.node].node
	return n != nil && (!n.alive || n.inc != ev.inc)
}

// step runs the next event. It returns false if there is none, or the run
// has stopped.
func (w *World) step() (ok bool) {
	for {
		if w.err != nil || w.q.len() == 0 {
			return false
		}
		ev := w.q.pop()
		if w.stale(&ev) {
			continue
		}
		if ev.at > w.cfg.MaxTime {
			w.Fail(fmt.Errorf("labrpc: virtual time passed its budget of %v (Config.MaxTime) at step %d: is the test waiting for something that never happens?", w.cfg.MaxTime, w.steps))
			return false
		}
		w.now = ev.at
		w.steps++
		if w.steps > w.cfg.MaxEvents {
			w.Fail(fmt.Errorf("labrpc: the run passed its budget of %d events (Config.MaxEvents) at %s%s: a livelock, or a timer loop that never stops?",
				w.cfg.MaxEvents, fmtTime(w.now), w.busiest()))
			return false
		}
		w.fire(&ev)
		for _, check := range w.checks {
			if w.err != nil {
				break
			}
			if err := check(); err != nil {
				w.Fail(err)
			}
		}
		return w.err == nil
	}
}

// fire runs one event. A panic in node code stops the run with the node,
// what it was doing, the time and the stack, instead of killing the test
// binary with a stack through the simulator.
func (w *World) fire(ev *event) {
	defer func() {
		if r := recover(); r != nil {
			who := "the world"
			if w.cur >= 0 {
				who = w.Name(w.cur)
			}
			w.ctx, w.cur = ctxDriver, -1
			w.Fail(fmt.Errorf("%s panicked in %s at %s: %v\n%s", who, w.doing, fmtTime(w.now), r, trimStack(debug.Stack())))
		}
	}()
	switch ev.kind {
	case evTimer:
		w.ends[ev.node].events++
		w.mark(int(ev.node), KindTimer, "")
		w.runAt(int(ev.node), ctxNode, "a timer", ev.fn)
	case evDeliver:
		w.deliver(ev.c)
	case evReply:
		w.arrive(ev.c, ev.val, int(ev.n))
	case evLost:
		w.giveUp(ev.c)
	case evWake:
		w.resume(ev.p)
	case evWorld:
		w.runAt(-1, ctxWorld, "a scheduled world function", ev.fn)
	}
}

// runAt runs f as endpoint id in the given context.
func (w *World) runAt(id int, ctx runContext, doing string, f func()) {
	prevCtx, prevCur := w.ctx, w.cur
	w.ctx, w.cur, w.doing = ctx, id, doing
	f()
	w.ctx, w.cur = prevCtx, prevCur
}

func (w *World) busiest() string {
	best, n := -1, int64(0)
	for i := range w.ends {
		if w.ends[i].events > n {
			best, n = i, w.ends[i].events
		}
	}
	if best < 0 {
		return ""
	}
	return fmt.Sprintf("; the busiest endpoint is %s with %d events (%.0f%%)", w.Name(best), n, 100*float64(n)/float64(w.steps))
}

// trimStack keeps the frames a reader needs: those outside the runtime,
// reflect and the simulator's own loop.
func trimStack(s []byte) string {
	var keep []string
	lines := strings.Split(string(s), "\n")
	for i := 1; i+1 < len(lines); i += 2 {
		fn, loc := lines[i], lines[i+1]
		simulator := strings.Contains(loc, "/labrpc/") && !strings.Contains(loc, "_test.go")
		if strings.HasPrefix(fn, "runtime") || strings.HasPrefix(fn, "reflect.") || strings.HasPrefix(fn, "panic(") || simulator {
			continue
		}
		keep = append(keep, fn, loc)
		if len(keep) >= 16 {
			break
		}
	}
	return strings.Join(keep, "\n")
}

// Stats: what each endpoint sent.

// RPCs is the number of RPC requests endpoint id has sent.
func (w *World) RPCs(id int) int64 { return w.ends[id].rpcs }

// Bytes is the number of bytes endpoint id has sent, requests and replies,
// as labgob encodes them.
func (w *World) Bytes(id int) int64 { return w.ends[id].bytes }

// TotalRPCs is the number of RPC requests sent by everyone.
func (w *World) TotalRPCs() int64 { return w.totalRPCs }

// TotalBytes is the number of bytes sent by everyone.
func (w *World) TotalBytes() int64 { return w.totalBytes }

// Close ends every client process still parked and writes out the trace
// file. The world cannot be used afterwards.
func (w *World) Close() {
	if w.closing {
		return
	}
	w.closing = true
	for _, p := range w.procs {
		if !p.finished {
			p.wake <- struct{}{}
			<-w.parked
		}
	}
	if w.tr.out != nil {
		w.tr.out.Flush()
	}
}
