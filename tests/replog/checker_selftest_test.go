package replog

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// The Checker's self-tests: each rule the package comment and Checker.Apply
// claim is broken by a crafted sequence of applies, exactly that rule, and the
// checker must report it (and keep the first violation). A checker that
// silently weakens turns every scenario above it into a pass; these tests are
// what fails instead. docs/mutation.md lists the mutants of checker.go they kill.

// feed applies the messages in order, each to its node, and returns the checker.
type apply struct {
	node int
	m    Msg
}

func feed(n int, steps ...apply) *Checker {
	k := NewChecker("liar", n)
	for _, s := range steps {
		k.Apply(s.node, s.m)
	}
	return k
}

func snap(index int, hash uint64) Msg {
	return Msg{SnapshotValid: true, Snapshot: EncodeSnapshot(index, hash), SnapshotIndex: index}
}

func TestCheckerAcceptsAnHonestHistory(t *testing.T) {
	// Three peers apply the same commands; one restarts, installs a snapshot,
	// and goes on; another restarts without one and applies from index 1 again.
	k := NewChecker("honest", 3)
	for i := 0; i < 3; i++ {
		for index := 1; index <= 3; index++ {
			require.True(t, k.Apply(i, cmd(index, fmt.Sprint("c", index))), "n%d index %d", i, index)
		}
	}
	k.Boot(1)
	require.Zero(t, k.Applied(1), "a new incarnation has applied nothing")
	require.True(t, k.Apply(1, Msg{SnapshotValid: true, Snapshot: k.State(2), SnapshotIndex: 2}))
	require.Equal(t, 2, k.Applied(1))
	require.True(t, k.Apply(1, cmd(3, "c3")))
	require.True(t, k.Apply(1, cmd(4, "c4")), "a restarted peer may commit the next index first")
	k.Boot(2)
	for index := 1; index <= 4; index++ {
		require.True(t, k.Apply(2, cmd(index, fmt.Sprint("c", index))))
	}
	require.NoError(t, k.Err())
	require.Equal(t, 4, k.LastCommitted())
	require.Equal(t, "c4", k.CommandAt(4))
	require.Equal(t, 4, k.Applied(2))
	require.Nil(t, k.CommandAt(5), "nothing is committed past the last applied index")
	require.Nil(t, k.CommandAt(0), "index 0 holds no command")
	require.Equal(t, 1, k.snapshots[1])
}

func TestCheckerRejectsBothOrNeitherValid(t *testing.T) {
	k := feed(1, apply{0, Msg{CommandValid: true, SnapshotValid: true, CommandIndex: 1, Snapshot: EncodeSnapshot(0, 0)}})
	require.ErrorContains(t, k.Err(), "liar: n0 applied a message with both CommandValid and SnapshotValid")
	require.False(t, NewChecker("liar", 1).Apply(0, Msg{CommandValid: true, SnapshotValid: true}))
	k = feed(1, apply{0, Msg{CommandIndex: 1, Command: "x"}})
	require.ErrorContains(t, k.Err(), "n0 applied a message with neither CommandValid nor SnapshotValid")
	require.False(t, NewChecker("liar", 1).Apply(0, Msg{}))
}

func TestCheckerRejectsGapRepeatAndGoingBack(t *testing.T) {
	k := feed(2, apply{0, cmd(1, "a")}, apply{0, cmd(3, "c")})
	require.ErrorContains(t, k.Err(), "n0 applied index 3 right after index 1 (a gap)")
	k = feed(2, apply{0, cmd(1, "a")}, apply{0, cmd(2, "b")}, apply{0, cmd(2, "b")})
	require.ErrorContains(t, k.Err(), "n0 applied index 2 right after index 2 (a repeat)")
	k = feed(2, apply{0, cmd(1, "a")}, apply{0, cmd(2, "b")}, apply{0, cmd(1, "a")})
	require.ErrorContains(t, k.Err(), "n0 applied index 1 right after index 2 (a repeat)")
	// Each peer is held to its own order: n1 starting at 1 after n0 reached 2 is fine,
	// n1 jumping to 2 is not.
	k = feed(2, apply{0, cmd(1, "a")}, apply{0, cmd(2, "b")}, apply{1, cmd(2, "b")})
	require.ErrorContains(t, k.Err(), "n1 applied index 2 right after index 0 (a gap)")
	k = NewChecker("liar", 1)
	require.True(t, k.Apply(0, cmd(1, "a")))
	require.False(t, k.Apply(0, cmd(1, "a")), "Apply reports the violation")
	require.Equal(t, 1, k.Applied(0), "a rejected apply does not move the peer")
}

