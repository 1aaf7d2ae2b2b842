// Package live hosts protolab nodes outside the simulator: each node's
// events run one at a time on a goroutine of its own, its timers on the
// real clock, its RPCs over TCP, its stable storage in a file. The node is
// the very code the simulator runs (raft.Make, paxos.Make, gossip.MakeSwim,
// a lab 6 service): it sees only labrpc.Env, and cannot tell the hosts
// apart, except that time is real and nothing replays.
//
// What the host keeps of the simulator's contract (docs/simulator.md):
//
//   - one event at a time: an RPC handler, a timer, a call's completion, a
//     boot, or a function the host runs for a client (Do), each to the end
//     before the next; the node's clock (Env.Now) is frozen for the length
//     of an event, as in virtual time;
//   - Call completes exactly once, as its own event: done(true) with the
//     reply, or done(false) when the peer is unreachable, the connection
//     breaks or no reply comes within Config.CallTimeout;
//   - deferred replies (a handler that takes respond func());
//   - the misuse errors: an unknown "Service.Method", a handler of the
//     wrong shape, an unexported field, a reply that is not a fresh zero
//     value. They stop the node (Err, Done), as they stop a simulated run;
//   - stable storage written before any message the event produced leaves
//     (persist.go), so a SIGKILL loses nothing a peer was told.
//
// What changes: time is real, so a run cannot be replayed, only recorded
// (Config.Trace writes the simulator's JSON trace lines, which lab tools
// read); randomness is seeded per incarnation from Config.Seed.
//
// Host code may use goroutines, sockets and the wall clock; node code
// still may not (a goroutine the node starts would race with its events).
// The handout is docs/live.md.
package live

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"protolab/labgob"
	"protolab/labrpc"
)

// DefaultCallTimeout is how long a call waits for its reply before it
// completes with done(false), unless Config.CallTimeout says otherwise.
const DefaultCallTimeout = time.Second

// Config says where a node runs and what it keeps.
type Config struct {
	// Me is the node's id, an index into Addrs.
	Me int
	// Addrs is where each node of the group is reached (host:port): the
	// node's own listener, or a proxy in front of it (lab chaos).
	Addrs []string
	// Listener is where this node takes requests; nil listens on
	// Addrs[Me].
	Listener net.Listener
	// Dir keeps the node's stable storage (a file, written atomically); ""
	// keeps it in Persister, in memory.
	Dir string
	// Persister is the storage to start from when Dir is "" (nil: empty);
	// a test that restarts a node in one process passes the last
	// incarnation's (Node.Persister).
	Persister *labrpc.Persister
	// Seed and Incarnation seed the node's random stream, with Me.
	Seed        int64
	Incarnation uint32
	// Epoch is when the node's clock reads zero; zero means now. Nodes of
	// one cluster share it, so that their trace times line up.
	Epoch time.Time
	// CallTimeout bounds a call's wait for its reply (DefaultCallTimeout
	// if zero).
	CallTimeout time.Duration
	// Trace, if set, receives the node's trace as JSON lines (the
	// simulator's format: labrpc.Line), without a header: a live run has
	// no seed to replay.
	Trace io.Writer
}

// A Node is one incarnation of a hosted node. Stop ends it; a restart is a
// new Start with the same Dir (or Persister).
type Node struct {
	cfg   Config
	epoch time.Time
	nodes int

	mu       sync.Mutex
	queue    []func()
	wake     chan struct{}
	stopping bool
	err      error
	done     chan struct{}

	out *outbound
	in  *inbound

	// Owned by the event loop.
	svcs      *labrpc.Services
	env       *env
	persister *labrpc.Persister
	saves     int
	now       time.Duration
	step      int64
	calls     map[uint64]*call
	lastCall  uint64
	outbox    []outgoing
	trace     *bufio.Writer
}

// call is a call this node made that has not completed.
type call struct {
	to     int
	method string
	reply  any
	done   func(ok bool)
	timer  *time.Timer
}

// outgoing is a frame an event produced, sent once the event has ended
// and stable storage is written.
type outgoing struct {
	f    *Frame
	back *writer // a reply's connection; nil for a request
}

