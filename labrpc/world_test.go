package labrpc

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type EchoArgs struct {
	From int
	Text string
}

type EchoReply struct {
	Text string
	By   int
}

// echoNode answers Echo and counts what it served.
type echoNode struct {
	env    Env
	served int
}

func (n *echoNode) Echo(args *EchoArgs, reply *EchoReply) {
	n.served++
	reply.Text = strings.ToUpper(args.Text)
	reply.By = n.env.Me()
}

// Start is not a handler: it has the wrong shape, on purpose.
func (n *echoNode) Start(cmd any) (int, bool) { return 0, false }

func bootEcho(env Env) any { return &echoNode{env: env} }

func newWorld(t testing.TB, nodes int, seed int64) *World {
	w := NewWorld(Config{Seed: seed, Nodes: nodes})
	t.Cleanup(w.Close)
	for i := 0; i < nodes; i++ {
		w.Start(i, bootEcho)
	}
	return w
}

// mustStop runs f, which must stop the run; it returns the run's error.
func mustStop(t *testing.T, w *World, f func()) error {
	t.Helper()
	func() {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			if _, ok := IsStopped(r); !ok {
				panic(r)
			}
		}()
		f()
	}()
	require.Error(t, w.Err(), "the run should have stopped")
	return w.Err()
}

func TestTimersFireInOrderAndCancel(t *testing.T) {
	w := NewWorld(Config{Nodes: 1})
	var got []string
	w.Start(0, func(env Env) any {
		env.After(30*time.Millisecond, func() { got = append(got, fmt.Sprint("c@", env.Now())) })
		env.After(10*time.Millisecond, func() { got = append(got, fmt.Sprint("a@", env.Now())) })
		cancel := env.After(20*time.Millisecond, func() { got = append(got, "cancelled") })
		env.After(10*time.Millisecond, func() { got = append(got, "b (same time, scheduled later)") })
		cancel()
		return &echoNode{env: env}
	})
	w.Sleep(time.Second)
	require.Equal(t, []string{"a@10ms", "b (same time, scheduled later)", "c@30ms"}, got)
	require.Equal(t, time.Second, w.Now())
}

func TestCallRoundTripCountsAndCopies(t *testing.T) {
	w := newWorld(t, 2, 1)
	c := w.NewClient()
	args := &EchoArgs{From: c.ID(), Text: "hello"}
	var reply EchoReply
	require.True(t, c.Call(1, "echoNode.Echo", args, &reply))
	require.Equal(t, EchoReply{Text: "HELLO", By: 1}, reply)
	require.EqualValues(t, 1, w.RPCs(c.ID()))
	require.EqualValues(t, 1, w.TotalRPCs())
	require.Positive(t, w.Bytes(c.ID()))
	require.Positive(t, w.Bytes(1), "the reply's bytes count for the server")
	require.Equal(t, w.TotalBytes(), w.Bytes(c.ID())+w.Bytes(1))
	require.Positive(t, w.Now(), "a round trip takes virtual time")
	require.Equal(t, 1, w.Service(1, "echoNode").(*echoNode).served)
}

func TestNodeCallsWithCallbacks(t *testing.T) {
	w := NewWorld(Config{Nodes: 3})
	var replies []string
	for i := 0; i < 3; i++ {
		w.Start(i, bootEcho)
	}
	w.Start(0, func(env Env) any { return nil }) // already running: misuse
	require.ErrorContains(t, w.Err(), "already running")

	w = NewWorld(Config{Nodes: 3})
	w.Start(1, bootEcho)
	w.Start(2, bootEcho)
	w.Start(0, func(env Env) any {
		for _, p := range env.Peers() {
			if p == env.Me() {
				continue
			}
			reply := &EchoReply{}
			env.Call(p, "echoNode.Echo", &EchoArgs{Text: "x"}, reply, func(ok bool) {
				replies = append(replies, fmt.Sprint(ok, reply.By, env.Now() > 0))
			})
		}
		return &echoNode{env: env}
	})
	w.Sleep(time.Second)
	require.ElementsMatch(t, []string{"true 1 true", "true 2 true"}, replies)
}

