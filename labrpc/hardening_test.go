package labrpc

import (
	"bytes"
	"math"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Virtual time never runs backwards: env.After(math.MaxInt64) overflowed
// and fired at once with a negative Now, and World.Sleep, Client.Sleep and
// World.At took negative durations (a clerk sleeping deadline-now moved the
// clock from 2s back to 1s). Each entry point refuses them, naming itself.
func TestTimeNeverRunsBackwards(t *testing.T) {
	nodeAfter := func(d time.Duration) func(w *World) {
		return func(w *World) {
			w.Start(0, func(env Env) any {
				env.After(time.Second, func() { env.After(d, func() {}) })
				return &echoNode{env: env}
			})
			w.Sleep(2 * time.Second)
		}
	}
	cases := []struct {
		name string
		run  func(w *World)
		want []string
	}{
		{"env.After overflow", nodeAfter(math.MaxInt64), []string{"env.After(2562047h47m16.854775807s) by n0 at 1.000000s", "past the end of virtual time"}},
		{"env.After negative", nodeAfter(-time.Millisecond), []string{"env.After(-1ms) by n0", "backwards"}},
		{"World.Sleep negative", func(w *World) { w.Sleep(2 * time.Second); w.Sleep(-time.Second) }, []string{"World.Sleep(-1s) at 2.000000s", "max(0, deadline-now)"}},
		{"World.Sleep overflow", func(w *World) { w.Sleep(time.Second); w.Sleep(math.MaxInt64) }, []string{"World.Sleep", "past the end of virtual time"}},
		{"Client.Sleep negative", func(w *World) {
			c := w.NewClient()
			w.Go("clerk", func() { c.Sleep(2 * time.Second); c.Sleep(-time.Second) })
			w.RunUntilDone(time.Minute)
		}, []string{"Client.Sleep(-1s) at 2.000000s"}},
		{"World.At negative", func(w *World) { w.At(-time.Second, func() {}) }, []string{"World.At(-1s)"}},
		{"World.At overflow", func(w *World) { w.Sleep(time.Second); w.At(math.MaxInt64-time.Millisecond, func() {}) }, []string{"World.At", "past the end"}},
		{"WaitUntil overflow", func(w *World) {
			w.Sleep(time.Second)
			w.WaitUntil(func() bool { return false }, time.Millisecond, math.MaxInt64)
		}, []string{"World.WaitUntil", "past the end"}},
		{"WaitUntil zero poll", func(w *World) { w.WaitUntil(func() bool { return false }, 0, time.Second) }, []string{"poll must be positive"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := NewWorld(Config{Nodes: 1})
			t.Cleanup(w.Close)
			err := mustStop(t, w, func() { tc.run(w); w.Sleep(time.Second) })
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
			for _, l := range w.Tail(-1) {
				require.GreaterOrEqual(t, l.At, time.Duration(0), "no line is stamped before time 0")
			}
			require.GreaterOrEqual(t, w.now, time.Duration(0))
		})
	}
}

// The storm of issue 13: a timer that sets two timers. It used 3.1 GB by 10
// million events; the pending-event limit stops it within a million.
func TestTimerStormHitsPendingLimit(t *testing.T) {
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := NewWorld(Config{Nodes: 1})
	t.Cleanup(w.Close)
	w.Start(0, func(env Env) any {
		var tick func()
		tick = func() {
			env.After(time.Millisecond, tick)
			env.After(time.Millisecond, tick)
		}
		env.After(0, tick)
		return &echoNode{env: env}
	})
	err := mustStop(t, w, func() { w.Sleep(time.Minute) })
	require.ErrorContains(t, err, "1048576 events are pending at once")
	require.ErrorContains(t, err, "Config.MaxPending")
	require.ErrorContains(t, err, "the busiest endpoint is n0")
	require.Less(t, w.Steps(), int64(2_000_000))
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	require.Less(t, after.HeapAlloc-min(after.HeapAlloc, before.HeapAlloc), uint64(1<<30), "the storm stops well short of a gigabyte")

	w = NewWorld(Config{Nodes: 1, MaxPending: 100})
	w.Start(0, func(env Env) any {
		var tick func()
		tick = func() { env.After(time.Millisecond, tick); env.After(time.Millisecond, tick) }
		env.After(0, tick)
		return &echoNode{env: env}
	})
	require.ErrorContains(t, mustStop(t, w, func() { w.Sleep(time.Minute) }), "100 events are pending at once")
}

// A client loop that never waits (it schedules, but never blocks) still
// meets the budgets, and is stopped by its next call once the run failed.
func TestNonYieldingLoopHitsBudget(t *testing.T) {
	w := NewWorld(Config{Nodes: 1, MaxPending: 1000})
	t.Cleanup(w.Close)
	calls := 0
	w.Go("spinner", func() {
		for {
			calls++
			w.At(time.Millisecond, func() {})
		}
	})
	err := mustStop(t, w, func() { w.RunUntilDone(time.Minute) })
	require.ErrorContains(t, err, "Config.MaxPending")
	require.Less(t, calls, 1100, "the loop stopped at its first call after the failure")
}

type BigArgs struct{ Blob []byte }

type sink struct{}

func (s *sink) Take(args *BigArgs, reply *EchoReply) {}

func TestMessageSizeLimit(t *testing.T) {
	w := NewWorld(Config{Nodes: 1, MaxMessage: 1000})
	t.Cleanup(w.Close)
	w.Start(0, func(Env) any { return &sink{} })
	c := w.NewClient()
	require.True(t, c.Call(0, "sink.Take", &BigArgs{Blob: make([]byte, 500)}, &EchoReply{}))
	err := mustStop(t, w, func() { c.Call(0, "sink.Take", &BigArgs{Blob: make([]byte, 5000)}, &EchoReply{}) })
	require.ErrorContains(t, err, `Call("sink.Take")`)
	require.ErrorContains(t, err, "passes the message size limit of 1000 bytes")
	require.ErrorContains(t, err, "Config.MaxMessage")
}

func TestEndpointLimit(t *testing.T) {
	w := NewWorld(Config{Nodes: 2, MaxEndpoints: 4})
	t.Cleanup(w.Close)
	w.NewClient()
	w.NewClient()
	err := mustStop(t, w, func() { w.NewClient() })
	require.ErrorContains(t, err, "4 endpoints (nodes and clients) is the limit (Config.MaxEndpoints)")
	require.PanicsWithError(t, "labrpc: Config.Nodes = 10 passes the limit of 4 endpoints (Config.MaxEndpoints); raise MaxEndpoints if the machine has the memory",
		func() { NewWorld(Config{Nodes: 10, MaxEndpoints: 4}) })
}

// The driver's API indexed out of range on a bad id, and made a slice of a
// negative size; each is now an error that names the cause and the fix.
func TestDriverAPIRefusesBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(w *World)
		want string
	}{
		{"Alive", func(w *World) { w.Alive(99) }, "World.Alive(99): no such node; nodes are 0..2 (Config.Nodes = 3)"},
		{"Persister", func(w *World) { w.Persister(-1) }, "World.Persister(-1): no such node"},
		{"Service", func(w *World) { _ = w.Service(7, "echoNode").(*echoNode) }, "World.Service(7): no such node"},
		{"RPCs", func(w *World) { w.RPCs(50) }, "World.RPCs(50): no endpoint 50"},
		{"Bytes", func(w *World) { w.Bytes(-3) }, "World.Bytes(-3)"},
		{"Reachable", func(w *World) { w.Reachable(0, 9) }, "World.Reachable(9)"},
		{"Go nil", func(w *World) { w.Go("x", nil) }, `World.Go("x", nil)`},
		{"Check nil", func(w *World) { w.Check(nil) }, "World.Check(nil)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 3, 1)
			require.ErrorContains(t, mustStop(t, w, func() { tc.call(w) }), tc.want)
		})
	}
	require.PanicsWithError(t, "labrpc: Config.KeepTrace = -5; it must be at least 0 (0 means the default)", func() { NewWorld(Config{KeepTrace: -5}) })
	require.PanicsWithError(t, "labrpc: Config.MaxPending = -1; it must be at least 0 (0 means the default)", func() { NewWorld(Config{MaxPending: -1}) })

	var p *Persister
	require.PanicsWithValue(t, "labrpc: Persister.Save on a nil *Persister: a node gets its Persister from env.Persister() (keep it in Make); a test from World.Persister(id) or labrpc.NewPersister()",
		func() { p.Save(nil, nil) })
	require.Panics(t, func() { p.ReadState() })

	// In node code, the world reports it with the node.
	w := NewWorld(Config{Nodes: 1})
	w.Start(0, func(env Env) any {
		env.After(time.Millisecond, func() { p.ReadSnapshot() })
		return &echoNode{env: env}
	})
	require.ErrorContains(t, mustStop(t, w, func() { w.Sleep(time.Second) }), "n0 panicked in a timer at 0.001000s: labrpc: Persister.ReadSnapshot on a nil *Persister")
}

