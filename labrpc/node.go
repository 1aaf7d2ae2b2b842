package labrpc

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"time"
)

// Boot builds a node's object from its Env; the world registers what it
// returns as the node's RPC services. Return one service (the usual case:
// `return raft.Make(env, env.Persister(), apply)`), or a []any of several
// (a key/value server and the Raft under it).
type Boot func(env Env) any

// node is a server's slot in the world. Its incarnation changes at every
// start, so events of an earlier incarnation can be told apart and dropped.
type node struct {
	id        int
	alive     bool
	inc       uint32
	boot      Boot
	services  map[string]reflect.Value
	persister *Persister

	// The service this incarnation was last called on, and its receiver:
	// a delivery to the service called last (the usual case) finds it
	// without hashing the service's name (receiver).
	lastSvc  *serviceType
	lastRcvr reflect.Value

	// Requests taken by deferred handlers (respond.go), in arrival order,
	// and how many of them still wait for respond.
	waiting    []*deferred
	unanswered int

	pause pauseState // see pause.go
	clock *nodeClock // nil: true time (clock.go)
}

// Start boots node id with boot, giving it the node's Persister (empty at
// first, whatever the last incarnation saved after a crash).
func (w *World) Start(id int, boot Boot) {
	if !w.owned() {
		w.strayCall("World.Start", -1)
	}
	if id < 0 || id >= w.cfg.Nodes {
		w.misuse(fmt.Errorf("labrpc: Start(%d): nodes are 0..%d (Config.Nodes = %d)", id, w.cfg.Nodes-1, w.cfg.Nodes))
		return
	}
	n := w.ends[id].node
	if n.alive {
		w.misuse(fmt.Errorf("labrpc: Start(%d): node %d is already running; Crash it first, or use Restart", id, id))
		return
	}
	if boot == nil {
		w.misuse(fmt.Errorf("labrpc: Start(%d): boot function is nil", id))
		return
	}
	n.inc++
	n.alive = true
	n.boot = boot
	n.services = map[string]reflect.Value{}
	n.lastSvc, n.lastRcvr = nil, reflect.Value{}
	env := &nodeEnv{w: w, n: n, inc: n.inc, rand: w.randStream(streamNode, uint64(id), uint64(n.inc))}
	w.mark(id, KindStart, fmt.Sprintf("incarnation %d", n.inc))
	var obj any
	func() {
		w.watchBegin()
		defer w.watchEnd()
		w.runAt(id, ctxNode, "its boot function", func() { obj = boot(env) })
	}()
	if w.err != nil {
		return
	}
	objs, isList := obj.([]any)
	if !isList {
		objs = []any{obj}
	}
	for _, o := range objs {
		if err := w.register(n, o); err != nil {
			w.misuse(fmt.Errorf("labrpc: starting node %d: %w", id, err))
			return
		}
	}
}

// receiver is the object of this incarnation that serves st, or the zero
// Value if it runs no such service.
func (n *node) receiver(st *serviceType) reflect.Value {
	if n.lastSvc == st {
		return n.lastRcvr
	}
	rcvr := n.services[st.name]
	if rcvr.IsValid() {
		n.lastSvc, n.lastRcvr = st, rcvr
	}
	return rcvr
}

func (w *World) register(n *node, obj any) error {
	st, err := inspect(obj)
	if err != nil {
		return err
	}
	if _, dup := n.services[st.name]; dup {
		return fmt.Errorf("labrpc: two services named %s on one node; each service type may be registered once", st.name)
	}
	n.services[st.name] = reflect.ValueOf(obj)
	if other, ok := w.svcByName[st.name]; ok && other != st {
		return fmt.Errorf("labrpc: two different types are both named %s; rename one", st.name)
	}
	w.svcByName[st.name] = st
	return nil
}

// Crash stops node id: its object, its timers and its calls in flight are
// gone, and replies to them are dropped. Its Persister survives.
func (w *World) Crash(id int) {
	if !w.owned() {
		w.strayCall("World.Crash", -1)
	}
	if id < 0 || id >= w.cfg.Nodes {
		w.misuse(fmt.Errorf("labrpc: Crash(%d): nodes are 0..%d", id, w.cfg.Nodes-1))
		return
	}
	n := w.ends[id].node
	if !n.alive {
		return
	}
	n.alive = false
	n.services = nil
	n.lastSvc, n.lastRcvr = nil, reflect.Value{}
	n.persister = n.persister.copy()
	w.mark(id, KindCrash, "")
	if n.pause.paused {
		w.endPause(id)
	}
	if len(n.waiting) > 0 {
		w.loseUnanswered(n)
	}
}

// Restart crashes node id if it is running, then starts it again with the
// boot function it was last started with, from its Persister.
func (w *World) Restart(id int) {
	if !w.owned() {
		w.strayCall("World.Restart", -1)
	}
	if id < 0 || id >= w.cfg.Nodes || w.ends[id].node.boot == nil {
		w.misuse(fmt.Errorf("labrpc: Restart(%d): the node was never started; use Start", id))
		return
	}
	w.Crash(id)
	w.Start(id, w.ends[id].node.boot)
}