func TestCheckerRejectsTwoCommandsAtOneIndex(t *testing.T) {
	k := feed(3, apply{0, cmd(1, "a")}, apply{1, cmd(1, "a")}, apply{2, cmd(1, "b")})
	require.ErrorContains(t, k.Err(), `n2 applied "b" at index 1, but n0 applied "a" there: two commands committed at one index`)
	// The same value in another type is another command.
	k = feed(2, apply{0, cmd(1, 7)}, apply{1, cmd(1, int64(7))})
	require.ErrorContains(t, k.Err(), "two commands committed at one index")
	// So is nil against a command, and a slice with other contents.
	k = feed(2, apply{0, cmd(1, nil)}, apply{1, cmd(1, "x")})
	require.ErrorContains(t, k.Err(), "two commands committed at one index")
	k = feed(2, apply{0, cmd(1, []int{1, 2})}, apply{1, cmd(1, []int{1, 3})})
	require.ErrorContains(t, k.Err(), "two commands committed at one index")
	k = feed(2, apply{0, cmd(1, []int{1, 2})}, apply{1, cmd(1, []int{1, 2})}, apply{0, cmd(2, nil)}, apply{1, cmd(2, nil)})
	require.NoError(t, k.Err(), "equal slices, and nil at both, are one command")
	// A later index on a lagging peer is held against the first peer's.
	k = feed(2, apply{0, cmd(1, "a")}, apply{0, cmd(2, "b")}, apply{1, cmd(1, "a")}, apply{1, cmd(2, "B")})
	require.ErrorContains(t, k.Err(), `n1 applied "B" at index 2, but n0 applied "b" there`)
}

func TestCheckerRejectsWrongSnapshots(t *testing.T) {
	committed := []apply{{0, cmd(1, "a")}, {0, cmd(2, "b")}, {0, cmd(3, "c")}}
	good := func() *Checker { return feed(2, committed...) }

	k := good()
	require.True(t, k.Apply(1, Msg{SnapshotValid: true, Snapshot: k.State(2), SnapshotIndex: 2}), "the service's own state at 2")
	require.NoError(t, k.Err())

	k = good()
	require.False(t, k.Apply(1, Msg{SnapshotValid: true, Snapshot: []byte("junk"), SnapshotIndex: 2}))
	require.ErrorContains(t, k.Err(), "n1 applied a snapshot through index 2 whose data is not the service's")

	k = good()
	require.False(t, k.Apply(1, Msg{SnapshotValid: true, Snapshot: k.State(2), SnapshotIndex: 3}))
	require.ErrorContains(t, k.Err(), "n1 applied a snapshot labelled index 3 that the service took at index 2")

	k = good()
	require.False(t, k.Apply(1, snap(2, 12345)))
	require.ErrorContains(t, k.Err(), "whose state is not that of the commands committed at 1..2")

	k = good()
	require.False(t, k.Apply(1, Msg{SnapshotValid: true, Snapshot: k.State(1)[:0:0], SnapshotIndex: 1}))

	k = good() // a snapshot beyond anything committed
	require.False(t, k.Apply(1, snap(4, k.prefix[3])))
	require.ErrorContains(t, k.Err(), "n1 applied a snapshot through index 4 whose state is not that of the commands committed at 1..4")

	k = good() // going back: n0 has applied 3, then installs the state at 2
	require.False(t, k.Apply(0, Msg{SnapshotValid: true, Snapshot: k.State(2), SnapshotIndex: 2}))
	require.ErrorContains(t, k.Err(), "n0 applied a snapshot through index 2 after it had applied index 3: its state would go back")

	k = good() // the state at 3 on a peer at 3 is no step back
	require.True(t, k.Apply(0, Msg{SnapshotValid: true, Snapshot: k.State(3), SnapshotIndex: 3}))
	require.True(t, k.Apply(0, cmd(4, "d")), "after a snapshot the peer goes on from the next index")
	require.NoError(t, k.Err())

	k = good() // the snapshot at index 0: the empty state
	require.True(t, k.Apply(1, snap(0, 0)))
	require.True(t, k.Apply(1, cmd(1, "a")))
	require.NoError(t, k.Err())
}

