package labgob

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
)

type goodArgs struct {
	Term    int
	Entries []entry
	Meta    map[string]int
}

type entry struct {
	Term    int
	Command any
}

type badArgs struct {
	Term     int
	votedFor int
}

type nestedBad struct {
	Inner []badArgs
}

type hidden struct{ x, y int }

func TestCopyIsDeep(t *testing.T) {
	s := NewStream()
	in := &goodArgs{Term: 3, Entries: []entry{{1, "a"}, {2, "b"}}, Meta: map[string]int{"k": 1}}
	out, n, err := s.Copy(in)
	require.NoError(t, err)
	require.Positive(t, n)
	got := out.(*goodArgs)
	require.Equal(t, in, got)
	in.Entries[0].Command = "changed"
	in.Meta["k"] = 9
	require.Equal(t, "a", got.Entries[0].Command, "the copy must not share the sender's slice")
	require.Equal(t, 1, got.Meta["k"], "the copy must not share the sender's map")
}

func TestCopyOfValueIsValue(t *testing.T) {
	out, _, err := NewStream().Copy(goodArgs{Term: 7})
	require.NoError(t, err)
	require.Equal(t, goodArgs{Term: 7}, out)
}

func TestWarmStreamIsSmaller(t *testing.T) {
	s := NewStream()
	_, first, err := s.Copy(&goodArgs{Term: 1})
	require.NoError(t, err)
	_, second, err := s.Copy(&goodArgs{Term: 1})
	require.NoError(t, err)
	require.Less(t, second, first, "the type description crosses a stream once")
	require.Less(t, second, 16)
}

func TestUnexportedFieldNamed(t *testing.T) {
	_, _, err := NewStream().Copy(&badArgs{Term: 1})
	require.ErrorContains(t, err, "field votedFor of *labgob.badArgs is unexported")
	require.ErrorContains(t, err, "rename it to VotedFor")

	_, _, err = NewStream().Copy(&nestedBad{})
	require.ErrorContains(t, err, "nestedBad.Inner")
	require.ErrorContains(t, err, "votedFor")

	_, _, err = NewStream().Copy(&hidden{})
	require.ErrorContains(t, err, "no exported fields")
}

func TestCheckTypeCachedOncePerType(t *testing.T) {
	a := CheckType(reflect.TypeFor[badArgs]())
	b := CheckType(reflect.TypeFor[badArgs]())
	require.Error(t, a)
	require.Same(t, a, b, "the verdict is computed once per type")
	require.NoError(t, CheckType(reflect.TypeFor[goodArgs]()))
}

func TestNonZeroDecodeTarget(t *testing.T) {
	require.NoError(t, CheckZero(&goodArgs{}))
	err := CheckZero(&goodArgs{Term: 4})
	require.ErrorContains(t, err, "non-zero labgob.goodArgs (field Term = 4)")
	require.ErrorContains(t, err, "fresh zero")
	require.ErrorContains(t, CheckZero(goodArgs{}), "non-nil pointer")

	var buf bytes.Buffer
	require.NoError(t, NewEncoder(&buf).Encode(5))
	x := 3
	require.ErrorContains(t, NewDecoder(&buf).Decode(&x), "non-zero int")
}

func TestEncoderRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	require.NoError(t, e.Encode(3))
	require.NoError(t, e.Encode([]entry{{Term: 2, Command: 10}}))
	require.ErrorContains(t, e.Encode(badArgs{}), "votedFor")
	d := NewDecoder(&buf)
	var term int
	var log []entry
	require.NoError(t, d.Decode(&term))
	require.NoError(t, d.Decode(&log))
	require.Equal(t, 3, term)
	require.Equal(t, []entry{{Term: 2, Command: 10}}, log)
}

type unregistered struct{ X int }

func TestUnregisteredInterfaceValue(t *testing.T) {
	s := NewStream()
	_, _, err := s.Copy(&entry{Term: 1, Command: unregistered{1}})
	require.ErrorContains(t, err, "labgob.Register")
	// The stream starts afresh after an error, like a reconnected link.
	out, _, err := s.Copy(&entry{Term: 2, Command: 5})
	require.NoError(t, err)
	require.Equal(t, &entry{Term: 2, Command: 5}, out)
}

func TestFuncFieldRejected(t *testing.T) {
	type withFunc struct{ F func() }
	_, _, err := NewStream().Copy(&withFunc{})
	require.ErrorContains(t, err, "kind func")
}

type small struct {
	Key     string
	Value   string
	Version uint64
}

// BenchmarkCopy compares a long-lived stream with a fresh encoder per
// message, the design choice behind labrpc's per-link streams.
func BenchmarkCopy(b *testing.B) {
	msg := &small{Key: "k", Value: "v", Version: 3}
	b.Run("stream", func(b *testing.B) {
		s := NewStream()
		for b.Loop() {
			if _, _, err := s.Copy(msg); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fresh", func(b *testing.B) {
		for b.Loop() {
			var buf bytes.Buffer
			if err := gob.NewEncoder(&buf).Encode(msg); err != nil {
				b.Fatal(err)
			}
			var out small
			if err := gob.NewDecoder(&buf).Decode(&out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
