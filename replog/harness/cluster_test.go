package harness

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
)

// The harness's checks and helpers must be able to fail: engines that lie
// break each rule, and the run must stop with a message that names it. An
// honest toy engine shows that the helpers pass where they must.

var reliable = labrpc.MustProfile("reliable")

// run starts n peers of e in a world of their own, runs body on the cluster
// with no Reporter (a failure stops the run), and returns the error that
// ended it.
func run(t *testing.T, e replog.Engine, n int, body func(c *Cluster)) error {
	t.Helper()
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n, Profile: reliable})
	t.Cleanup(w.Close)
	c := New(w, e, nil)
	c.StartAll()
	return Run(w, func() error { body(c); return nil })
}

func cmd(index int, command any) replog.Msg {
	return replog.Msg{CommandValid: true, Command: command, CommandIndex: index}
}

// liar is an engine whose peers apply whatever script says, 10ms after they
// start, with no agreement at all; none leads.
type liar struct{}

func (*liar) Start(any) (int, int, bool)   { return -1, 0, false }
func (*liar) GetState() (int, bool)        { return 0, false }
func (*liar) Snapshot(index int, _ []byte) {}

func liarEngine(script func(me int, apply func(replog.Msg))) replog.Engine {
	return replog.Engine{Name: "liar", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		env.After(10*time.Millisecond, func() { script(env.Me(), apply) })
		return &liar{}
	}}
}

func runLiar(t *testing.T, script func(me int, apply func(replog.Msg))) error {
	return run(t, liarEngine(script), 3, func(c *Cluster) { c.World().Sleep(time.Second) })
}

func TestInvariantDifferentCommandsAtOneIndex(t *testing.T) {
	err := runLiar(t, func(me int, apply func(replog.Msg)) { apply(cmd(1, 100+me)) })
	require.ErrorContains(t, err, "liar: n1 applied 101 at index 1, but n0 applied 100 there: two commands committed at one index")
}

func TestInvariantGapAndRepeat(t *testing.T) {
	err := runLiar(t, func(me int, apply func(replog.Msg)) { apply(cmd(2, "x")) })
	require.ErrorContains(t, err, "right after index 0 (a gap)")
	err = runLiar(t, func(me int, apply func(replog.Msg)) { apply(cmd(1, "x")); apply(cmd(1, "x")) })
	require.ErrorContains(t, err, "right after index 1 (a repeat)")
}

func TestInvariantSnapshotMustMatchCommits(t *testing.T) {
	err := runLiar(t, func(me int, apply func(replog.Msg)) {
		if me == 0 {
			apply(cmd(1, "x"))
			return
		}
		apply(replog.Msg{SnapshotValid: true, Snapshot: replog.EncodeSnapshot(1, 12345), SnapshotIndex: 1})
	})
	require.ErrorContains(t, err, "whose state is not that of the commands committed")
	err = runLiar(t, func(me int, apply func(replog.Msg)) {
		apply(replog.Msg{SnapshotValid: true, Snapshot: []byte("junk"), SnapshotIndex: 3})
	})
	require.ErrorContains(t, err, "whose data is not the service's")
}

// claimer is an engine whose every peer claims to lead, in term 1, and whose
// Start returns an index that never commits.
type claimer struct{}

func (*claimer) Start(any) (int, int, bool)   { return 1, 1, true }
func (*claimer) GetState() (int, bool)        { return 1, true }
func (*claimer) Snapshot(index int, _ []byte) {}

var claimers = replog.Engine{Name: "claimer", Boot: func(labrpc.Env, *labrpc.Persister, func(replog.Msg)) replog.Peer { return &claimer{} }}

func TestTwoLeadersInOneTermStopTheRun(t *testing.T) {
	err := run(t, claimers, 3, func(c *Cluster) { c.World().Sleep(time.Millisecond) })
	require.ErrorContains(t, err, "claimer: two leaders with term or ballot 1: n0 and n1 (election safety, Raft §5.2")
}

// mute is an engine whose peers never lead and never apply.
type mute struct{}

func (*mute) Start(any) (int, int, bool)   { return -1, 0, false }
func (*mute) GetState() (int, bool)        { return 0, false }
func (*mute) Snapshot(index int, _ []byte) {}

var mutes = replog.Engine{Name: "mute", Boot: func(labrpc.Env, *labrpc.Persister, func(replog.Msg)) replog.Peer { return &mute{} }}

// lone is an engine whose peer 0 alone leads, in term 1, and takes commands
// that never commit.
type lone struct{ me int }