// The Persister keeps copies of what it is given and hands out copies: a
// caller that reuses its buffer cannot change what was saved.
func TestPersisterCopiesBothWays(t *testing.T) {
	p := NewPersister()
	state, snap := []byte("state-1"), []byte("snap-1")
	p.Save(state, snap)
	copy(state, "XXXXXXX")
	copy(snap, "YYYYYY")
	require.Equal(t, "state-1", string(p.ReadState()))
	require.Equal(t, "snap-1", string(p.ReadSnapshot()))
	got := p.ReadState()
	got[0] = 'Z'
	require.Equal(t, "state-1", string(p.ReadState()), "a read hands out a copy")
	got = p.ReadSnapshot()
	got[0] = 'Z'
	require.Equal(t, "snap-1", string(p.ReadSnapshot()))
}

// Issue 11: a student starts a ticker goroutine in Make, as MIT's skeleton
// invites. Its first call into the world fails the run, within one event,
// with the call, the node and the fix; the goroutine ends there.
func TestCallFromStrayGoroutineFailsAtOnce(t *testing.T) {
	w := NewWorld(Config{Nodes: 2})
	t.Cleanup(w.Close)
	w.Start(1, bootEcho)
	tried := make(chan struct{})
	returned := false
	w.Start(0, func(env Env) any {
		go func() {
			defer close(tried)
			env.Call(1, "echoNode.Echo", &EchoArgs{}, &EchoReply{}, func(bool) {})
			returned = true
		}()
		return &echoNode{env: env}
	})
	<-tried
	require.False(t, returned, "the stray goroutine does not go on")
	steps := w.Steps()
	err := mustStop(t, w, func() { w.Sleep(time.Second) })
	require.LessOrEqual(t, w.Steps(), steps+1, "the run stops within one event")
	require.ErrorContains(t, err, "env.Call called by n0 from a goroutine the simulator does not run")
	require.ErrorContains(t, err, "node code runs one event at a time")
	require.ErrorContains(t, err, "use env.After for a timer")
	require.Zero(t, w.TotalRPCs(), "the stray call sent nothing")

	// The same for the world's own API, from a goroutine a test started.
	w = NewWorld(Config{Nodes: 2})
	t.Cleanup(w.Close)
	done := make(chan struct{})
	go func() { defer close(done); w.Partition([]int{0}, []int{1}) }()
	<-done
	require.ErrorContains(t, w.Err(), "World.Partition called by code from a goroutine the simulator does not run")
}

