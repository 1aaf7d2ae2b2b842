package rsm

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/tests"
)

// The 6A tests run a small service on the layer: counters. An addOp adds
// Delta to a named counter and returns the counter's new value, so a client
// that adds 1 to its own counter again and again must see 1, 2, 3, ...: a
// request applied twice, or an answer that belongs to another request,
// shows as a number out of step.

type addOp struct {
	Key   string
	Delta int
}

type readOp struct{ Key string }

func init() {
	labgob.Register(addOp{})
	labgob.Register(readOp{})
}

type counters struct {
	vals    map[string]int
	applied int // operations applied since the service began (in the snapshot too)
}

func newCounters() *counters { return &counters{vals: map[string]int{}} }

func (c *counters) DoOp(op any) any {
	c.applied++
	switch x := op.(type) {
	case addOp:
		c.vals[x.Key] += x.Delta
		return c.vals[x.Key]
	case readOp:
		return c.vals[x.Key]
	}
	panic(fmt.Sprintf("counters: unknown op %T", op))
}

type countersState struct {
	Keys    []string
	Vals    []int
	Applied int
}

func (c *counters) Snapshot() []byte {
	var s countersState
	for _, k := range slices.Sorted(maps.Keys(c.vals)) {
		s.Keys, s.Vals = append(s.Keys, k), append(s.Vals, c.vals[k])
	}
	s.Applied = c.applied
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(s); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func (c *counters) Restore(data []byte) {
	var s countersState
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		panic(err)
	}
	c.vals = map[string]int{}
	for i, key := range s.Keys {
		c.vals[key] = s.Vals[i]
	}
	c.applied = s.Applied
}

// engines are the two engines every 6A test runs on.
var engines = []replog.Engine{raft.Engine, paxos.Engine}

// forEngine runs a simulated test once per engine, as subtests named after
// it (go test ./services/rsm -run 'TestDedup6A/raft').
func forEngine(t *testing.T, body func(t *tests.T, e replog.Engine)) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.Run(t, func(t *tests.T) { body(t, e) })
		})
	}
}

// cluster is n servers, each an RSM over the engine with a counters service.
type cluster struct {
	t       *tests.T
	w       *labrpc.World
	n       int
	e       replog.Engine
	maxSize int
	rsms    []*RSM
	sms     []*counters
	timeout time.Duration
}

func newCluster(t *tests.T, e replog.Engine, n, maxSize int, profile string) *cluster {
	w := t.NewWorld(labrpc.Config{Nodes: n, Profile: labrpc.MustProfile(profile)})
	c := &cluster{t: t, w: w, n: n, e: e, maxSize: maxSize, rsms: make([]*RSM, n), sms: make([]*counters, n)}
	for i := 0; i < n; i++ {
		c.start(i)
	}
	return c
}

func (c *cluster) boot(i int) labrpc.Boot {
	return func(env labrpc.Env) any {
		sm := newCounters()
		r := Make(env, c.e, c.maxSize, sm)
		if c.timeout > 0 {
			r.SetTimeout(c.timeout)
		}
		c.rsms[i], c.sms[i] = r, sm
		return r.Services()
	}
}

func (c *cluster) start(i int)   { c.w.Start(i, c.boot(i)) }
func (c *cluster) restart(i int) { c.w.Crash(i); c.start(i) }

// leader waits for a connected peer that leads (the highest term or ballot).
func (c *cluster) leader() int {
	c.t.Helper()
	leader := -1
	ok := c.w.WaitUntil(func() bool {
		best := -1
		leader = -1
		for i := 0; i < c.n; i++ {
			if !c.w.Alive(i) || !c.w.Connected(i) {
				continue
			}
			if term, isLeader := c.rsms[i].Peer().GetState(); isLeader && term > best {
				leader, best = i, term
			}
		}
		return leader >= 0
	}, 20*time.Millisecond, 10*time.Second)
	if !ok {
		c.t.Fatalf("no leader among the connected peers after 10s")
	}
	return leader
}

// outcome is what one submission's done reported.
type outcome struct {
	done   bool
	calls  int
	result any
	err    Err
	at     time.Duration
}

// submit submits req at server i and returns the outcome, which fills in
// when done runs (wait for it with await).
func (c *cluster) submit(i int, req Request) *outcome {
	o := &outcome{}
	c.rsms[i].Submit(req, func(result any, err Err) {
		o.calls++
		if o.calls > 1 {
			c.w.Fail(fmt.Errorf("done called %d times for %+v at n%d (exactly once: Submit's contract)", o.calls, req, i))
		}
		o.done, o.result, o.err, o.at = true, result, err, c.w.Now()
	})
	return o
}

// await waits up to limit for o's done.
func (c *cluster) await(o *outcome, limit time.Duration) *outcome {
	c.t.Helper()
	if !c.w.WaitUntil(func() bool { return o.done }, 5*time.Millisecond, limit) {
		c.t.Fatalf("done not called within %v of virtual time (Submit must answer every request: a result, ErrWrongLeader or ErrTimeout)", limit)
	}
	return o
}

// do submits req until a server applies it, trying the servers in turn as a
// clerk does, and returns the result.
func (c *cluster) do(req Request) any {
	c.t.Helper()
	deadline := c.w.Now() + 30*time.Second
	for c.w.Now() < deadline {
		for i := 0; i < c.n; i++ {
			if !c.w.Alive(i) || !c.w.Connected(i) {
				continue
			}
			r, o := c.rsms[i], c.submit(i, req)
			// A server that crashes takes its submissions with it: done
			// never runs for them (a clerk's call would be lost).
			gone := func() bool { return !c.w.Alive(i) || c.rsms[i] != r }
			if !c.w.WaitUntil(func() bool { return o.done || gone() }, 5*time.Millisecond, 5*time.Second) {
				c.t.Fatalf("n%d's done not called within 5s of virtual time (Submit must answer every request: a result, ErrWrongLeader or ErrTimeout)", i)
			}
			if o.done && o.err == OK {
				return o.result
			}
		}
		c.w.Sleep(20 * time.Millisecond)
	}
	c.t.Fatalf("request %+v not applied within 30s", req)
	return nil
}

// agree waits until every live peer's service has applied the same number
// of operations, and checks that their counters agree.
func (c *cluster) agree() {
	c.t.Helper()
	ok := c.w.WaitUntil(func() bool {
		want := -1
		for i := 0; i < c.n; i++ {
			if !c.w.Alive(i) {
				continue
			}
			if want < 0 {
				want = c.sms[i].applied
			}
			if c.sms[i].applied != want {
				return false
			}
		}
		return true
	}, 20*time.Millisecond, 10*time.Second)
	if !ok {
		c.t.Fatalf("the peers did not reach the same applied index within 10s")
	}
	var first *counters
	for i := 0; i < c.n; i++ {
		if !c.w.Alive(i) {
			continue
		}
		if first == nil {
			first = c.sms[i]
			continue
		}
		if !maps.Equal(first.vals, c.sms[i].vals) {
			c.t.Fatalf("n%d's counters %v differ from another peer's %v at the same index (state-machine safety)", i, c.sms[i].vals, first.vals)
		}
	}
}
