package tests

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

type PingArgs struct{ N int }
type PingReply struct{ N int }

// pinger is a tiny protocol: every node pings a random peer now and then.
type pinger struct {
	env   labrpc.Env
	count int
}

func (p *pinger) Ping(args *PingArgs, reply *PingReply) { p.count++; reply.N = args.N + 1 }

func bootPinger(env labrpc.Env) any {
	p := &pinger{env: env}
	var tick func()
	tick = func() {
		to := env.Peers()[env.Rand().IntN(len(env.Peers()))]
		env.Call(to, "pinger.Ping", &PingArgs{N: p.count}, &PingReply{}, func(ok bool) { env.Logf("ping", "n%d ok=%v", to, ok) })
		env.After(time.Duration(5+env.Rand().IntN(20))*time.Millisecond, tick)
	}
	env.After(0, tick)
	return p
}

func pingScenario(t *T) {
	w := t.NewWorld(labrpc.Config{Nodes: 5, Profile: labrpc.MustProfile("unreliable")})
	for i := 0; i < 5; i++ {
		w.Start(i, bootPinger)
	}
	Nemesis{Nodes: []int{0, 1, 2, 3, 4}, Every: 200 * time.Millisecond, For: 3 * time.Second,
		Partitions: true, Crashes: true, Unreliable: true, Reorder: true}.Start(w)
	w.Sleep(4 * time.Second)
	for i := 0; i < 5; i++ {
		require.True(t, w.Alive(i), "the nemesis restarts what it crashed")
	}
}

func TestRunTwiceOnNemesisScenario(t *testing.T) {
	RunTwice(t, pingScenario)
}

func TestCompareRunsCatchesNondeterminism(t *testing.T) {
	// A scenario whose node draws from the global random source: the kind
	// of code the determinism contract forbids.
	leaky := func(seed int64, trace io.Writer) runResult {
		w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 1, TraceTo: trace})
		w.Start(0, func(env labrpc.Env) any {
			env.After(time.Millisecond, func() { env.Logf("bad", "drew %d", rand.IntN(1000000)) })
			return &pinger{env: env}
		})
		w.Sleep(time.Second)
		w.Close()
		return runResult{digest: w.Digest(), draws: w.Draws()}
	}
	_, err := compareRuns(1, leaky)
	require.ErrorContains(t, err, "not deterministic")
	require.ErrorContains(t, err, "The runs parted here")
	require.ErrorContains(t, err, "bad: drew")

	// A scenario that ignores the seed.
	deaf := func(seed int64, trace io.Writer) runResult {
		w := labrpc.NewWorld(labrpc.Config{Seed: 42, Nodes: 1, TraceTo: trace})
		w.Start(0, bootPinger)
		w.Sleep(time.Second)
		w.Close()
		return runResult{digest: w.Digest(), draws: w.Draws()}
	}
	_, err = compareRuns(1, deaf)
	require.ErrorContains(t, err, "the seed does not reach the run")

	// And the real thing passes.
	good := func(seed int64, trace io.Writer) runResult {
		w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 3, TraceTo: trace, Profile: labrpc.MustProfile("unreliable")})
		for i := 0; i < 3; i++ {
			w.Start(i, bootPinger)
		}
		w.Sleep(time.Second)
		w.Close()
		return runResult{digest: w.Digest(), draws: w.Draws()}
	}
	r, err := compareRuns(1, good)
	require.NoError(t, err)
	require.Len(t, r.digest, 16)

	// A scripted run that draws no random number has nothing for the seed
	// to change: the same digest for every seed is right.
	scripted := func(seed int64, trace io.Writer) runResult {
		w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 1, TraceTo: trace})
		w.Start(0, func(env labrpc.Env) any {
			env.After(time.Millisecond, func() { env.Logf("tick", "at %v", env.Now()) })
			return &pinger{env: env}
		})
		w.Sleep(time.Second)
		w.Close()
		return runResult{digest: w.Digest(), draws: w.Draws()}
	}
	r, err = compareRuns(1, scripted)
	require.NoError(t, err)
	require.Zero(t, r.draws)
}

func TestReplayCommandNamesPackageTestAndSeed(t *testing.T) {
	require.Equal(t, "go test ./tests -run '^TestFoo4B$' -seed=17", ReplayCommand("TestFoo4B/seed=17", 17))
}

func TestFailureReportHasSeedReplayAndTimeline(t *testing.T) {
	st := &T{T: t, Seed: 9}
	w := st.NewWorld(labrpc.Config{Nodes: 2})
	w.Start(0, bootPinger)
	w.Start(1, bootPinger)
	w.Sleep(100 * time.Millisecond)
	w.Crash(1)
	r := st.report()
	require.Contains(t, r, "seed=9 digest="+w.Digest())
	require.Contains(t, r, "replay: go test ./tests -run '^TestFailureReportHasSeedReplayAndTimeline$' -seed=9")
	require.Contains(t, r, "crash")
	require.Contains(t, r, "ping: n")
	w.Close()
}

