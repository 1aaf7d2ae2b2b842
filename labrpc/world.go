package labrpc

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"protolab/labgob"
	"protolab/labrpc/internal/goid"
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

	// Limits, so that a runaway run stops with an error naming the limit
	// instead of eating the machine's memory (docs/simulator.md, "Limits").
	// Zero means the default.
	//
	// MaxPending bounds the events waiting at once: timers set, messages in
	// flight (default 1,048,576, about 200 MB). A timer that sets two
	// timers, or a broadcast answered by broadcasts, passes it quickly.
	MaxPending int
	// MaxMessage bounds one RPC's args or reply, in bytes as labgob encodes
	// them (default labgob.DefaultMaxMessage, 64 MB).
	MaxMessage int
	// MaxEndpoints bounds nodes plus clients (default 1,048,576).
	MaxEndpoints int

	// Watchdog is how long, in real time, the world waits for node code or
	// a client process that does not return or block in the simulator's
	// way (a handler blocked on a channel, a mutex or time.Sleep; a client
	// loop that never yields) before it reports the node, what it was
	// running and the virtual time (default 5 s; negative turns it off).
	// The report goes to OnHang if set; otherwise it is printed, the trace
	// file is flushed, and the process exits, since the blocked goroutine
	// cannot be stopped.
	Watchdog time.Duration
	OnHang   func(error)

	// ClockDrift bounds how far nodes' clocks stray from true time: each
	// node's clock runs at its own rate in [1-ClockDrift, 1+ClockDrift],
	// drawn from the seed (clock.go). It must be in [0, 0.5); 0, the
	// default, gives every node true time.
	ClockDrift float64

	// Chooser, if set, takes every choice the world makes (labrpc's
	// choice.go; docs/explore.md): losses, delays, time-outs, and the order
	// of events due at the same time. Nil means the seed's network stream.
	Chooser Chooser
}

// Default limits (see Config).
const (
	DefaultMaxTime      = 30 * time.Minute
	DefaultMaxEvents    = 50_000_000
	DefaultMaxPending   = 1 << 20
	DefaultMaxEndpoints = 1 << 20
	DefaultWatchdog     = 5 * time.Second
	DefaultKeepTrace    = 4000
)