func (l *lone) Start(any) (int, int, bool)   { return 1, 1, l.me == 0 }
func (l *lone) GetState() (int, bool)        { return 1, l.me == 0 }
func (l *lone) Snapshot(index int, _ []byte) {}

var lones = replog.Engine{Name: "lone", Boot: func(env labrpc.Env, _ *labrpc.Persister, _ func(replog.Msg)) replog.Peer {
	return &lone{env.Me()}
}}

func TestHelpersFailAndSayWhy(t *testing.T) {
	err := run(t, mutes, 3, func(c *Cluster) { c.CheckOneLeader() })
	require.ErrorContains(t, err, "no leader among the connected peers after 5s")
	err = run(t, lones, 3, func(c *Cluster) { c.One("x", 1, false) })
	require.ErrorContains(t, err, `one("x"): 0 of the 1 expected peers applied index 1 within 2s (it holds nil)`)
	err = run(t, lones, 3, func(c *Cluster) { c.One("x", 1, true) })
	require.ErrorContains(t, err, `one("x"): no agreement within 10s`)
	err = run(t, mutes, 3, func(c *Cluster) { c.Wait(1, 1) })
	require.ErrorContains(t, err, "only 0 peers applied index 1; wanted 1")
}

// A Reporter hears the failure instead, with a note in the trace.
type reporter struct{ msgs []string }

func (r *reporter) Helper() {}
func (r *reporter) Fatalf(format string, args ...any) {
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

// reported starts three peers of e with a reporter that records failures.
func reported(t *testing.T, e replog.Engine) (*labrpc.World, *Cluster, *reporter) {
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 3, Profile: reliable})
	t.Cleanup(w.Close)
	r := &reporter{}
	c := New(w, e, r)
	c.StartAll()
	return w, c, r
}

func TestFailureGoesToTheReporter(t *testing.T) {
	w, c, r := reported(t, mutes)
	require.Equal(t, -1, c.CheckOneLeader(), "a Reporter that returns lets the helper return")
	require.Equal(t, []string{"no leader among the connected peers after 5s (expected one, Raft §5.2)"}, r.msgs)
	require.NoError(t, w.Err(), "a failure reported is not the world's")
	var noted bool
	for _, l := range w.Tail(20) {
		noted = noted || strings.Contains(fmt.Sprint(l), "test fails: no leader")
	}
	require.True(t, noted, "the failure is noted in the trace")
}

func TestInProcessStopsTheRun(t *testing.T) {
	w, c, r := reported(t, lones)
	w.Go("client", func() { c.InProcess().One("x", 1, false) })
	err := Run(w, func() error { w.Sleep(3 * time.Second); return nil })
	require.ErrorContains(t, err, `one("x"): 0 of the 1 expected peers applied index 1 within 2s`)
	require.Empty(t, r.msgs, "a process may not end the test: the run stops instead")
}

// forgetful is an honest engine (a scribe) that never keeps a snapshot:
// after a restart it applies again from index 1.
func forgetful() replog.Engine { return scribes("forgetful", 2, false) }

func TestRestartMustRestoreTheSnapshot(t *testing.T) {
	err := run(t, forgetful(), 1, func(c *Cluster) {
		c.One("a", 1, false)
		c.One("b", 1, false) // the service snapshots at index 2
		c.Restart(0)
		c.World().Sleep(100 * time.Millisecond)
	})
	require.ErrorContains(t, err, "forgetful: n0 restarted with its state at index 0, but it had a snapshot through index 2 before it crashed")

	var c *Cluster
	require.NoError(t, run(t, keeper(), 1, func(cl *Cluster) {
		c = cl
		c.One("a", 1, false)
		c.One("b", 1, false)
		c.Restart(0)
		c.One("c", 1, false)
	}))
	require.Equal(t, 3, c.Applied(0), "restored through 2 at boot, then applied 3")
	require.Zero(t, c.Installs(0), "a snapshot restored at boot is not one installed from another peer")
}

// keeper is a scribe that keeps its snapshots: a restart hands the latest
// one to the service, then applies the log after it.
func keeper() replog.Engine { return scribes("keeper", 2, true) }