// Start boots a node with boot, as World.Start does, and returns once the
// boot event has run. It fails if the node's storage cannot be read, its
// listener cannot be opened, or boot's objects are not valid services.
func Start(cfg Config, boot labrpc.Boot) (*Node, error) {
	if cfg.Me < 0 || cfg.Me >= len(cfg.Addrs) {
		return nil, fmt.Errorf("live: Config.Me = %d, but Addrs names %d node(s): give every node's address, this one's included, in id order", cfg.Me, len(cfg.Addrs))
	}
	if boot == nil {
		return nil, errors.New("live: Start: boot function is nil")
	}
	if cfg.CallTimeout <= 0 {
		cfg.CallTimeout = DefaultCallTimeout
	}
	if cfg.Incarnation == 0 {
		cfg.Incarnation = 1
	}
	n := &Node{cfg: cfg, epoch: cfg.Epoch, nodes: len(cfg.Addrs), wake: make(chan struct{}, 1), done: make(chan struct{}), calls: map[uint64]*call{}}
	if n.epoch.IsZero() {
		n.epoch = time.Now()
	}
	var err error
	switch {
	case cfg.Dir != "":
		if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("live: node %d's storage: %w", cfg.Me, err)
		}
		if n.persister, err = loadPersister(cfg.Dir); err != nil {
			return nil, err
		}
	case cfg.Persister != nil:
		n.persister = labrpc.LoadPersister(cfg.Persister.ReadState(), cfg.Persister.ReadSnapshot())
	default:
		n.persister = labrpc.NewPersister()
	}
	n.saves = n.persister.Saves()
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addrs[cfg.Me]); err != nil {
			return nil, fmt.Errorf("live: node %d cannot listen on %s: %w", cfg.Me, cfg.Addrs[cfg.Me], err)
		}
	}
	if cfg.Trace != nil {
		n.trace = bufio.NewWriterSize(cfg.Trace, 64<<10)
	}
	n.env = &env{n: n, rand: rand.New(rand.NewPCG(uint64(cfg.Seed), uint64(cfg.Me)<<32|uint64(cfg.Incarnation)))}
	for i := range n.nodes {
		n.env.peers = append(n.env.peers, i)
	}
	n.out = newOutbound(cfg.Addrs,
		func(f *Frame) { n.post(func() { n.finish(f.Call, f, "") }) },
		func(calls []uint64) {
			n.post(func() {
				for _, c := range calls {
					n.finish(c, nil, "connection failed")
				}
			})
		})
	booted := make(chan error, 1)
	n.post(func() {
		n.line(labrpc.Line{Kind: labrpc.KindStart, Peer: -1, Text: fmt.Sprintf("incarnation %d (live, listening on %s)", cfg.Incarnation, ln.Addr())})
		obj := boot(n.env)
		if n.failed() {
			return
		}
		svcs, err := labrpc.NewServices(obj)
		if err != nil {
			n.fail(fmt.Errorf("labrpc: starting node %d: %w", cfg.Me, err))
			return
		}
		n.svcs = svcs
		booted <- nil
	})
	// Requests queue up behind the boot event, so the loop starts last.
	n.in = serve(ln, func(f *Frame, back *writer) { n.post(func() { n.serve(f, back) }) })
	go n.loop()
	select {
	case <-booted:
	case <-n.done:
		return nil, n.Err()
	}
	return n, nil
}

// Addr is where the node listens.
func (n *Node) Addr() string { return n.cfg.Addrs[n.cfg.Me] }