// A Make that starts a ticker instead of setting a timer leaves the world
// silent; Silence says which timer is missing.
func TestSilenceNamesTheMissingTimer(t *testing.T) {
	w := NewWorld(Config{Nodes: 3})
	t.Cleanup(w.Close)
	for i := 0; i < 3; i++ {
		w.Start(i, func(env Env) any { return &echoNode{env: env} })
	}
	w.Sleep(5 * time.Second)
	s := w.Silence()
	require.Contains(t, s, "no node set a timer or sent a message in 5.000000s of virtual time (n0, n1, n2)")
	require.Contains(t, s, "set the first timer in Make with env.After")

	w = newWorld(t, 1, 1)
	w.Start(0, func(env Env) any { return &echoNode{env: env} })
	w2 := NewWorld(Config{Nodes: 1})
	w2.Start(0, func(env Env) any { env.After(time.Second, func() {}); return &echoNode{env: env} })
	require.Empty(t, w2.Silence(), "a node that set a timer is not silent")
}

type blocker struct{ ch chan struct{} }

func (b *blocker) Block(args *EchoArgs, reply *EchoReply) { <-b.ch }

// Issue 13 item 4 / issue 11: a handler blocked on a channel hung until Go's
// 10-minute time-out, naming nobody. The watchdog reports it, with the node,
// the handler, the virtual time and the stuck stack, in its default 5 s of
// real time; the trace file holds the lines up to the hang.
func TestWatchdogReportsBlockedHandler(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the watchdog's default 5 s")
	}
	var file bytes.Buffer
	var report error
	var traced string
	b := &blocker{ch: make(chan struct{})}
	w := NewWorld(Config{Nodes: 1, TraceTo: &file, OnHang: func(err error) {
		report, traced = err, file.String()
		close(b.ch)
	}})
	t.Cleanup(w.Close)
	w.Start(0, func(Env) any { return b })
	c := w.NewClient()
	start := time.Now()
	w.Sleep(time.Second)
	require.True(t, c.Call(0, "blocker.Block", &EchoArgs{}, &EchoReply{}))
	took := time.Since(start)
	require.Less(t, took, 10*time.Second)
	require.GreaterOrEqual(t, took, DefaultWatchdog)
	require.Error(t, report)
	msg := report.Error()
	require.Contains(t, msg, "n0 has been running blocker.Block handler for 5s of real time")
	require.Contains(t, msg, "at 1.00")
	require.Contains(t, msg, "Node code must not block")
	require.Contains(t, msg, "labrpc.(*blocker).Block", "the stuck goroutine's stack")
	require.Regexp(t, `n0 ←c\d+ Block\n$`, traced, "the trace file was flushed up to the hang")
}