func TestSnapshotsEveryN(t *testing.T) {
	// The service hands a snapshot to the peer at every SnapshotEvery-th index
	// it applies, with the state the checker keeps: a service that never asks
	// would leave the engines' snapshot code untested.
	var asked []int
	e := replog.Engine{Name: "recorder", SnapshotEvery: 3, Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		p := &recorder{asked: &asked}
		env.After(10*time.Millisecond, func() {
			for index := 1; index <= 7; index++ {
				apply(cmd(index, index))
			}
		})
		return p
	}}
	var c *Cluster
	require.NoError(t, run(t, e, 1, func(cl *Cluster) { c = cl; c.World().Sleep(100 * time.Millisecond) }))
	require.Equal(t, []int{3, 6}, asked)
	require.Equal(t, 7, c.Applied(0))
	require.Equal(t, 7, c.LastCommitted())
	require.Equal(t, 6, c.Checker().SnapshotAt(0))
	n, command := c.NCommitted(7)
	require.Equal(t, 1, n)
	require.Equal(t, 7, command)
}

type recorder struct{ asked *[]int }

func (r *recorder) Start(any) (int, int, bool) { return -1, 0, false }
func (r *recorder) GetState() (int, bool)      { return 0, false }
func (r *recorder) Snapshot(index int, data []byte) {
	if i, _, err := replog.DecodeSnapshot(data); err == nil && i == index {
		*r.asked = append(*r.asked, index)
	}
}

// scribe is an honest engine with a fixed leader: peer 0 appends each Start to
// one log the peers share, and every peer applies what it has not applied yet
// every 10ms. It lets the cluster's helpers be tested where they must pass.
// (A toy: a scribe that keeps a snapshot writes it over its Persister.)
type scribe struct {
	me        int
	log       *[]any
	persister *labrpc.Persister // nil: snapshots are not kept
}

func (s *scribe) Start(cmd any) (int, int, bool) {
	if s.me != 0 {
		return -1, 1, false
	}
	*s.log = append(*s.log, cmd)
	return len(*s.log), 1, true
}
func (s *scribe) GetState() (int, bool) { return 1, s.me == 0 }
func (s *scribe) Snapshot(index int, data []byte) {
	if s.persister != nil {
		s.persister.Save(nil, data)
	}
}

// scribes is the scribe engine called name, whose service snapshots every
// snapEvery indexes; keep says whether the peers keep their snapshots.
func scribes(name string, snapEvery int, keep bool) replog.Engine {
	var log []any
	return replog.Engine{Name: name, SnapshotEvery: snapEvery, Boot: func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		s := &scribe{me: env.Me(), log: &log}
		applied := 0
		if keep {
			s.persister = p
			if data := p.ReadSnapshot(); len(data) > 0 {
				applied, _, _ = replog.DecodeSnapshot(data)
				apply(replog.Msg{SnapshotValid: true, Snapshot: data, SnapshotIndex: applied})
			}
		}
		var tick func()
		tick = func() {
			for applied < len(log) {
				applied++
				apply(cmd(applied, log[applied-1]))
			}
			env.After(10*time.Millisecond, tick)
		}
		env.After(10*time.Millisecond, tick)
		return s
	}}
}

func TestHelpersPassOnAnHonestEngine(t *testing.T) {
	var applies int
	err := run(t, scribes("scribe", 0, false), 3, func(c *Cluster) {
		c.OnApply = func(i int, m replog.Msg) { applies++ }
		require.Equal(t, 0, c.CheckOneLeader(), "one leader, peer 0")
		require.Equal(t, 1, c.One("x", 3, false))
		require.Equal(t, 2, c.One(20, 3, false))
		require.Equal(t, "x", c.Wait(1, 3))
		require.Equal(t, 20, c.WaitInTerm(2, 3, 1))
		n, command := c.NCommitted(2)
		require.Equal(t, 3, n)
		require.Equal(t, 20, command)
		require.Equal(t, 2, c.LastCommitted())
		require.Equal(t, 2, c.Applied(1))
		require.Equal(t, 20, c.CommandAt(2))
		require.True(t, c.Up(1))
		c.Disconnect(1)
		require.False(t, c.Up(1), "a disconnected peer is not up")
		c.Connect(1)
		require.True(t, c.Up(1))
		c.Crash(2)
		require.False(t, c.Up(2))
		require.Nil(t, c.Peer(2), "a crashed peer has no running incarnation")
		n, _ = c.NCommitted(1)
		require.Equal(t, 3, n, "a crashed peer counts what it applied until it restarts")
		c.Restart(2)
		c.World().Sleep(50 * time.Millisecond)
		require.NotNil(t, c.Peer(2))
		require.Equal(t, 2, c.Applied(2), "the new incarnation applied the log again, from index 1")
		require.Equal(t, 0, c.Leader())
	})
	require.NoError(t, err)
	require.Equal(t, 8, applies, "OnApply hears every apply: 2 indexes on 3 peers, and 2 again on the restarted one")
}