// post queues f as an event. Events of a stopped node are dropped.
func (n *Node) post(f func()) {
	n.mu.Lock()
	if n.stopping {
		n.mu.Unlock()
		return
	}
	n.queue = append(n.queue, f)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// loop runs the node's events one at a time until it stops.
func (n *Node) loop() {
	defer n.shutdown()
	for {
		n.mu.Lock()
		batch, stopping := n.queue, n.stopping
		n.queue = nil
		n.mu.Unlock()
		if stopping {
			return
		}
		for _, f := range batch {
			n.event(f)
			if n.failed() {
				return
			}
		}
		if n.trace != nil {
			n.trace.Flush()
		}
		if len(batch) == 0 {
			<-n.wake
		}
	}
}

// event runs f as one event: the clock frozen, a panic reported as the
// node's failure, then stable storage written, then the messages sent.
func (n *Node) event(f func()) {
	n.mu.Lock()
	stopping := n.stopping
	n.mu.Unlock()
	if stopping {
		return
	}
	n.now = time.Since(n.epoch)
	n.step++
	func() {
		defer func() {
			if r := recover(); r != nil {
				n.fail(fmt.Errorf("live: node %d panicked: %v\n%s", n.cfg.Me, r, debug.Stack()))
			}
		}()
		f()
	}()
	if n.failed() {
		return
	}
	if s := n.persister.Saves(); s != n.saves {
		n.saves = s
		if n.cfg.Dir != "" {
			if err := savePersister(n.cfg.Dir, n.persister); err != nil {
				n.fail(fmt.Errorf("live: node %d cannot write its stable storage in %s: %w", n.cfg.Me, n.cfg.Dir, err))
				return
			}
		}
	}
	for _, o := range n.outbox {
		switch {
		case o.back != nil:
			o.back.put(o.f)
		case !n.out.send(o.f):
			call := o.f.Call
			n.post(func() { n.finish(call, nil, "too many messages queued") })
		}
	}
	clear(n.outbox)
	n.outbox = n.outbox[:0]
}

// shutdown closes the node's sockets and timers once its loop ends.
func (n *Node) shutdown() {
	n.mu.Lock()
	n.stopping = true
	n.queue = nil
	n.mu.Unlock()
	n.in.close()
	n.out.close()
	for _, c := range n.calls {
		c.timer.Stop()
	}
	if n.trace != nil {
		n.now = time.Since(n.epoch)
		if n.err != nil {
			n.line(labrpc.Line{Kind: labrpc.KindNote, Peer: -1, Text: "FAIL: " + firstLine(n.err.Error())})
		}
		n.line(labrpc.Line{Kind: labrpc.KindCrash, Peer: -1, Text: "stopped"})
		n.trace.Flush()
	}
	close(n.done)
}

// Stop ends this incarnation, as a crash does: its timers, calls in flight
// and unanswered requests are gone; its stable storage stays.
func (n *Node) Stop() {
	n.mu.Lock()
	n.stopping = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
	<-n.done
}

// Done is closed once the node has stopped: by Stop, or by a failure.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err is why the node stopped by itself (a misuse, a panic, a disk that
// cannot be written), or nil.
func (n *Node) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

func (n *Node) fail(err error) {
	n.mu.Lock()
	if n.err == nil {
		n.err = err
	}
	n.mu.Unlock()
}

func (n *Node) failed() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err != nil
}

// Do runs f as one of the node's events and waits for it: how host code
// (a test, the serve command) reaches the node's objects safely. It
// returns an error if the node has stopped.
func (n *Node) Do(f func()) error {
	ran := make(chan struct{})
	n.post(func() { f(); close(ran) })
	select {
	case <-ran:
		return nil
	case <-n.done:
		if err := n.Err(); err != nil {
			return err
		}
		return fmt.Errorf("live: node %d has stopped", n.cfg.Me)
	}
}

// Service is the node's registered object named name ("Raft"); call its
// methods only inside Do.
func (n *Node) Service(name string) any {
	var s any
	n.Do(func() { s = n.svcs.Service(name) })
	return s
}

// Persister is a copy of the node's stable storage as it is now, for a
// restart in the same process (Config.Persister).
func (n *Node) Persister() *labrpc.Persister {
	var p *labrpc.Persister
	if n.Do(func() { p = labrpc.LoadPersister(n.persister.ReadState(), n.persister.ReadSnapshot()) }) != nil {
		select {
		case <-n.done: // stopped: the loop no longer touches it
			p = labrpc.LoadPersister(n.persister.ReadState(), n.persister.ReadSnapshot())
		default:
		}
	}
	return p
}

// callID numbers a call for the trace, the same at both ends: the
// caller's endpoint and its own number for the call.
func callID(from int, call uint64) int64 { return int64(from+1)<<32 | int64(call&(1<<32-1)) }