// withDefaults fills in the zero fields of cfg and refuses values that
// make no sense, naming the field and the fix.
func (cfg Config) withDefaults() (Config, error) {
	for _, f := range []struct {
		name string
		v    int64
	}{{"Nodes", int64(cfg.Nodes)}, {"MaxTime", int64(cfg.MaxTime)}, {"MaxEvents", cfg.MaxEvents},
		{"KeepTrace", int64(cfg.KeepTrace)}, {"MaxPending", int64(cfg.MaxPending)},
		{"MaxMessage", int64(cfg.MaxMessage)}, {"MaxEndpoints", int64(cfg.MaxEndpoints)}} {
		if f.v < 0 {
			return cfg, fmt.Errorf("labrpc: Config.%s = %d; it must be at least 0 (0 means the default)", f.name, f.v)
		}
	}
	if err := validClockDrift(cfg.ClockDrift); err != nil {
		return cfg, err
	}
	if cfg.Profile.Name == "" && cfg.Profile.Timeout == 0 {
		cfg.Profile = MustProfile("reliable")
	}
	if err := cfg.Profile.validate(); err != nil {
		return cfg, err
	}
	set := func(v *int64, def int64) {
		if *v == 0 {
			*v = def
		}
	}
	set((*int64)(&cfg.MaxTime), int64(DefaultMaxTime))
	set(&cfg.MaxEvents, DefaultMaxEvents)
	setInt := func(v *int, def int) {
		if *v == 0 {
			*v = def
		}
	}
	setInt(&cfg.KeepTrace, DefaultKeepTrace)
	setInt(&cfg.MaxPending, DefaultMaxPending)
	setInt(&cfg.MaxMessage, labgob.DefaultMaxMessage)
	setInt(&cfg.MaxEndpoints, DefaultMaxEndpoints)
	if cfg.Watchdog == 0 {
		cfg.Watchdog = DefaultWatchdog
	}
	if cfg.Nodes > cfg.MaxEndpoints {
		return cfg, fmt.Errorf("labrpc: Config.Nodes = %d passes the limit of %d endpoints (Config.MaxEndpoints); raise MaxEndpoints if the machine has the memory", cfg.Nodes, cfg.MaxEndpoints)
	}
	return cfg, nil
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
	chooser Chooser // Config.Chooser; nil: the seed's stream (choice.go)

	ends      []endpoint
	cuts      map[link]bool
	linkDelay map[link][2]time.Duration
	wire      *labgob.Wire         // one gob stream for every link
	links     map[link]labgob.Link // what each link has carried, for exact byte counts
	svcByName map[string]*serviceType
	routes    map[string]*route
	lastRoute *route // the last one resolve found (service.go)
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

	// Goroutines. Node code, world functions and the driver run on the
	// driver's goroutine; a process runs on its own. turn is the goroutine
	// allowed to call into the world right now (each one stores its own id
	// when it takes the turn); a call from any other is refused at once and
	// recorded in stray, which the driver picks up at its next event.
	driver    goid.ID
	driverNum int64 // its number in stack dumps, for the watchdog
	turn      atomic.Uintptr
	stray     atomic.Pointer[error]

	// The watchdog's view: beat counts entries into user code, bumped
	// after cur, doing and now are set; the watchdog reads them only once
	// beat has stood still for Config.Watchdog (see watchdog.go).
	beat     beat
	watching int

	totalRPCs, totalBytes int64
	calls                 int64   // calls made so far; the last one's Line.Call
	holding               int     // nodes paused or with held events (pause.go)
	freeCalls             []*call // finished calls to reuse (call.go)
	logBuf                []byte  // scratch for env.Logf's lines (logf.go)
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
	node   *node // nil for clients
	rand   *rand.Rand
	rpcs   int64 // RPCs sent
	bytes  int64 // bytes sent, requests and replies
	events int64 // events run at this endpoint
	timers int64 // timers set (After), for Silence
	group  int32
	// The Link of the last link this endpoint sent on, and that link's
	// peer plus one (0: none yet): a copy's per-link state found without
	// a lookup in World.links when a node sends to the peer it sent to
	// last (a server's replies to its one client, a client's calls).
	lastTo   int32
	lastLink labgob.Link
	disabled bool
	deaf     bool // requests to it are lost; see Deafen
}

// NewWorld returns a world with cfg.Nodes nodes, none of them started.
// A Config it cannot use (a negative count, a bad profile) is a panic whose
// message names the field and the fix. The goroutine that calls NewWorld is
// the world's driver: the one that runs events, and the only one besides
// the world's own processes (Go) that may call into it.
func NewWorld(cfg Config) *World {
	cfg, err := cfg.withDefaults()
	if err != nil {
		panic(err)
	}
	w := &World{
		cfg:       cfg,
		profile:   cfg.Profile,
		cuts:      map[link]bool{},
		linkDelay: map[link][2]time.Duration{},
		wire:      labgob.NewWire(),
		links:     map[link]labgob.Link{},
		svcByName: map[string]*serviceType{},
		routes:    map[string]*route{},
		tr:        newTrace(cfg.KeepTrace, cfg.TraceTo, cfg.Nodes),
		cur:       -1,
		parked:    make(chan struct{}),
		chooser:   cfg.Chooser,
	}
	w.tr.json = cfg.TraceJSON
	w.wire.SetLimit(cfg.MaxMessage)
	w.driver, w.driverNum = goid.Current(), goid.Number()
	w.turn.Store(uintptr(w.driver))
	w.netRand = w.randStream(streamNetwork, 0, 0)
	w.ends = make([]endpoint, cfg.Nodes)
	for i := range w.ends {
		w.ends[i].node = &node{id: i, persister: NewPersister()}
	}
	if cfg.ClockDrift > 0 {
		w.drawClocks()
	}
	notifyWatchers(w)
	return w
}

// Rand is the harness's random stream (nemesis choices, workloads), apart
// from the network's and the nodes', so that a test's own draws do not shift
// what the network does.
func (w *World) Rand() *rand.Rand {
	if !w.owned() {
		w.strayCall("World.Rand", -1)
	}
	if w.hRand == nil {
		w.hRand = w.randStream(streamHarness, 0, 0)
	}
	return w.hRand
}