func TestMisuseIsExplained(t *testing.T) {
	cases := []struct {
		name, method string
		args, reply  any
		want         []string
	}{
		{"typo", "echoNode.Ecoh", &EchoArgs{}, &EchoReply{}, []string{`echoNode has no method Ecoh`, "did you mean echoNode.Echo?"}},
		{"no service", "Raft.Echo", &EchoArgs{}, &EchoReply{}, []string{`no node has a service "Raft"`, "echoNode"}},
		{"not a handler", "echoNode.Start", &EchoArgs{}, &EchoReply{}, []string{"echoNode.Start is not an RPC handler", "func (x *echoNode) Start(args *StartArgs, reply *StartReply)"}},
		{"no dot", "Echo", &EchoArgs{}, &EchoReply{}, []string{`name the handler as "Service.Method"`}},
		{"wrong args", "echoNode.Echo", &EchoReply{}, &EchoReply{}, []string{"args is a *labrpc.EchoReply but the handler takes a *labrpc.EchoArgs"}},
		{"reply by value", "echoNode.Echo", &EchoArgs{}, EchoReply{}, []string{"reply is a labrpc.EchoReply but the handler fills a *labrpc.EchoReply"}},
		{"reused reply", "echoNode.Echo", &EchoArgs{}, &EchoReply{By: 2}, []string{"non-zero labrpc.EchoReply (field By = 2)", "fresh zero"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, 1, 1)
			c := w.NewClient()
			err := mustStop(t, w, func() { c.Call(0, tc.method, tc.args, tc.reply) })
			for _, want := range tc.want {
				require.ErrorContains(t, err, want)
			}
		})
	}
}

type badReplyByValue struct{}

func (b *badReplyByValue) Get(args *EchoArgs, reply EchoReply) {}

type badReturnsError struct{}

func (b *badReturnsError) Get(args *EchoArgs, reply *EchoReply) error { return nil }

type hiddenArgs struct{ Term, votedFor int }

type badUnexported struct{}

func (b *badUnexported) Vote(args *hiddenArgs, reply *EchoReply) {}

func TestRegistrationErrors(t *testing.T) {
	for _, tc := range []struct {
		svc  any
		want string
	}{
		{&badReplyByValue{}, "takes its reply by value"},
		{&badReturnsError{}, "handlers return nothing"},
		{&badUnexported{}, "field votedFor of *labrpc.hiddenArgs is unexported"},
		{echoNode{}, "must be a pointer to a struct"},
		{nil, "returned nil"},
	} {
		w := NewWorld(Config{Nodes: 1})
		w.Start(0, func(Env) any { return tc.svc })
		require.ErrorContains(t, w.Err(), tc.want)
	}
}

func TestCrashDropsTimersAndLateReplies(t *testing.T) {
	w := NewWorld(Config{Nodes: 2, Profile: Profile{Name: "slow", MinDelay: 50 * time.Millisecond, MaxDelay: 50 * time.Millisecond, Timeout: time.Second}})
	w.Start(1, bootEcho)
	fired, completed := 0, 0
	boot := func(env Env) any {
		env.After(10*time.Millisecond, func() { fired++ })
		env.Call(1, "echoNode.Echo", &EchoArgs{}, &EchoReply{}, func(bool) { completed++ })
		return &echoNode{env: env}
	}
	w.Start(0, boot)
	w.Sleep(5 * time.Millisecond)
	w.Crash(0)
	w.Sleep(time.Second)
	require.Zero(t, fired, "a crashed node's timers are gone")
	require.Zero(t, completed, "a reply to a dead incarnation is dropped")
	require.Equal(t, 1, w.Service(1, "echoNode").(*echoNode).served, "the request was in flight and still arrived")

	w.Restart(0)
	w.Sleep(time.Second)
	require.Equal(t, 1, fired)
	require.Equal(t, 1, completed)
}

func TestCallToDeadNodeFailsAfterTimeout(t *testing.T) {
	w := newWorld(t, 1, 1)
	w.Crash(0)
	c := w.NewClient()
	start := w.Now()
	require.False(t, c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{}))
	require.GreaterOrEqual(t, w.Now()-start, 50*time.Millisecond)
	require.LessOrEqual(t, w.Now()-start, 100*time.Millisecond)
}