// line adds a line to the node's trace.
func (n *Node) line(l labrpc.Line) {
	if n.trace == nil {
		return
	}
	// Every line of an event has the event's time, so that merging the
	// traces of several nodes by time keeps each event's lines together.
	l.Step, l.At, l.Node = n.step, n.now, n.cfg.Me
	b, _ := l.MarshalJSON()
	n.trace.Write(append(b, '\n'))
}

// call sends an RPC (Env.Call).
func (n *Node) call(to int, method string, args, reply any, done func(ok bool)) {
	if done == nil {
		n.fail(fmt.Errorf("labrpc: n%d called %s with a nil done function; pass func(ok bool) { ... } to handle the reply", n.cfg.Me, method))
		return
	}
	if to < 0 || to >= n.nodes {
		n.fail(fmt.Errorf("labrpc: Call(%q) to %d: nodes are 0..%d", method, to, n.nodes-1))
		return
	}
	if err := checkCall(n.svcs, method, args, reply); err != nil {
		n.fail(err)
		return
	}
	body, err := encode(args)
	if err != nil {
		n.fail(fmt.Errorf("labrpc: Call(%q): %w", method, err))
		return
	}
	n.lastCall++
	id := n.lastCall
	c := &call{to: to, method: method, reply: reply, done: done}
	c.timer = time.AfterFunc(n.cfg.CallTimeout, func() { n.post(func() { n.finish(id, nil, "no reply in time") }) })
	n.calls[id] = c
	n.line(labrpc.Line{Kind: labrpc.KindSend, Peer: to, Method: method, Bytes: len(body), Call: callID(n.cfg.Me, id)})
	n.outbox = append(n.outbox, outgoing{f: &Frame{Kind: KindRequest, From: n.cfg.Me, To: to, Call: id, Method: method, Body: body}})
}

// checkCall checks what a caller can get wrong, before the call leaves:
// with the simulator's messages. The handler's types are known only when
// this endpoint runs the same service (a Raft peer calling a Raft peer);
// otherwise the server checks, and refuses.
func checkCall(svcs *labrpc.Services, method string, args, reply any) error {
	if svcs != nil {
		svc, _, _ := strings.Cut(method, ".")
		if svcs.Service(svc) != nil {
			m, err := svcs.Method(method)
			if err != nil {
				return err
			}
			if at := reflect.TypeOf(args); at != m.ArgType() {
				return fmt.Errorf("labrpc: Call(%q): args is a %v but the handler takes a %v", method, at, m.ArgType())
			}
			if rt := reflect.TypeOf(reply); rt != m.ReplyType() {
				return fmt.Errorf("labrpc: Call(%q): reply is a %v but the handler fills a %v", method, rt, m.ReplyType())
			}
		}
	}
	if reply == nil || reflect.TypeOf(reply).Kind() != reflect.Pointer {
		return fmt.Errorf("labrpc: Call(%q): reply is a %T; pass a pointer to a fresh reply struct", method, reply)
	}
	if err := labgob.CheckZero(reply); err != nil {
		return fmt.Errorf("labrpc: Call(%q): %w", method, err)
	}
	return nil
}

// finish completes call id: with f's reply, with f's refusal (a misuse the
// server found, which stops this node), or lost (f nil).
func (n *Node) finish(id uint64, f *Frame, why string) {
	c, ok := n.calls[id]
	if !ok {
		return // completed already: a duplicate, or a reply after the time-out
	}
	delete(n.calls, id)
	c.timer.Stop()
	switch {
	case f == nil:
		n.line(labrpc.Line{Kind: labrpc.KindLost, Peer: c.to, Method: c.method, Text: why, Call: callID(n.cfg.Me, id)})
		c.done(false)
	case f.Kind == KindRefused:
		n.fail(fmt.Errorf("%s (refused by n%d)", f.Body, c.to))
	default:
		v, err := decodeInto(f.Body, reflect.TypeOf(c.reply))
		if err != nil {
			n.fail(fmt.Errorf("labrpc: reply of %s from n%d: %w", c.method, c.to, err))
			return
		}
		reflect.ValueOf(c.reply).Elem().Set(v.Elem())
		n.line(labrpc.Line{Kind: labrpc.KindReply, Peer: c.to, Method: c.method, Bytes: len(f.Body), Call: callID(n.cfg.Me, id)})
		c.done(true)
	}
}

