package labgob

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Types for the Wire's tests: plain structs, a log entry whose Command is
// an interface, a command that holds an interface itself (so a description
// lands two interfaces deep), and pointers.
type wireVote struct {
	Term      int
	Candidate int
}

type wireCmd struct {
	Key, Value string
	Client     int64
}

type wireUnregistered struct{ X int }

type wirePtrCmd struct{ Op string }

type wireNested struct {
	Tag   string
	Inner any
}

type wireInner struct{ Weights []float64 }

type wireAppend struct {
	Term    int
	Entries []entry
}

type wireMembers struct {
	From    int
	Members []wireMember
	Index   map[string]wireMember
}

type wireMember struct {
	ID          int
	Incarnation uint64
	Addr        string
}

func init() {
	Register(wireCmd{})
	Register(&wirePtrCmd{})
	Register(wireNested{})
	Register(wireInner{})
}

// randomWireValue draws a message: its type, and for log entries which
// commands ride in them.
func randomWireValue(r *rand.Rand) any {
	switch r.IntN(6) {
	case 0:
		return &wireVote{Term: r.IntN(100), Candidate: r.IntN(5)}
	case 1:
		return wireVote{Term: r.IntN(100)}
	case 2:
		m := &wireMembers{From: r.IntN(5)}
		for i := 0; i < r.IntN(4); i++ {
			m.Members = append(m.Members, wireMember{ID: i, Incarnation: uint64(r.IntN(9)), Addr: "n"})
		}
		if r.IntN(2) == 0 {
			m.Index = map[string]wireMember{"a": {ID: 1}}
		}
		return m
	default:
		a := &wireAppend{Term: r.IntN(9)}
		for i := 0; i < r.IntN(5); i++ {
			var c any
			switch r.IntN(7) {
			case 0:
				c = r.IntN(1000)
			case 1:
				c = "x"
			case 2:
				c = wireCmd{Key: "k", Value: "v", Client: r.Int64()}
			case 3:
				c = &wirePtrCmd{Op: "p"}
			case 4:
				c = wireNested{Tag: "t", Inner: wireInner{Weights: []float64{1, 2}}}
			case 5:
				c = wireNested{Tag: "u", Inner: 7}
			case 6:
				c = nil
			}
			a.Entries = append(a.Entries, entry{Term: i, Command: c})
		}
		return a
	}
}

// The Wire's byte count for a link is exactly what a Stream of that link's
// own would count, message after message, whatever the mix of types and
// links; and its copies are the same.
func TestWireCountsWhatAStreamPerLinkWould(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 0))
			const nodes = 5
			wire := NewWire()
			links := make([]Link, nodes*nodes)
			streams := make([]*Stream, nodes*nodes)
			for i := range streams {
				streams[i] = NewStream()
			}
			for msg := 0; msg < 400; msg++ {
				l := r.IntN(nodes * nodes)
				if r.IntN(40) == 0 {
					// An unregistered command fails half-way through the
					// encoding: the link (and the shared stream) start afresh.
					bad := &wireAppend{Entries: []entry{{Command: wireUnregistered{1}}}}
					_, _, want := streams[l].Copy(bad)
					_, _, got := wire.Copy(&links[l], bad)
					require.ErrorContains(t, want, "labgob.Register")
					require.EqualError(t, got, want.Error())
					continue
				}
				v := randomWireValue(r)
				want, wantN, err := streams[l].Copy(v)
				require.NoError(t, err)
				got, gotN, err := wire.Copy(&links[l], v)
				require.NoError(t, err)
				require.Equal(t, want, got, "message %d", msg)
				require.Equal(t, wantN, gotN, "message %d on link %d: %#v", msg, l, v)
			}
		})
	}
}

// Every link pays for a type's description once, and a link that has
// carried it pays only for the value, as on a Stream.
func TestWireLinkPaysOncePerType(t *testing.T) {
	wire := NewWire()
	var a, b Link
	_, first, err := wire.Copy(&a, &wireVote{Term: 1})
	require.NoError(t, err)
	_, again, err := wire.Copy(&a, &wireVote{Term: 1})
	require.NoError(t, err)
	_, other, err := wire.Copy(&b, &wireVote{Term: 1})
	require.NoError(t, err)
	require.Less(t, again, first, "the second message on a link carries no description")
	require.Equal(t, first, other, "a new link pays for the description, though the shared stream has sent it")
}

// The Wire refuses what a Stream refuses, with the same errors, and after an
// error carries on.
func TestWireRefusesLikeAStream(t *testing.T) {
	wire := NewWire()
	var l Link
	for _, v := range []any{nil, &badArgs{Term: 1}, (*wireVote)(nil), &hidden{}} {
		_, _, want := NewStream().Copy(v)
		_, _, got := wire.Copy(&l, v)
		require.Error(t, want)
		require.EqualError(t, got, want.Error())
	}
	self := &bag{}
	self.Items = []any{self}
	_, _, err := wire.Copy(&l, self)
	require.ErrorContains(t, err, "refers back to itself")

	wire.SetLimit(100)
	_, _, err = wire.Copy(&l, &BlobArgs{Blob: make([]byte, 500)})
	var tb *TooBigError
	require.ErrorAs(t, err, &tb)
	require.ErrorContains(t, err, "passes the message size limit of 100 bytes")

	out, _, err := wire.Copy(&l, &wireVote{Term: 3})
	require.NoError(t, err, "the wire carries on after an error")
	require.Equal(t, &wireVote{Term: 3}, out)
}

type BlobArgs struct{ Blob []byte }

// BenchmarkWireCopy compares a Wire with a Stream on BenchmarkCopy's small
// message and on one with log entries (interface values to walk), on a
// warm link, and the cost of a link's first message on a warm wire.
func BenchmarkWireCopy(b *testing.B) {
	args := &goodArgs{Term: 3, Entries: []entry{{Term: 1, Command: 5}, {Term: 2, Command: 6}}, Meta: map[string]int{"a": 1}}
	for _, m := range []struct {
		name string
		v    any
	}{{"small", &small{Key: "k", Value: "v", Version: 3}}, {"entries", args}} {
		b.Run(m.name+"/stream", func(b *testing.B) {
			s := NewStream()
			for b.Loop() {
				if _, _, err := s.Copy(m.v); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(m.name+"/wire", func(b *testing.B) {
			wire := NewWire()
			var l Link
			for b.Loop() {
				if _, _, err := wire.Copy(&l, m.v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("newlink", func(b *testing.B) {
		wire := NewWire()
		for b.Loop() {
			var l Link
			if _, _, err := wire.Copy(&l, args); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkEncodeLog is a Raft peer's persist of a long log whose commands
// are ints: the cycle walk and the encoding, both in proportion to the log.
func BenchmarkEncodeLog(b *testing.B) {
	log := make([]entry, 32000)
	for i := range log {
		log[i] = entry{Term: 1, Command: i}
	}
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := NewEncoder(&buf).Encode(log); err != nil {
			b.Fatal(err)
		}
	}
}
