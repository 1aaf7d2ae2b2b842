package labrpc

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Append is Save of the state with the suffix added, the snapshot kept: the
// reads, the sizes and the count of writes say so, and the suffix is copied.
func TestPersisterAppendExtendsTheState(t *testing.T) {
	p := NewPersister()
	p.Append([]byte("t1")) // on empty storage: the state is the suffix
	require.Equal(t, "t1", string(p.ReadState()))
	require.Nil(t, p.ReadSnapshot())

	p.Save([]byte("whole"), []byte("snap"))
	suffix := []byte("+rec1")
	p.Append(suffix)
	copy(suffix, "XXXXX") // the caller's buffer is not stored
	p.Append([]byte("+rec2"))
	require.Equal(t, "whole+rec1+rec2", string(p.ReadState()))
	require.Equal(t, "snap", string(p.ReadSnapshot()), "Append keeps the snapshot")
	require.Equal(t, len("whole+rec1+rec2"), p.StateSize())
	require.Equal(t, 4, p.SnapshotSize())
	require.Equal(t, 4, p.Saves(), "Saves counts every write, Append included")

	read := p.ReadState()
	p.Append([]byte("+rec3"))
	require.Equal(t, "whole+rec1+rec2", string(read), "a state read earlier is a copy, unchanged by a later Append")

	p.Save([]byte("again"), nil)
	require.Equal(t, "again", string(p.ReadState()), "Save replaces everything appended")
	require.Nil(t, p.ReadSnapshot())
}

// A crash hands the next incarnation a copy of the Persister. An Append
// writes into the state's spare capacity, so the copy must not share it:
// otherwise what one side appends would show through in the other.
func TestPersisterCopyDoesNotShareAppends(t *testing.T) {
	p := NewPersister()
	p.Save([]byte("base"), []byte("snap"))
	p.Append([]byte("-a")) // six bytes in an array of eight: room to grow in place
	q := p.copy()
	p.Append([]byte("!"))
	q.Append([]byte("?"))
	require.Equal(t, "base-a!", string(p.ReadState()))
	require.Equal(t, "base-a?", string(q.ReadState()))
	require.Equal(t, "snap", string(q.ReadSnapshot()))
}

func TestPersisterAppendOnNil(t *testing.T) {
	var p *Persister
	require.PanicsWithValue(t, "labrpc: Persister.Append on a nil *Persister: a node gets its Persister from env.Persister() (keep it in Make); a test from World.Persister(id) or labrpc.NewPersister()",
		func() { p.Append([]byte("x")) })
}