func TestStoppedWorldFailsTheTest(t *testing.T) {
	// A world stopped by a check surfaces as a test failure through finish;
	// run it on a fake T to watch it happen.
	ft := &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		runSeed(ft, 1, func(t *T) {
			w := t.NewWorld(labrpc.Config{Nodes: 1})
			w.Start(0, bootPinger)
			w.Check(func() error {
				if w.Now() > 50*time.Millisecond {
					return fmt.Errorf("invariant broken at %v", w.Now())
				}
				return nil
			})
			w.Sleep(time.Second)
			panic("not reached: Sleep must give up when the world stops")
		}, true)
	}()
	<-done
	require.True(t, ft.Failed())
}

// A register model for the checker's own tests.
var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in := input.([2]int) // {0, v}: write v; {1, 0}: read
		if in[0] == 0 {
			return true, in[1]
		}
		return output == nil || output.(int) == state.(int), state
	},
	DescribeOperation: func(input, output any) string { return fmt.Sprint(input, "→", output) },
}

func TestLinearizabilityCheckerCatchesStaleRead(t *testing.T) {
	ok := []porcupine.Operation{
		{ClientId: 0, Input: [2]int{0, 1}, Call: 0, Output: nil, Return: 10},
		{ClientId: 1, Input: [2]int{1, 0}, Call: 5, Output: 0, Return: 15}, // concurrent with the write: fine
		{ClientId: 1, Input: [2]int{1, 0}, Call: 20, Output: 1, Return: 25},
	}
	require.NoError(t, Linearizable(registerModel, ok, time.Second))

	stale := append(ok[:2:2], porcupine.Operation{ClientId: 1, Input: [2]int{1, 0}, Call: 20, Output: 0, Return: 25})
	err := Linearizable(registerModel, stale, time.Second)
	require.ErrorContains(t, err, "not linearizable")
	require.ErrorContains(t, err, "history.html")
}

func TestLinearizabilityTimeoutIsAFailure(t *testing.T) {
	// Many concurrent writes and reads that can only be explained by
	// trying very many orders: the checker cannot finish in a microsecond.
	var ops []porcupine.Operation
	for i := 0; i < 400; i++ {
		ops = append(ops, porcupine.Operation{ClientId: i, Input: [2]int{0, i}, Call: 0, Return: 1000})
		ops = append(ops, porcupine.Operation{ClientId: 400 + i, Input: [2]int{1, 0}, Call: 0, Output: (i * 7) % 400, Return: 1000})
	}
	err := Linearizable(registerModel, ops, time.Microsecond)
	require.Error(t, err)
	require.ErrorContains(t, err, "ran out of time")
}

func TestScriptAppliesFaultsAtTheirTimes(t *testing.T) {
	Run(t, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 3})
		for i := 0; i < 3; i++ {
			w.Start(i, bootPinger)
		}
		Script(w,
			Step{At: 100 * time.Millisecond, Fault: CrashNode(2)},
			Step{At: 200 * time.Millisecond, Fault: PartitionInto([]int{0}, []int{1})},
			Step{At: 300 * time.Millisecond, Fault: HealAll()},
			Step{At: 400 * time.Millisecond, Fault: RestartNode(2)},
		)
		w.Sleep(150 * time.Millisecond)
		require.False(t, w.Alive(2))
		w.Sleep(100 * time.Millisecond)
		require.False(t, w.Reachable(0, 1))
		w.Sleep(100 * time.Millisecond)
		require.True(t, w.Reachable(0, 1))
		w.Sleep(100 * time.Millisecond)
		require.True(t, w.Alive(2))
	})
}

func TestSimtraceWritesTheWholeTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.txt")
	old := *traceFlag
	*traceFlag = path
	defer func() { *traceFlag = old }()
	var digest string
	Run(t, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		w.Start(0, bootPinger)
		w.Start(1, bootPinger)
		w.Sleep(200 * time.Millisecond)
		digest = w.Digest()
	})
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	require.Greater(t, len(lines), 20)
	require.Equal(t, "# protolab trace package=tests test=TestSimtraceWritesTheWholeTrace seed=1 nodes=2", lines[0])
	require.Equal(t, "#0 0.000000s n0 start incarnation 1", lines[1])
	require.NotEmpty(t, digest)
	require.Regexp(t, `^# end digest=`+digest+` steps=\d+ at=200ms failed=false body=[0-9a-f]{16}$`, lines[len(lines)-1])
}

func TestSimtraceJSONLinesForTools(t *testing.T) {
	path := filepath.Join(t.TempDir(), "trace.jsonl")
	old := *traceFlag
	*traceFlag = path
	defer func() { *traceFlag = old }()
	var digest string
	Run(t, func(t *T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		w.Start(0, bootPinger)
		w.Start(1, bootPinger)
		w.Sleep(200 * time.Millisecond)
		digest = w.Digest()
	})
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	tf, err := labrpc.ReadTrace(f)
	require.NoError(t, err)
	require.Equal(t, labrpc.TraceHeader{Package: "tests", Test: "TestSimtraceJSONLinesForTools", Seed: 1, Nodes: 2}, tf.Header)
	require.Greater(t, len(tf.Lines), 20)
	require.Zero(t, tf.TextLines)
	require.Equal(t, digest, tf.End.Digest)
	require.GreaterOrEqual(t, tf.End.Steps, tf.Lines[len(tf.Lines)-1].Step)
}