func TestWatchdogReportsLoopThatNeverYields(t *testing.T) {
	var stop atomic.Bool
	var report atomic.Pointer[error]
	w := NewWorld(Config{Nodes: 1, Watchdog: 500 * time.Millisecond, OnHang: func(err error) {
		report.Store(&err)
		stop.Store(true)
	}})
	t.Cleanup(w.Close)
	c := w.NewClient()
	w.Go("spin", func() {
		for !stop.Load() {
			_ = c.Now()
		}
	})
	w.RunUntilDone(time.Minute)
	require.NotNil(t, report.Load())
	require.ErrorContains(t, *report.Load(), `client process "spin" has held the turn for 500ms of real time`)

	// time.Sleep in a timer, as a student might write a back-off.
	report.Store(nil)
	w = NewWorld(Config{Nodes: 1, Watchdog: 500 * time.Millisecond, OnHang: func(err error) { report.Store(&err) }})
	t.Cleanup(w.Close)
	w.Start(0, func(env Env) any {
		env.After(time.Second, func() {
			for report.Load() == nil {
				time.Sleep(10 * time.Millisecond)
			}
		})
		return &echoNode{env: env}
	})
	w.Sleep(2 * time.Second)
	require.NotNil(t, report.Load())
	require.ErrorContains(t, *report.Load(), "n0 has been running a timer for 500ms of real time without returning, at 1.000000s")
	require.True(t, strings.Contains((*report.Load()).Error(), "time.Sleep"), "the stack shows the sleep")
}