func TestPartitionsAndOneWayCuts(t *testing.T) {
	w := newWorld(t, 3, 1)
	w.Partition([]int{0}, []int{1, 2})
	require.False(t, w.Reachable(0, 1))
	require.True(t, w.Reachable(1, 2))
	c := w.NewClient()
	require.True(t, w.Reachable(c.ID(), 0), "an unlisted client reaches every group")
	w.Heal()
	w.Cut(0, 1)
	require.False(t, w.Reachable(0, 1))
	require.True(t, w.Reachable(1, 0))
	w.Disconnect(2)
	require.False(t, w.Reachable(1, 2))
	require.False(t, c.Call(2, "echoNode.Echo", &EchoArgs{}, &EchoReply{}))
	w.Connect(2)
	require.True(t, c.Call(2, "echoNode.Echo", &EchoArgs{}, &EchoReply{}))
	w.Heal()
	require.True(t, w.Reachable(0, 1))
}

func TestUnreliableCallsAllComplete(t *testing.T) {
	w := NewWorld(Config{Seed: 3, Nodes: 1, Profile: MustProfile("duplicating")})
	w.Start(0, bootEcho)
	okCount, total := 0, 300
	for i := 0; i < total; i++ {
		c := w.NewClient()
		w.Go(fmt.Sprint("client", i), func() {
			if c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{}) {
				okCount++
			}
		})
	}
	require.True(t, w.RunUntilDone(10*time.Second), "every call completes")
	served := w.Service(0, "echoNode").(*echoNode).served
	require.Greater(t, okCount, total/2)
	require.Less(t, okCount, total, "some calls must fail on a lossy network")
	require.Greater(t, served, okCount, "duplicates and lost replies make the server do more")
}

func TestLongReorderingReorders(t *testing.T) {
	w := NewWorld(Config{Seed: 5, Nodes: 1, Profile: MustProfile("reliable")})
	w.SetLongReordering(true)
	var order []int
	w.Start(0, bootEcho)
	for i := 0; i < 20; i++ {
		c := w.NewClient()
		w.Go(fmt.Sprint(i), func() {
			c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{})
			order = append(order, i)
		})
	}
	require.True(t, w.RunUntilDone(10*time.Second))
	require.Len(t, order, 20)
	sorted := true
	for i := 1; i < len(order); i++ {
		sorted = sorted && order[i-1] < order[i]
	}
	require.False(t, sorted, "long reordering must let later calls overtake")
}

// scenario is a small busy run used for determinism checks.
func scenario(seed int64) *World {
	w := NewWorld(Config{Seed: seed, Nodes: 3, Profile: MustProfile("unreliable")})
	for i := 0; i < 3; i++ {
		w.Start(i, func(env Env) any {
			n := &echoNode{env: env}
			var tick func()
			tick = func() {
				to := env.Rand().IntN(3)
				env.Call(to, "echoNode.Echo", &EchoArgs{Text: "t"}, &EchoReply{}, func(ok bool) { env.Logf("echo", "to n%d ok=%v", to, ok) })
				env.After(time.Duration(10+env.Rand().IntN(20))*time.Millisecond, tick)
			}
			env.After(0, tick)
			return n
		})
	}
	for i := 0; i < 5; i++ {
		c := w.NewClient()
		w.Go(fmt.Sprint("c", i), func() {
			for j := 0; j < 10; j++ {
				c.Call(c.Rand().IntN(3), "echoNode.Echo", &EchoArgs{}, &EchoReply{})
				w.Sleep(time.Duration(c.Rand().IntN(50)) * time.Millisecond)
			}
		})
	}
	w.At(500*time.Millisecond, func() { w.Crash(1) })
	w.At(900*time.Millisecond, func() { w.Restart(1) })
	w.Sleep(2 * time.Second)
	w.Close()
	return w
}

func TestSameSeedSameDigest(t *testing.T) {
	a, b, c := scenario(7), scenario(7), scenario(8)
	require.Equal(t, a.Digest(), b.Digest())
	require.Equal(t, a.Steps(), b.Steps())
	require.NotEqual(t, a.Digest(), c.Digest())
	require.Greater(t, a.Steps(), int64(500))
}

