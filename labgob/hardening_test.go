package labgob

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type chain struct {
	Name string
	Next *chain
}

type bag struct {
	Items []any
	Index map[string]any
}

func init() {
	Register([]any{})
	Register(map[string]any{})
	Register(&chain{})
}

// A value that refers back to itself made gob recurse until the stack
// overflowed: a fatal error that killed the test binary. It is an error now,
// naming the path where the cycle closes.
func TestCycleIsAnError(t *testing.T) {
	a := &chain{Name: "a"}
	a.Next = &chain{Name: "b", Next: a}
	_, _, err := NewStream().Copy(a)
	require.ErrorContains(t, err, "*labgob.chain refers back to itself")
	require.ErrorContains(t, err, ".Next.Next")
	require.ErrorContains(t, err, "ids instead of pointers")
	require.ErrorContains(t, NewEncoder(&bytes.Buffer{}).Encode(a), "refers back to itself")

	self := []any{1, nil}
	self[1] = self
	_, _, err = NewStream().Copy(&bag{Items: self})
	require.ErrorContains(t, err, "labgob.bag refers back to itself")
	require.ErrorContains(t, err, ".Items[1]")

	m := map[string]any{}
	m["me"] = m
	_, _, err = NewStream().Copy(&bag{Index: m})
	require.ErrorContains(t, err, `.Index[me]`)

	inIface := &chain{Name: "x"}
	inIface.Next = inIface
	_, _, err = NewStream().Copy(&bag{Items: []any{inIface}})
	require.ErrorContains(t, err, "refers back to itself")
}

// Sharing is not a cycle: gob writes a shared value twice, and that is fine.
func TestSharedValueIsNotACycle(t *testing.T) {
	shared := &chain{Name: "s"}
	out, _, err := NewStream().Copy(&bag{Items: []any{shared, shared, []any{1, 2}}})
	require.NoError(t, err)
	require.Len(t, out.(*bag).Items, 3)

	long := &chain{Name: "0"}
	for i := 0; i < 1000; i++ {
		long = &chain{Name: "n", Next: long}
	}
	_, _, err = NewStream().Copy(long)
	require.NoError(t, err, "a long list is deep, not cyclic")
}

func TestTooDeepIsAnError(t *testing.T) {
	long := &chain{}
	for i := 0; i < maxDepth+10; i++ {
		long = &chain{Next: long}
	}
	_, _, err := NewStream().Copy(long)
	require.ErrorContains(t, err, "nests more than 10000 levels deep")
}

// Encode((*T)(nil)) was gob's raw panic.
func TestEncodeNilPointer(t *testing.T) {
	var c *chain
	err := NewEncoder(&bytes.Buffer{}).Encode(c)
	require.ErrorContains(t, err, "cannot encode a nil *labgob.chain")
	require.ErrorContains(t, NewEncoder(&bytes.Buffer{}).Encode(nil), "cannot encode nil")
	_, _, err = NewStream().Copy(c)
	require.ErrorContains(t, err, "cannot send a nil *labgob.chain")
}

// A message past the size limit was accepted (a 1.1 GB one took 67 s and
// 10 GB). It is refused, naming its size, the limit and how to raise it.
func TestMessageSizeLimit(t *testing.T) {
	s := NewStream()
	s.SetLimit(1000)
	_, n, err := s.Copy(&chain{Name: strings.Repeat("x", 900)})
	require.NoError(t, err)
	require.Less(t, n, 1000)
	_, _, err = s.Copy(&chain{Name: strings.Repeat("x", 2000)})
	var tb *TooBigError
	require.ErrorAs(t, err, &tb)
	require.Equal(t, 1000, tb.Limit)
	require.Greater(t, tb.Size, 2000)
	require.ErrorContains(t, err, "passes the message size limit of 1000 bytes")
	require.ErrorContains(t, err, "labrpc.Config.MaxMessage")
	// The stream goes on after the refusal, as a reconnected link would.
	out, _, err := s.Copy(&chain{Name: "small"})
	require.NoError(t, err)
	require.Equal(t, "small", out.(*chain).Name)

	var buf bytes.Buffer
	e := NewEncoder(&buf)
	e.SetLimit(100)
	require.ErrorContains(t, e.Encode(strings.Repeat("y", 200)), "limit of 100 bytes")
	require.Zero(t, buf.Len(), "nothing of a refused value is written")
}

func TestDefaultMessageSizeLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates 64 MB")
	}
	big := make([]byte, DefaultMaxMessage)
	_, _, err := NewStream().Copy(&big)
	require.ErrorContains(t, err, "passes the message size limit of 67108864 bytes")
}