// Alive reports whether node id is running.
func (w *World) Alive(id int) bool {
	if !w.owned() {
		w.strayCall("World.Alive", -1)
	}
	return w.nodeID("World.Alive", id) && w.ends[id].node.alive
}

// Persister returns node id's stable storage.
func (w *World) Persister(id int) *Persister {
	if !w.owned() {
		w.strayCall("World.Persister", -1)
	}
	if !w.nodeID("World.Persister", id) {
		return nil
	}
	return w.ends[id].node.persister
}

// Service returns node id's registered service of that name (its current
// incarnation's object), or nil: how a test reaches a node's API
// (`w.Service(2, "Raft").(*raft.Raft).GetState()`).
func (w *World) Service(id int, name string) any {
	if !w.owned() {
		w.strayCall("World.Service", -1)
	}
	if !w.nodeID("World.Service", id) {
		return nil
	}
	n := w.ends[id].node
	if !n.alive {
		return nil
	}
	v, ok := n.services[name]
	if !ok {
		return nil
	}
	return v.Interface()
}

// nodeEnv is the Env of one incarnation of a node. Once the incarnation is
// gone its env does nothing, so a stale reference cannot reach the world.
type nodeEnv struct {
	w    *World
	n    *node
	inc  uint32
	rand *rand.Rand
}

func (e *nodeEnv) live() bool { return e.n.alive && e.n.inc == e.inc }

// Every method first checks that the calling goroutine holds the world's
// turn (World.enter): a goroutine started by node code is stopped at its
// first call, with the fix.

func (e *nodeEnv) Me() int {
	if !e.w.owned() {
		e.w.strayCall("env.Me", e.n.id)
	}
	return e.n.id
}

func (e *nodeEnv) Peers() []int {
	if !e.w.owned() {
		e.w.strayCall("env.Peers", e.n.id)
	}
	// A fresh slice on every call, not one kept per node: a world of n
	// nodes would keep n² ids (128 MB at 4,096), and node code asks once,
	// at boot, and keeps what it needs.
	peers := make([]int, e.w.cfg.Nodes)
	for i := range peers {
		peers[i] = i
	}
	return peers
}

func (e *nodeEnv) Now() time.Duration {
	if !e.w.owned() {
		e.w.strayCall("env.Now", e.n.id)
	}
	if e.n.clock != nil {
		return e.n.clock.at(e.w.now)
	}
	return e.w.now
}

func (e *nodeEnv) Rand() *rand.Rand {
	if !e.w.owned() {
		e.w.strayCall("env.Rand", e.n.id)
	}
	return e.rand
}

func (e *nodeEnv) Persister() *Persister {
	if !e.w.owned() {
		e.w.strayCall("env.Persister", e.n.id)
	}
	return e.n.persister
}

func (e *nodeEnv) Call(to int, method string, args, reply any, done func(ok bool)) {
	if !e.w.owned() {
		e.w.strayCall("env.Call", e.n.id)
	}
	if !e.live() {
		return
	}
	if done == nil {
		e.w.misuse(fmt.Errorf("labrpc: %s called %s with a nil done function; pass func(ok bool) { ... } to handle the reply", e.w.Name(e.n.id), method))
		return
	}
	e.w.send(e.n.id, e.inc, to, method, args, reply, done)
}

// timer is a pending After; stopping it marks the event, which the loop
// then skips.
type timer struct{ stopped bool }

func (t *timer) stop() { t.stopped = true }

func (e *nodeEnv) After(d time.Duration, f func()) (cancel func()) {
	if !e.w.owned() {
		e.w.strayCall("env.After", e.n.id)
	}
	tm := &timer{}
	if !e.live() {
		return tm.stop
	}
	if e.n.clock != nil {
		d = e.n.clock.trueDelay(e.w.now, d)
	}
	at, ok := e.w.deadline("env.After", e.n.id, d)
	if !ok {
		return tm.stop
	}
	if f == nil {
		e.w.misuse(fmt.Errorf("labrpc: %s passed a nil function to After", e.w.Name(e.n.id)))
		return tm.stop
	}
	e.w.ends[e.n.id].timers++
	e.w.schedule(at, event{kind: evTimer, node: int32(e.n.id), inc: e.inc, fn: f, tm: tm})
	return tm.stop
}

func (e *nodeEnv) Logf(topic string, format string, args ...any) {
	if !e.w.owned() {
		e.w.strayCall("env.Logf", e.n.id)
	}
	if !e.live() {
		return
	}
	var text string
	e.w.logBuf, text = logLine(e.w.logBuf, topic, format, args)
	e.w.mark(e.n.id, KindLog, text)
}