func TestBudgetsStopRunaways(t *testing.T) {
	w := NewWorld(Config{Nodes: 1, MaxEvents: 1000})
	w.Start(0, func(env Env) any {
		var loop func()
		loop = func() { env.After(0, loop) } // a timer loop that never lets time pass
		loop()
		return &echoNode{env: env}
	})
	err := mustStop(t, w, func() { w.Sleep(time.Second) })
	require.ErrorContains(t, err, "budget of 1000 events")
	require.ErrorContains(t, err, "busiest endpoint is n0")

	w = NewWorld(Config{Nodes: 1, MaxTime: time.Minute})
	w.Start(0, bootEcho)
	err = mustStop(t, w, func() { w.Sleep(2 * time.Minute) })
	require.ErrorContains(t, err, "virtual time passed its budget of 1m0s")
}

func TestDeadlockIsReported(t *testing.T) {
	w := NewWorld(Config{Nodes: 1})
	w.Start(0, bootEcho)
	never := false
	err := mustStop(t, w, func() { w.block(&never, "a miracle") })
	require.ErrorContains(t, err, "deadlock")
	require.ErrorContains(t, err, "a miracle")
}

type panicky struct{}

func (p *panicky) Boom(args *EchoArgs, reply *EchoReply) {
	var s []int
	_ = s[args.From]
}

func TestPanicInHandlerIsReported(t *testing.T) {
	w := NewWorld(Config{Nodes: 1})
	w.Start(0, func(Env) any { return &panicky{} })
	c := w.NewClient()
	err := mustStop(t, w, func() { c.Call(0, "panicky.Boom", &EchoArgs{From: 3}, &EchoReply{}) })
	require.ErrorContains(t, err, "n0 panicked in panicky.Boom handler")
	require.ErrorContains(t, err, "index out of range")
	require.ErrorContains(t, err, "world_test.go")
}

func TestNodeCodeMustNotBlock(t *testing.T) {
	w := NewWorld(Config{Nodes: 2})
	w.Start(1, bootEcho)
	c := w.NewClient()
	w.Start(0, func(env Env) any {
		env.After(time.Millisecond, func() { c.Call(1, "echoNode.Echo", &EchoArgs{}, &EchoReply{}) })
		return &echoNode{env: env}
	})
	err := mustStop(t, w, func() { w.Sleep(time.Second) })
	require.ErrorContains(t, err, "inside node code; node code must not block")
}

func TestPersisterSurvivesCrashAndCopies(t *testing.T) {
	w := NewWorld(Config{Nodes: 1})
	var seen []byte
	w.Start(0, func(env Env) any {
		seen = env.Persister().ReadState()
		buf := []byte("term=3")
		env.Persister().Save(buf, []byte("snap"))
		buf[0] = 'X' // the caller's buffer is not stored
		return &echoNode{env: env}
	})
	require.Nil(t, seen)
	w.Restart(0)
	require.Equal(t, "term=3", string(seen))
	require.Equal(t, 6, w.Persister(0).StateSize())
	require.Equal(t, 4, w.Persister(0).SnapshotSize())
}

func TestTimelineShowsNodesInColumns(t *testing.T) {
	w := newWorld(t, 2, 1)
	c := w.NewClient()
	c.Call(1, "echoNode.Echo", &EchoArgs{}, &EchoReply{})
	w.Partition([]int{0}, []int{1})
	tl := w.Timeline(w.Tail(-1))
	require.Contains(t, tl, "start incarnation 1")
	require.Contains(t, tl, "→n1 Echo")
	require.Contains(t, tl, "── partition [n0] | [n1]")
	header := strings.SplitN(tl, "\n", 2)[0]
	require.Contains(t, header, "c0", "clients are numbered from 0")
	require.Contains(t, header, "n1")
}

func TestProfilesByName(t *testing.T) {
	_, err := NamedProfile("flaky")
	require.ErrorContains(t, err, `no network profile "flaky"; choose one of: reliable, unreliable`)
	for _, name := range ProfileNames() {
		p, err := NamedProfile(name)
		require.NoError(t, err)
		require.NoError(t, p.validate())
	}
	w := NewWorld(Config{Nodes: 1})
	w.SetProfile(Profile{Name: "bad", DropRequest: 2, Timeout: time.Second})
	require.ErrorContains(t, w.Err(), "not a probability")
}
