package replog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The Checker's self-tests: each rule the package comment and Checker.Apply
// claim is broken by a crafted sequence of applies, exactly that rule, and the
// checker must report it (and keep the first violation). A checker that
// silently weakens turns every scenario above it into a pass; these tests are
// what fails instead. docs/mutation.md lists the mutants of the checker they kill.

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

func cmd(index int, command any) Msg {
	return Msg{CommandValid: true, Command: command, CommandIndex: index}
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
	require.Equal(t, 2, k.SnapshotAt(1), "n1's latest snapshot, across its restart")
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
	require.Equal(t, "nil", Show(nil), "no command yet")
	require.Equal(t, `"short"`, Show("short"))
	require.Equal(t, `"aaaaaaaaaaaaaaaa"…(5000 bytes)`, Show(strings.Repeat("a", 5000)))
	require.Equal(t, `"`+strings.Repeat("b", 24)+`"`, Show(strings.Repeat("b", 24)), "24 bytes are shown whole")
	require.Equal(t, "[]int[1 2]", Show([]int{1, 2}))
	long := Show(struct{ A, B, C string }{"aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc"})
	require.True(t, strings.HasSuffix(long, "…") && len([]rune(long)) == 37, "a long value is cut at 36 bytes: %q", long)
}

func TestShowCutsAtFortyBytes(t *testing.T) {
	type v struct{ S string }
	forty := v{strings.Repeat("x", 40-len("replog.v{S:}"))}
	require.Len(t, fmt.Sprintf("%T%+v", forty, forty), 40)
	require.Equal(t, fmt.Sprintf("%T%+v", forty, forty), Show(forty), "40 bytes are shown whole")
	fortyOne := v{forty.S + "x"}
	require.Equal(t, fmt.Sprintf("%T%+v", fortyOne, fortyOne)[:36]+"…", Show(fortyOne))
}

func TestCheckerElectionSafety(t *testing.T) {
	k := NewChecker("liar", 3)
	require.True(t, k.Lead(0, 1))
	require.True(t, k.Lead(0, 1), "one peer seen leading one term again is fine")
	require.True(t, k.Lead(1, 2), "another peer in a later term is fine")
	require.True(t, k.Lead(0, 1), "an old leader that has not heard of the new term yet is fine")
	require.NoError(t, k.Err())
	require.Equal(t, 2, k.Elections())
	l, ok := k.LeaderOf(2)
	require.True(t, ok)
	require.Equal(t, 1, l)
	require.False(t, k.Lead(2, 1), "a second leader in term 1")
	require.ErrorContains(t, k.Err(), "liar: two leaders with term or ballot 1: n0 and n2 (election safety, Raft §5.2")
}

func TestCheckerRestartMustRestoreTheSnapshot(t *testing.T) {
	k := feed(1, apply{0, cmd(1, "a")}, apply{0, cmd(2, "b")}, apply{0, cmd(3, "c")})
	k.Snapshotted(0, 2)
	k.Boot(0)
	require.True(t, k.Apply(0, Msg{SnapshotValid: true, Snapshot: k.State(2), SnapshotIndex: 2}))
	require.True(t, k.Booted(0), "restored its snapshot at boot")
	require.NoError(t, k.Err())

	k.Boot(0)
	require.False(t, k.Booted(0), "restarted without its snapshot")
	require.ErrorContains(t, k.Err(), "n0 restarted with its state at index 0, but it had a snapshot through index 2 before it crashed")

	k = NewChecker("honest", 1)
	k.Boot(0)
	require.True(t, k.Booted(0), "a peer that never took a snapshot starts from index 1")

	// The snapshot its own service took counts too, with no snapshot ever
	// applied through the engine: a restart must start from it.
	k = feed(1, apply{0, cmd(1, "a")}, apply{0, cmd(2, "b")})
	k.Snapshotted(0, 2)
	k.Boot(0)
	require.False(t, k.Booted(0), "restarted without the snapshot its service took")
	require.ErrorContains(t, k.Err(), "n0 restarted with its state at index 0, but it had a snapshot through index 2 before it crashed")
}

func TestCheckerCommitByAPlayedPeer(t *testing.T) {
	k := NewChecker("liar", 2)
	require.Equal(t, 1, k.Commit("a"))
	require.Equal(t, 2, k.Commit("b"))
	require.True(t, k.Apply(0, Msg{SnapshotValid: true, Snapshot: k.State(2), SnapshotIndex: 2}), "the state the played peer committed")
	require.True(t, k.Apply(1, cmd(1, "a")))
	require.False(t, k.Apply(1, cmd(2, "B")))
	require.ErrorContains(t, k.Err(), `n1 applied "B" at index 2, but a peer the test plays applied "b" there`)
}