func TestCheckerKeepsTheFirstViolation(t *testing.T) {
	k := feed(2, apply{0, cmd(2, "gap")}, apply{0, Msg{}}, apply{1, cmd(5, "x")})
	require.ErrorContains(t, k.Err(), "n0 applied index 2 right after index 0 (a gap)")
	require.False(t, strings.Contains(k.Err().Error(), "neither"), "a later violation must not hide the first: %v", k.Err())
}

func TestExtendHashAndShow(t *testing.T) {
	ab := ExtendHash(ExtendHash(0, "a"), "b")
	require.NotEqual(t, ab, ExtendHash(ExtendHash(0, "b"), "a"), "the hash of a log depends on the order")
	require.NotEqual(t, ExtendHash(0, 1), ExtendHash(0, "1"), "and on the type")
	require.NotEqual(t, ExtendHash(0, "a"), ExtendHash(1, "a"), "and on the prefix")
	require.Equal(t, ab, ExtendHash(ExtendHash(0, "a"), "b"))
	i, h, err := DecodeSnapshot(EncodeSnapshot(7, ab))
	require.NoError(t, err)
	require.Equal(t, 7, i)
	require.Equal(t, ab, h)
	_, _, err = DecodeSnapshot(make([]byte, 15))
	require.ErrorContains(t, err, "15 bytes, not 16")
	_, _, err = DecodeSnapshot(make([]byte, 17))
	require.Error(t, err)

	require.Equal(t, "12", Show(12))
	require.Equal(t, `"short"`, Show("short"))
	require.Equal(t, `"aaaaaaaaaaaaaaaa"…(5000 bytes)`, Show(strings.Repeat("a", 5000)))
	require.Equal(t, `"`+strings.Repeat("b", 24)+`"`, Show(strings.Repeat("b", 24)), "24 bytes are shown whole")
	require.Equal(t, "[]int[1 2]", Show([]int{1, 2}))
	long := Show(struct{ A, B, C string }{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"})
	require.True(t, strings.HasSuffix(long, "…") && len([]rune(long)) == 37, "a long value is cut at 36 bytes: %q", long)
}

// The cluster's own rules, on liar engines that break them.

// claimer is an engine whose every peer claims to lead, in term 1, and whose
// Start returns an index that never commits.
type claimer struct{}

func (*claimer) Start(any) (int, int, bool)   { return 1, 1, true }
func (*claimer) GetState() (int, bool)        { return 1, true }
func (*claimer) Snapshot(index int, _ []byte) {}

var claimers = Engine{Name: "claimer", Boot: func(labrpc.Env, *labrpc.Persister, func(Msg)) Peer { return &claimer{} }}

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
	e := Engine{Name: "recorder", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(Msg)) Peer {
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
	if i, _, err := DecodeSnapshot(data); err == nil && i == index {
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

func scribes() Engine {
	var log []any
	return Engine{Name: "scribe", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(Msg)) Peer {
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

func TestShowCutsAtFortyBytes(t *testing.T) {
	type v struct{ S string }
	forty := v{strings.Repeat("x", 40-len("replog.v{S:}"))}
	require.Len(t, fmt.Sprintf("%T%+v", forty, forty), 40)
	require.Equal(t, fmt.Sprintf("%T%+v", forty, forty), Show(forty), "40 bytes are shown whole")
	fortyOne := v{forty.S + "x"}
	require.Equal(t, fmt.Sprintf("%T%+v", fortyOne, fortyOne)[:36]+"…", Show(fortyOne))
}

func TestSummarizeWithoutCommits(t *testing.T) {
	// A run that committed nothing has no latency to report, and no cost per
	// commit (not an index out of range, not a division by zero).
	m := Summarize(nil, 40, 2000)
	require.Equal(t, Metrics{RPCs: 40, Bytes: 2000}, m)
}
