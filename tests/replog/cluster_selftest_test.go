package replog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// The cluster's own rules, on liar engines that break them.

// claimer is an engine whose every peer claims to lead, in term 1, and whose
// Start returns an index that never commits.
type claimer struct{}

func (*claimer) Start(any) (int, int, bool)   { return 1, 1, true }
func (*claimer) GetState() (int, bool)        { return 1, true }
func (*claimer) Snapshot(index int, _ []byte) {}

var claimers = replog.Engine{Name: "claimer", Boot: func(labrpc.Env, *labrpc.Persister, func(replog.Msg)) replog.Peer { return &claimer{} }}

// failure runs body on a fake testing.T, as the harness would run a scenario,
// and reports whether it failed (noted() then reads the failure from the
// world's trace). A
// world stopped for another reason (a misuse) is an error of the self-test.
func failure(t *testing.T, body func(st *tests.T)) bool {
	t.Helper()
	ft := &testing.T{}
	var stopped any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { stopped = recover() }()
		body(&tests.T{T: ft, Seed: 1})
	}()
	<-done
	require.Nil(t, stopped, "the scenario stopped for another reason than the rule under test")
	return ft.Failed()
}

// noted returns the trace's FAIL note, if any.
func noted(w *labrpc.World) string {
	for _, l := range w.Tail(50) {
		if s := fmt.Sprint(l); strings.Contains(s, "FAIL: ") {
			return s
		}
	}
	return ""
}

func TestClusterCatchesTwoLeadersInOneTerm(t *testing.T) {
	var c *Cluster
	leader := -1
	failed := failure(t, func(st *tests.T) {
		c = newCluster(st, claimers, 3, reliable, 0)
		leader = c.CheckOneLeader()
	})
	defer c.w.Close()
	require.True(t, failed, "three peers leading in term 1 must fail CheckOneLeader (it returned %d)", leader)
	require.Contains(t, noted(c.w), "term 1 has 3 leaders: [0 1 2]")
}

func TestClusterOneFailsWhenNothingCommits(t *testing.T) {
	var c *Cluster
	failed := failure(t, func(st *tests.T) {
		c = newCluster(st, claimers, 3, reliable, 0)
		c.One("x", 1, false)
	})
	defer c.w.Close()
	require.True(t, failed, "a command that never commits must fail One")
	require.Contains(t, noted(c.w), `one("x") failed to reach agreement: index 1 has`)
}

func TestClusterSnapshotsEveryN(t *testing.T) {
	// The service hands a snapshot to the peer at every snapEvery-th index it
	// applies, with the state the checker keeps: a service that never asks would
	// leave the engines' snapshot code untested.
	var asked []int
	e := replog.Engine{Name: "recorder", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		p := &recorder{me: env.Me(), asked: &asked}
		env.After(10*time.Millisecond, func() {
			for index := 1; index <= 7; index++ {
				apply(cmd(index, index))
			}
		})
		return p
	}}
	c := newCluster(&tests.T{T: t, Seed: 1}, e, 1, reliable, 3)
	defer c.w.Close()
	c.w.Sleep(100 * time.Millisecond)
	require.NoError(t, c.w.Err())
	require.Equal(t, []int{3, 6}, asked)
	require.Equal(t, 7, c.Applied(0))
	require.Equal(t, 7, c.LastCommitted())
	n, command := c.NCommitted(7)
	require.Equal(t, 1, n)
	require.Equal(t, 7, command)
}

type recorder struct {
	me    int
	asked *[]int
}

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
type scribe struct {
	me  int
	log *[]any
}

func (s *scribe) Start(cmd any) (int, int, bool) {
	if s.me != 0 {
		return -1, 1, false
	}
	*s.log = append(*s.log, cmd)
	return len(*s.log), 1, true
}
func (s *scribe) GetState() (int, bool)        { return 1, s.me == 0 }
func (s *scribe) Snapshot(index int, _ []byte) {}

func scribes() replog.Engine {
	var log []any
	return replog.Engine{Name: "scribe", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		s := &scribe{me: env.Me(), log: &log}
		applied := 0
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

func TestClusterHelpersPassOnAnHonestEngine(t *testing.T) {
	c := newCluster(&tests.T{T: t, Seed: 1}, scribes(), 3, reliable, 0)
	defer c.w.Close()
	require.Equal(t, 0, c.CheckOneLeader(), "one leader, peer 0")
	require.Equal(t, 1, c.One("x", 3, false))
	require.Equal(t, 2, c.One(20, 3, false))
	require.Equal(t, "x", c.Wait(1, 3))
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
	require.Equal(t, 2, n, "a crashed peer no longer counts")
	c.Restart(2)
	c.w.Sleep(50 * time.Millisecond)
	require.NotNil(t, c.Peer(2))
	require.Equal(t, 2, c.Applied(2), "the new incarnation applied the log again, from index 1")
	require.NoError(t, c.w.Err())
}

func TestSummarizeWithoutCommits(t *testing.T) {
	// A run that committed nothing has no latency to report, and no cost per
	// commit (not an index out of range, not a division by zero).
	m := Summarize(nil, 40, 2000)
	require.Equal(t, Metrics{RPCs: 40, Bytes: 2000}, m)
}
