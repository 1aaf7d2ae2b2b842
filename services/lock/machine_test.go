package lock

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The state machine's rules, applied directly (no log, no network).

func TestMachineGrantsOneHolder6C(t *testing.T) {
	m := NewMachine()
	a := m.Apply(OpenSession{}).Session
	b := m.Apply(OpenSession{}).Session
	require.NotEqual(t, a, b, "two sessions got one id")

	r := m.Apply(Acquire{Session: a, Lock: "L"})
	require.Equal(t, OK, r.Err)
	require.Equal(t, Sequencer{"L", 1}, r.Seq, "the first grant of a lock has generation 1")
	require.Equal(t, ErrBusy, m.Apply(Acquire{Session: b, Lock: "L", Try: true}).Err, "a held lock is busy for another session")
	require.Equal(t, r, m.Apply(Acquire{Session: a, Lock: "L"}), "the holder asking again gets its own grant back")

	require.Equal(t, ErrNotHeld, m.Apply(Release{Session: b, Lock: "L", Gen: 1}).Err, "a session releases only what it holds")
	require.Equal(t, OK, m.Apply(Release{Session: a, Lock: "L", Gen: 1}).Err)
	r = m.Apply(Acquire{Session: b, Lock: "L"})
	require.Equal(t, Sequencer{"L", 2}, r.Seq, "a re-grant must carry a greater sequencer (Chubby §2.4)")
	r = m.Apply(Acquire{Session: a, Lock: "M"})
	require.Equal(t, Sequencer{"M", 1}, r.Seq, "each lock counts its own generations")
}

func TestMachineExpiry6C(t *testing.T) {
	m := NewMachine()
	a := m.Apply(OpenSession{}).Session
	b := m.Apply(OpenSession{}).Session
	require.Equal(t, OK, m.Apply(Acquire{Session: a, Lock: "L"}).Err)
	require.Equal(t, OK, m.Apply(Acquire{Session: a, Lock: "M"}).Err)

	_, beats := m.Live(a)
	require.Equal(t, OK, m.Apply(KeepAlive{Session: a}).Err)
	require.Equal(t, ErrNoSession, m.Apply(Expire{Session: a, Beats: beats}).Err,
		"an Expire proposed before a KeepAlive that was applied first must do nothing")
	live, _ := m.Live(a)
	require.True(t, live)

	_, beats = m.Live(a)
	require.Equal(t, OK, m.Apply(Expire{Session: a, Beats: beats}).Err)
	live, _ = m.Live(a)
	require.False(t, live)
	for _, name := range []string{"L", "M"} {
		holder, _ := m.Holder(name)
		require.Zero(t, holder, "lock %s still held by an expired session", name)
	}
	require.Equal(t, ErrNoSession, m.Apply(KeepAlive{Session: a}).Err, "a KeepAlive must not revive an expired session")
	require.Equal(t, ErrNoSession, m.Apply(Acquire{Session: a, Lock: "L"}).Err, "an expired session gets no lock")
	r := m.Apply(Acquire{Session: b, Lock: "L"})
	require.Equal(t, Sequencer{"L", 2}, r.Seq)
	require.Equal(t, []SessionID{b}, m.Sessions())
}

func TestMachineSnapshot6C(t *testing.T) {
	m := NewMachine()
	for range 3 {
		m.Apply(OpenSession{})
	}
	m.Apply(Acquire{Session: 2, Lock: "x"})
	m.Apply(Acquire{Session: 3, Lock: "y"})
	m.Apply(Expire{Session: 3})
	r := NewMachine()
	require.NoError(t, r.Restore(m.Snapshot()))
	require.Equal(t, m.Digest(), r.Digest())
	require.Equal(t, m.Apply(OpenSession{}), r.Apply(OpenSession{}), "the restored state numbers sessions on")
	holder, gen := r.Holder("y")
	require.Equal(t, SessionID(0), holder)
	require.Equal(t, uint64(1), gen)
	require.Error(t, r.Restore([]byte("junk")))
}