func TestRunTurnsAStoppedRunIntoItsError(t *testing.T) {
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
	defer w.Close()
	boom := errors.New("boom")
	err := Run(w, func() error {
		w.Fail(boom)
		w.Sleep(time.Second) // stops the driver
		t.Fatal("Sleep returned after the run failed")
		return nil
	})
	require.ErrorIs(t, err, boom)
	require.Equal(t, errors.New("mine"), Run(w, func() error { return errors.New("mine") }), "body's own error first")
	require.ErrorIs(t, Run(w, func() error { return nil }), boom, "then the world's")
	require.PanicsWithValue(t, "other", func() { _ = Run(w, func() error { panic("other") }) }, "any other panic goes on")
}

func TestPercentile(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var ds []time.Duration
		for _, v := range vs {
			ds = append(ds, time.Duration(v)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	for _, tc := range []struct {
		ds   []time.Duration
		p    float64
		want int
	}{
		{nil, 50, 0},
		{ms(7), 1, 7}, {ms(7), 50, 7}, {ms(7), 100, 7},
		{ms(3, 1, 2), 50, 2}, {ms(3, 1, 2), 99, 3}, {ms(3, 1, 2), 33, 1}, {ms(3, 1, 2), 34, 2},
		{ms(4, 1, 3, 2), 50, 2}, {ms(4, 1, 3, 2), 51, 3}, {ms(4, 1, 3, 2), 100, 4},
		{ms(hundred...), 50, 50}, {ms(hundred...), 99, 99}, {ms(hundred...), 99.5, 100}, {ms(hundred...), 1, 1},
	} {
		require.Equal(t, time.Duration(tc.want)*time.Millisecond, Percentile(tc.ds, tc.p), "p%v of %v", tc.p, tc.ds)
	}
	ds := ms(3, 1, 2)
	Percentile(ds, 50)
	require.Equal(t, ms(3, 1, 2), ds, "Percentile leaves its input alone")
}

func TestSummarize(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	m := Summarize(lat, 400, 20000)
	require.Equal(t, 100, m.Commits)
	require.Equal(t, 8.0, m.MsgsPerCommit, "each RPC is a request and a reply")
	require.Equal(t, 200.0, m.BytesPerCommit)
	require.Equal(t, 50*time.Millisecond, m.P50)
	require.Equal(t, 99*time.Millisecond, m.P99)
	// A run that committed nothing has no latency to report, and no cost per
	// commit (not an index out of range, not a division by zero).
	require.Equal(t, Metrics{RPCs: 40, Bytes: 2000}, Summarize(nil, 40, 2000))
}

func TestMeasureIsExactOnTheBenchNetwork(t *testing.T) {
	// The scribe's peers apply on a 10ms tick and talk to no one: each
	// command takes one tick, and no message is sent.
	m, err := Measure(scribes("scribe", 0, false), 3, 20, 1)
	require.NoError(t, err)
	require.Equal(t, 20, m.Commits)
	require.Zero(t, m.MsgsPerCommit)
	require.LessOrEqual(t, m.P99, 10*time.Millisecond)
	_, err = Measure(mutes, 3, 20, 1)
	require.ErrorContains(t, err, "mute: no leader after 10s")
}

// Without a Reporter, Fatalf stops its caller there: the code after it, which
// assumes what the failed check refused, never runs.
func TestFatalfWithoutReporterStopsTheCaller(t *testing.T) {
	var after bool
	err := run(t, mutes, 3, func(c *Cluster) {
		c.Fatalf("refused: %d", 7)
		after = true
	})
	require.ErrorContains(t, err, "refused: 7")
	require.False(t, after, "the driver went on after Fatalf")
}

// Wait backs off up to a second a poll, so it waits some 25 s of virtual
// time in all: a command that commits 2 s later is found, not given up on.
func TestWaitWaitsForALateCommit(t *testing.T) {
	err := run(t, scribes("scribe", 0, false), 3, func(c *Cluster) {
		w := c.World()
		w.Go("client", func() {
			w.Sleep(2 * time.Second)
			c.Peer(0).Start("late")
		})
		require.Equal(t, "late", c.Wait(1, 3))
		require.GreaterOrEqual(t, w.Now(), 2*time.Second)
	})
	require.NoError(t, err)
}