// Seed is the run's seed.
func (w *World) Seed() int64 { return w.cfg.Seed }

// Now is the virtual time since the run began.
func (w *World) Now() time.Duration {
	if !w.owned() {
		w.strayCall("World.Now", -1)
	}
	return w.now
}

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
func (w *World) Err() error {
	w.adoptStray()
	return w.err
}

// Fail stops the run with err (the first failure wins). Checkers call it;
// so does the world itself on a misuse or a panic in node code.
func (w *World) Fail(err error) {
	if !w.owned() {
		w.strayCall("World.Fail", -1)
	}
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
func (w *World) Check(f func() error) {
	if !w.owned() {
		w.strayCall("World.Check", -1)
	}
	if f == nil {
		w.refuse(fmt.Errorf("labrpc: World.Check(nil): pass a function that returns an error when the invariant fails"))
		return
	}
	w.checks = append(w.checks, f)
}

// Note adds a line of the test's own to the trace ("leader 2 cut off").
func (w *World) Note(format string, args ...any) {
	if !w.owned() {
		w.strayCall("World.Note", -1)
	}
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
	w.tr.add(&l, nil)
}

// traceCall records a line of a call to route r (its Method is r's) at
// the current step. It takes the line's fields rather than a Line: see
// trace.addCall.
func (w *World) traceCall(node int, kind Kind, peer int, r *route, bytes int, text string, call int64, reply any) {
	w.tr.addCall(w.steps, w.now, node, kind, peer, r, bytes, text, call, reply)
}

// mark records a line that involves no peer: a start, a crash, a log line,
// a fault, a note. node is -1 for the world.
func (w *World) mark(node int, kind Kind, text string) {
	w.tr.add(&Line{Step: w.steps, At: w.now, Node: node, Kind: kind, Peer: -1, Text: text}, nil)
}

func (w *World) fault(text string) { w.mark(-1, KindFault, text) }

// refuse stops the run with err, a misuse of the driver's API, and stops
// the caller at once if it is the driver or a process (node code and world
// functions return, and the run stops after their event).
func (w *World) refuse(err error) {
	w.Fail(err)
	if w.ctx == ctxDriver || w.ctx == ctxProc {
		w.stopCaller()
	}
}

// nodeID reports whether id names a node, refusing the call otherwise.
func (w *World) nodeID(call string, id int) bool {
	if id >= 0 && id < w.cfg.Nodes {
		return true
	}
	nodes := fmt.Sprintf("nodes are 0..%d", w.cfg.Nodes-1)
	if w.cfg.Nodes == 0 {
		nodes = "there are no nodes"
	}
	w.refuse(fmt.Errorf("labrpc: %s(%d): no such node; %s (Config.Nodes = %d)", call, id, nodes, w.cfg.Nodes))
	return false
}

// endpointID is nodeID for calls that take clients too.
func (w *World) endpointID(call string, id int) bool {
	if id >= 0 && id < len(w.ends) {
		return true
	}
	w.refuse(fmt.Errorf("labrpc: %s(%d): no endpoint %d: nodes are 0..%d and clients %d..%d", call, id, id, w.cfg.Nodes-1, w.cfg.Nodes, len(w.ends)-1))
	return false
}

// deadline is the virtual time d from now, for a call that schedules
// something: a negative d would move time backwards, and one past the end
// of time would wrap around to a negative time. Both are refused here, at
// the world, for every caller.
func (w *World) deadline(call string, node int, d time.Duration) (time.Duration, bool) {
	if d >= 0 && d <= math.MaxInt64-w.now {
		return w.now + d, true
	}
	return w.badDuration(call, node, d)
}

func (w *World) badDuration(call string, node int, d time.Duration) (time.Duration, bool) {
	who := ""
	if node >= 0 {
		who = " by " + w.Name(node)
	}
	if d < 0 {
		w.misuse(fmt.Errorf("labrpc: %s(%v)%s at %s: a negative duration would move virtual time backwards; pass d >= 0 (for a deadline, max(0, deadline-now))", call, d, who, fmtTime(w.now)))
	} else {
		w.misuse(fmt.Errorf("labrpc: %s(%v)%s at %s: that is past the end of virtual time (it would wrap around to a negative time); pass a duration within the run's budget (Config.MaxTime = %v)", call, d, who, fmtTime(w.now), w.cfg.MaxTime))
	}
	return 0, false
}

func (w *World) checkID(id int) bool {
	if id < 0 || id >= len(w.ends) {
		w.misuse(fmt.Errorf("labrpc: no endpoint %d: nodes are 0..%d and clients %d..%d", id, w.cfg.Nodes-1, w.cfg.Nodes, len(w.ends)-1))
		return false
	}
	return true
}

func (w *World) schedule(at time.Duration, e event) {
	if s := w.newEvent(at); s != nil {
		e.at, e.seq = s.at, s.seq
		*s = e
	}
}

// newEvent queues an event due at at and returns it for the caller to fill
// in, every field but at and seq (queue.add); nil if MaxPending events are
// pending already, which stops the run.
func (w *World) newEvent(at time.Duration) *event {
	if w.q.len() >= w.cfg.MaxPending {
		if w.err == nil {
			w.Fail(fmt.Errorf("labrpc: %d events are pending at once at %s, the limit (Config.MaxPending)%s: a timer that sets more than one timer, or messages that each send more? Raise Config.MaxPending if the run really needs more",
				w.q.len(), fmtTime(w.now), w.busiest()))
		}
		return nil
	}
	e := w.q.add(at, w.seq)
	w.seq++
	return e
}

// scheduleCall queues an event of call c (a request's delivery, a reply's
// arrival with its copy val of size bytes, a loss) for endpoint node's
// incarnation inc, counting it in the call's refs (call.go). It fills the
// event in place: this is the path every RPC takes, twice.
func (w *World) scheduleCall(at time.Duration, kind eventKind, node int32, inc uint32, c *call, val any, size int32) {
	e := w.newEvent(at)
	if e == nil {
		return
	}
	c.refs++
	e.c, e.val = c, val
	e.kind, e.node, e.inc, e.n = kind, node, inc, size
	// A call's event has no function, timer or process. The slot's are nil
	// already unless its last event had one: writing a pointer costs a
	// write barrier whenever the garbage collector is marking, so they are
	// cleared only then.
	if e.fn != nil || e.tm != nil || e.p != nil {
		e.fn, e.tm, e.p = nil, nil, nil
	}
}

// At runs f at virtual time now+d, as the world rather than as a node: the
// harness's way to schedule faults (partitions, crashes) and checks. f must
// not block.
func (w *World) At(d time.Duration, f func()) {
	if !w.owned() {
		w.strayCall("World.At", -1)
	}
	if w.err != nil {
		w.stopCaller()
		return
	}
	if f == nil {
		w.refuse(fmt.Errorf("labrpc: World.At(%v, nil): pass the function to run", d))
		return
	}
	at, ok := w.deadline("World.At", -1, d)
	if !ok {
		w.stopCaller()
		return
	}
	w.schedule(at, event{kind: evWorld, node: -1, fn: f})
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
	if w.stray.Load() != nil {
		w.adoptStray()
	}
	for {
		if w.err != nil || w.q.len() == 0 {
			return false
		}
		idx := w.q.popSlot()
		ev := &w.q.slab[idx] // run from its slot, not a copy (queue.add)
		if w.stale(ev) {
			if ev.c != nil {
				w.release(ev.c)
			}
			w.q.freeSlot(idx)
			continue
		}
		if w.chooser != nil || w.holding > 0 {
			// Ordering ties puts events back in the queue, and holding
			// keeps them: both take the event out of its slot first.
			own := *ev
			w.q.freeSlot(idx)
			idx, ev = -1, &own
			if w.chooser != nil {
				own = w.orderTies(own) // which of the events due now runs first (choice.go)
			}
			if w.holding > 0 && w.hold(ev) {
				continue // its node is paused (pause.go)
			}
		}
		if ev.at > w.cfg.MaxTime {
			w.Fail(fmt.Errorf("labrpc: virtual time passed its budget of %v (Config.MaxTime) at step %d: is the test waiting for something that never happens?%s", w.cfg.MaxTime, w.steps, w.unansweredNote()))
			return false
		}
		w.now = ev.at
		w.steps++
		if w.steps > w.cfg.MaxEvents {
			w.Fail(fmt.Errorf("labrpc: the run passed its budget of %d events (Config.MaxEvents) at %s%s: a livelock, or a timer loop that never stops?",
				w.cfg.MaxEvents, fmtTime(w.now), w.busiest()))
			return false
		}
		// The slot stays taken while the event runs, so the events it
		// schedules cannot overwrite it; if they grow the slab, ev still
		// points at the old one, which holds the same event.
		w.fire(ev)
		if ev.c != nil {
			w.release(ev.c)
		}
		if idx >= 0 {
			w.q.freeSlot(idx)
		}
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
			if ie, ok := r.(*InvariantError); ok {
				// Not a crash of the code but a check it made: say so.
				w.Fail(fmt.Errorf("%s broke an invariant in %s at %s: %s: %s\n%s", who, w.doing, fmtTime(w.now), ie.Invariant, ie.Detail, trimStack(debug.Stack())))
				return
			}
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
	case evResume:
		w.resumeNode(int(ev.n), ev.inc)
	case evDrain:
		w.drain(int(ev.n))
	}
}

// runAt runs f as endpoint id in the given context.
func (w *World) runAt(id int, ctx runContext, doing string, f func()) {
	prevCtx, prevCur := w.ctx, w.cur
	w.ctx, w.cur, w.doing = ctx, id, doing
	w.beat.bump()
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
func (w *World) RPCs(id int) int64 {
	if !w.endpointID("World.RPCs", id) {
		return 0
	}
	return w.ends[id].rpcs
}

// Bytes is the number of bytes endpoint id has sent, requests and replies,
// as labgob encodes them.
func (w *World) Bytes(id int) int64 {
	if !w.endpointID("World.Bytes", id) {
		return 0
	}
	return w.ends[id].bytes
}

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
	w.tr.flush()
}

// owned is the first check of every call into the world: a call from a
// goroutine that does not hold the turn (a goroutine started by node code,
// say) is refused with strayCall, and that goroutine ends there. Comparing
// goroutine ids costs a nanosecond or two, so even Env.Now can afford it;
// the check is written out at each call site so that it inlines.
func (w *World) owned() bool { return goid.Current() == goid.ID(w.turn.Load()) }

// strayCall records a call from a goroutine the world does not run, for the
// driver to fail the run with at its next event, and ends that goroutine:
// letting it go on would race with the node code the driver is running.
func (w *World) strayCall(call string, node int) {
	who := "code"
	if node >= 0 {
		who = w.Name(node) // reads only the node count, fixed at NewWorld
	}
	err := fmt.Errorf("labrpc: %s called by %s from a goroutine the simulator does not run: node code runs one event at a time, in handlers and timers; use env.After for a timer (a goroutine or time.Ticker started in Make never gets a turn), and World.Go for a client process", call, who)
	w.stray.CompareAndSwap(nil, &err)
	runtime.Goexit()
}

// adoptStray fails the run with a recorded stray call (driver only).
func (w *World) adoptStray() {
	if p := w.stray.Load(); p != nil && w.err == nil {
		w.Fail(*p)
	}
}

// Silence explains a run in which no node ever did anything: no node set
// a timer or sent a message. That is what a node looks like whose Make
// starts a goroutine (or a time.Ticker) instead of calling env.After: the
// simulator never runs it, so the election timer the tests wait for is
// missing. It is "" when some node acted, or none was started.
func (w *World) Silence() string {
	var started []string
	for i := 0; i < w.cfg.Nodes; i++ {
		e := &w.ends[i]
		if e.node.inc == 0 {
			continue
		}
		if e.timers > 0 || e.rpcs > 0 {
			return ""
		}
		started = append(started, w.Name(i))
	}
	if len(started) == 0 {
		return ""
	}
	return fmt.Sprintf("no node set a timer or sent a message in %s of virtual time (%s): a node acts only in its handlers and in timers set with env.After. If these nodes should act on their own (an election timer, a heartbeat, a probe), that is the cause: a goroutine or time.Ticker started in Make never gets a turn; set the first timer in Make with env.After, and have each timer set the next. (A server that only answers requests, as lab 1's does, needs no timer: then look elsewhere)",
		fmtTime(w.now), strings.Join(started, ", "))
}