// request is a request this node took: its reply goes back on back.
type request struct {
	f     *Frame
	back  *writer
	reply reflect.Value
	sent  bool
}

// serve runs the handler a request names.
func (n *Node) serve(f *Frame, back *writer) {
	m, err := n.svcs.Method(f.Method)
	if err == nil && f.To != n.cfg.Me {
		err = fmt.Errorf("labrpc: Call(%q) for n%d reached n%d: the addresses (Config.Addrs, or the cluster file) list the nodes out of order", f.Method, f.To, n.cfg.Me)
	}
	var args reflect.Value
	if err == nil {
		if args, err = decodeInto(f.Body, m.ArgType()); err != nil {
			err = fmt.Errorf("labrpc: Call(%q): args do not decode as the handler's %v: %w", f.Method, m.ArgType(), err)
		}
	}
	if err != nil {
		n.line(labrpc.Line{Kind: labrpc.KindNote, Peer: f.From, Method: f.Method, Text: "refused: " + firstLine(err.Error())})
		n.outbox = append(n.outbox, outgoing{back: back, f: &Frame{Kind: KindRefused, From: n.cfg.Me, To: f.From, Call: f.Call, Method: f.Method, Body: []byte(err.Error())}})
		return
	}
	n.line(labrpc.Line{Kind: labrpc.KindRecv, Peer: f.From, Method: f.Method, Call: callID(f.From, f.Call)})
	r := &request{f: f, back: back, reply: reflect.New(m.ReplyType().Elem())}
	m.Invoke(args, r.reply, func() { n.respond(r) })
	if !m.Deferred() && !n.failed() {
		n.respond(r)
	}
}

// respond sends a request's reply, as the handler left it.
func (n *Node) respond(r *request) {
	if n.failed() {
		return
	}
	if r.sent {
		n.fail(fmt.Errorf("labrpc: n%d called respond twice for %s (from %s): a request gets one reply; call respond exactly once, when the reply is complete",
			n.cfg.Me, r.f.Method, labrpc.EndpointName(r.f.From, n.nodes)))
		return
	}
	r.sent = true
	body, err := encode(r.reply.Interface())
	if err != nil {
		n.fail(fmt.Errorf("labrpc: reply of %s: %w", r.f.Method, err))
		return
	}
	n.outbox = append(n.outbox, outgoing{back: r.back, f: &Frame{Kind: KindReply, From: n.cfg.Me, To: r.f.From, Call: r.f.Call, Method: r.f.Method, Body: body}})
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// env is the Env of one incarnation.
type env struct {
	n     *Node
	rand  *rand.Rand
	peers []int
}

func (e *env) Me() int                      { return e.n.cfg.Me }
func (e *env) Peers() []int                 { return append([]int(nil), e.peers...) }
func (e *env) Now() time.Duration           { return e.n.now }
func (e *env) Rand() *rand.Rand             { return e.rand }
func (e *env) Persister() *labrpc.Persister { return e.n.persister }

func (e *env) Call(to int, method string, args, reply any, done func(ok bool)) {
	e.n.call(to, method, args, reply, done)
}

// After sets a real-time timer; its firing is an event of the node.
func (e *env) After(d time.Duration, f func()) (cancel func()) {
	n := e.n
	if f == nil {
		n.fail(fmt.Errorf("labrpc: n%d passed a nil function to After", n.cfg.Me))
		return func() {}
	}
	if d < 0 {
		n.fail(fmt.Errorf("labrpc: n%d called After(%v): a delay cannot be negative", n.cfg.Me, d))
		return func() {}
	}
	cancelled := false // touched only by the node's events
	t := time.AfterFunc(d, func() {
		n.post(func() {
			if !cancelled {
				cancelled = true
				f()
			}
		})
	})
	return func() {
		cancelled = true
		t.Stop()
	}
}

func (e *env) Logf(topic string, format string, args ...any) {
	e.n.line(labrpc.Line{Kind: labrpc.KindLog, Peer: -1, Text: topic + ": " + fmt.Sprintf(format, args...)})
}
