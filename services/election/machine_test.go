package election

import (
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/services/lock"
)

// The election state directly, with no world: candidates lead in the order
// they campaigned, each with a greater revision; a resignation or an
// expired session hands over to the next; the history records each term
// once; a snapshot restores the same state.
func TestMachineQueue6D(t *testing.T) {
	lm, m := lock.NewMachine(), NewMachine()
	apply := func(op any) Reply {
		r, mine := m.Apply(lm, op)
		require.True(t, mine, "%T is an election operation", op)
		return r.(Reply)
	}
	open := func() lock.SessionID { return lm.Apply(lock.OpenSession{}).Session }
	leader := func() Leader {
		r := apply(Query{Election: "e"})
		require.Equal(t, OK, r.Err)
		return r.Leader
	}
	s1, s2, s3 := open(), open(), open()

	require.Equal(t, ErrNoLeader, apply(Query{Election: "e"}).Err)
	require.Equal(t, ErrNoSession, apply(Campaign{Election: "e", Session: 99, Value: "x"}).Err, "an unknown session cannot campaign")
	r1 := apply(Campaign{Election: "e", Session: s1, Value: "one"})
	r2 := apply(Campaign{Election: "e", Session: s2, Value: "two"})
	r3 := apply(Campaign{Election: "e", Session: s3, Value: "three"})
	require.Less(t, r1.Rev, r2.Rev)
	require.Less(t, r2.Rev, r3.Rev)
	require.Equal(t, r2.Rev, apply(Campaign{Election: "e", Session: s2, Value: "two"}).Rev, "a campaign repeated keeps its place")
	require.Equal(t, "one", leader().Value)
	require.True(t, apply(Query{Election: "e", Session: s3, Rev: r3.Rev}).Queued)

	apply(Resign{Election: "e", Session: s1})
	require.Equal(t, Leader{Election: "e", Value: "two", Rev: r2.Rev, Session: s2}, leader())

	// s2's session expires: s3 leads.
	exp := lock.Expire{Session: s2}
	r := lm.Apply(exp)
	require.Equal(t, lock.OK, r.Err)
	m.LockApplied(lm, exp, r)
	require.Equal(t, "three", leader().Value)
	require.Equal(t, ErrNoSession, apply(Campaign{Election: "e", Session: s2, Value: "two"}).Err, "an expired session cannot campaign")

	snap := m.Snapshot()
	m2 := NewMachine()
	require.NoError(t, m2.Restore(snap))
	require.Equal(t, m.Digest(), m2.Digest())

	var values []string
	for _, l := range m.History("e") {
		values = append(values, l.Value)
	}
	require.Equal(t, []string{"one", "two", "three"}, values, "each term once, in order")
	terms := apply(Query{Election: "e", After: r1.Rev}).Terms
	require.Len(t, terms, 2, "the terms after the first")

	_, mine := m.Apply(lm, lock.KeepAlive{Session: s3})
	require.False(t, mine, "a lock operation is not the election's")
}
