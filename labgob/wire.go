package labgob

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"sync"
)

// A Wire copies values for every link of a world through one gob encoder
// and decoder, while counting for each link exactly the bytes a stream of
// its own would have carried (a Stream per link, as a long-lived connection
// per pair of nodes would carry them).
//
// Why not a Stream per link: a world of n nodes that talk at random has n²
// links, and each Stream keeps a decoder with its own compiled decoding
// engines and a buffer as large as the largest message it carried; a
// thousand-member gossip world spent most of its memory there. A Wire keeps
// one of each, and per link only a Link: a small number naming the set of
// type descriptions that link has carried so far.
//
// The count is exact because what a link's own stream would write differs
// from what the shared stream writes only in type descriptions:
//
//   - a message's top-level type, and the types inside it, are described in
//     messages of their own before the value; each description has a fixed
//     size, so the link pays the sizes of those it has not carried yet;
//   - a type met inside an interface value (a log entry's Command) is
//     described in the middle of the value, splitting it into two messages.
//     When the link (or the shared stream) has not carried that type yet,
//     the Wire encodes the value once more on a fresh encoder that has been
//     shown the link's types, and counts that. This happens once per link
//     and type, not per message.
//
// A Wire is not safe for concurrent use: a world runs one event at a time.
type Wire struct {
	buf bytes.Buffer
	out wireWriter
	enc *gob.Encoder
	dec *gob.Decoder

	shared uint32 // the set of descriptions the shared stream has carried

	lastT reflect.Type
	lastK *wireType
	types map[reflect.Type]*wireType
	needs map[reflect.Type]uint32
	slots map[int]int // gob type id -> slot in the sets' bit vectors
	sizes []int       // slot -> bytes of that description's message
	sets  setTable
	found []reflect.Type // scratch: the types inside interfaces of one value
}

// A Link is what a Wire remembers of one link: which type descriptions it
// has carried. The zero Link has carried none.
type Link struct{ set uint32 }

// wireType is what a Wire knows of one type of value.
type wireType struct {
	need  uint32 // the set of descriptions a stream must carry before a value of this type
	walk  bool   // values may hold a cycle or interfaces: walk them first
	iface bool   // the type holds interfaces, whose values bring types of their own
}

// NewWire returns a Wire with nothing carried yet.
func NewWire() *Wire {
	w := &Wire{types: map[reflect.Type]*wireType{}, needs: map[reflect.Type]uint32{}, slots: map[int]int{}}
	w.out.limit = DefaultMaxMessage
	w.sets.init()
	w.reset()
	return w
}

// SetLimit sets the largest value a link carries, in bytes as its own
// stream would encode it (DefaultMaxMessage unless set); 0 means no limit.
func (w *Wire) SetLimit(n int) { w.out.limit = n }

func (w *Wire) reset() {
	w.buf.Reset()
	w.out.w = &w.buf
	w.enc = gob.NewEncoder(&w.out)
	w.dec = gob.NewDecoder(&w.buf)
	w.shared = 0
}

// Copy returns a deep copy of v and the number of bytes it took on link l,
// which it updates. It refuses what Stream.Copy refuses, with the same
// errors; after an error the link starts afresh, as a reconnected link
// would.
func (w *Wire) Copy(l *Link, v any) (any, int, error) {
	if v == nil {
		return nil, 0, fmt.Errorf("labgob: cannot send nil; pass a pointer to a struct")
	}
	rv := reflect.ValueOf(v)
	t := rv.Type()
	if err := CheckType(t); err != nil {
		return nil, 0, err
	}
	isPtr := t.Kind() == reflect.Pointer
	if isPtr && rv.IsNil() {
		return nil, 0, fmt.Errorf("labgob: cannot send a nil %s; pass a pointer to a value", t)
	}
	k := w.typeOf(t)
	w.found = w.found[:0]
	if k.walk {
		wk := walker{}
		if k.iface {
			wk.found = &w.found
		}
		if err := wk.walk(rv); err != nil {
			err.top = t.String()
			return nil, 0, err
		}
	}
	w.out.start(t.String())
	if err := w.enc.EncodeValue(rv); err != nil {
		w.reset()
		*l = Link{}
		return nil, 0, explain(err)
	}
	value := w.out.last // the value's own message, when nothing split it
	elem := t
	if isPtr {
		elem = t.Elem()
	}
	out := reflect.New(elem)
	if err := w.dec.DecodeValue(out); err != nil {
		w.reset()
		*l = Link{}
		return nil, 0, explain(err)
	}

	before := l.set
	set, extra := w.sets.join(l.set, k.need, w.sizes)
	shared, _ := w.sets.join(w.shared, k.need, w.sizes)
	split := false
	for _, c := range w.found {
		need := w.needOf(c)
		var add int
		if shared, add = w.sets.join(shared, need, w.sizes); add > 0 {
			split = true
		}
		if set, add = w.sets.join(set, need, w.sizes); add > 0 {
			split = true
		}
	}
	w.shared, l.set = shared, set
	n := extra + value
	if split {
		n = w.exact(before, rv)
	}
	if w.out.limit > 0 && n > w.out.limit {
		return nil, 0, &TooBigError{Size: n, Limit: w.out.limit, Type: t.String()}
	}
	if isPtr {
		return out.Interface(), n, nil
	}
	return out.Elem().Interface(), n, nil
}

// exact counts what v takes on a fresh stream that has carried the
// descriptions of set: the encoder is shown zero values of the types that
// make up the set, then v.
func (w *Wire) exact(set uint32, v reflect.Value) int {
	var c countWriter
	enc := gob.NewEncoder(&c)
	for _, t := range w.sets.srcs[set] {
		zeroEncode(enc, t)
	}
	c.n = 0
	if err := enc.EncodeValue(v); err != nil {
		// The shared encoder took v, so a fresh one takes it too.
		panic(fmt.Sprintf("labgob: internal error: a value the shared stream carried fails on a link's own: %v", err))
	}
	return c.n
}

func (w *Wire) typeOf(t reflect.Type) *wireType {
	if t == w.lastT {
		return w.lastK
	}
	k, ok := w.types[t]
	if !ok {
		k = &wireType{need: w.needOf(t), walk: planOf(t).walk, iface: holdsInterface(t, map[reflect.Type]bool{})}
		w.types[t] = k
	}
	w.lastT, w.lastK = t, k
	return k
}

// needOf is the set of descriptions a stream carries before the first
// value of type t (at top level, or inside an interface: the same).
func (w *Wire) needOf(t reflect.Type) uint32 {
	if need, ok := w.needs[t]; ok {
		return need
	}
	var bits []uint64
	for _, d := range descriptionsOf(t) {
		s, ok := w.slots[d.id]
		if !ok {
			s = len(w.sizes)
			w.slots[d.id] = s
			w.sizes = append(w.sizes, d.size)
		}
		for len(bits) <= s/64 {
			bits = append(bits, 0)
		}
		bits[s/64] |= 1 << (s % 64)
	}
	need := w.sets.intern(bits, []reflect.Type{t})
	w.needs[t] = need
	return need
}

// holdsInterface reports whether a value of type t can hold an interface
// value that gob would encode.
func holdsInterface(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] || implementsGob(t) {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return holdsInterface(t.Elem(), seen)
	case reflect.Map:
		return holdsInterface(t.Key(), seen) || holdsInterface(t.Elem(), seen)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && holdsInterface(f.Type, seen) {
				return true
			}
		}
	}
	return false
}

// A description is one type description as gob writes it: the type's id
// and the bytes of its message.
type description struct{ id, size int }

var descriptions sync.Map // reflect.Type -> []description

// descriptionsOf returns the descriptions a fresh gob stream writes before
// the first value of type t. Type ids are the same for the whole process,
// so the answer is too.
func descriptionsOf(t reflect.Type) []description {
	if d, ok := descriptions.Load(t); ok {
		return d.([]description)
	}
	var c descWriter
	zeroEncode(gob.NewEncoder(&c), t)
	descriptions.Store(t, c.descs)
	return c.descs
}

// zeroEncode encodes the zero value of t (through a pointer to a fresh
// value when t is a pointer), for the type descriptions that come first.
// An error from the value itself (a GobEncode that refuses a zero value)
// comes after them, and does not matter here.
func zeroEncode(enc *gob.Encoder, t reflect.Type) {
	defer func() { _ = recover() }()
	var v reflect.Value
	if t.Kind() == reflect.Pointer {
		v = reflect.New(t.Elem())
	} else {
		v = reflect.Zero(t)
	}
	_ = enc.EncodeValue(v)
}

// descWriter records the type descriptions among the messages written to
// it: a gob message is its length, then a type id, negative for a type's
// description.
type descWriter struct{ descs []description }

func (d *descWriter) Write(p []byte) (int, error) {
	_, k := gobUint(p)
	if x, _ := gobUint(p[k:]); x&1 == 1 {
		d.descs = append(d.descs, description{id: int(x>>1) + 1, size: len(p)})
	}
	return len(p), nil
}

// gobUint decodes one unsigned integer as gob writes it, and its length.
func gobUint(p []byte) (uint64, int) {
	if len(p) == 0 {
		return 0, 0
	}
	if p[0] < 0x80 {
		return uint64(p[0]), 1
	}
	n := int(-int8(p[0]))
	if n > 8 || len(p) < 1+n {
		return 0, len(p)
	}
	var x uint64
	for _, b := range p[1 : 1+n] {
		x = x<<8 | uint64(b)
	}
	return x, 1 + n
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// wireWriter is limitWriter for the shared stream: it also remembers the
// size of the last message written, the value's own when nothing split it.
type wireWriter struct {
	limitWriter
	last int
}

func (w *wireWriter) Write(p []byte) (int, error) {
	n, err := w.limitWriter.Write(p)
	w.last = len(p)
	return n, err
}

var _ io.Writer = (*wireWriter)(nil)

// setTable interns sets of type descriptions (bit vectors over a world's
// slots), so that a link holds one number and joining two sets is one
// lookup after the first time.
type setTable struct {
	bits  [][]uint64
	srcs  [][]reflect.Type // types whose zero values make up the set
	index map[string]uint32
	joins map[[2]uint32]joined
}

type joined struct {
	set   uint32
	extra int // the bytes of descriptions in the second set, not the first
}

func (s *setTable) init() {
	s.bits = [][]uint64{nil}
	s.srcs = [][]reflect.Type{nil}
	s.index = map[string]uint32{"": 0}
	s.joins = map[[2]uint32]joined{}
}

func (s *setTable) intern(v []uint64, srcs []reflect.Type) uint32 {
	for len(v) > 0 && v[len(v)-1] == 0 {
		v = v[:len(v)-1]
	}
	key := make([]byte, 0, 8*len(v))
	for _, b := range v {
		for i := 0; i < 64; i += 8 {
			key = append(key, byte(b>>i))
		}
	}
	if i, ok := s.index[string(key)]; ok {
		return i
	}
	i := uint32(len(s.bits))
	s.bits = append(s.bits, v)
	s.srcs = append(s.srcs, srcs)
	s.index[string(key)] = i
	return i
}

// join returns the union of sets a and b, and the bytes of the
// descriptions in b that a lacks (what a link that has carried a pays to
// carry b).
func (s *setTable) join(a, b uint32, sizes []int) (uint32, int) {
	if a == b || b == 0 {
		return a, 0
	}
	if j, ok := s.joins[[2]uint32{a, b}]; ok {
		return j.set, j.extra
	}
	ab, bb := s.bits[a], s.bits[b]
	u := make([]uint64, max(len(ab), len(bb)))
	copy(u, ab)
	extra := 0
	for i, x := range bb {
		missing := x &^ u[i]
		for missing != 0 {
			bit := missing & -missing
			missing &^= bit
			extra += sizes[64*i+bits.TrailingZeros64(bit)]
		}
		u[i] |= x
	}
	srcs := append(append([]reflect.Type(nil), s.srcs[a]...), s.srcs[b]...)
	j := joined{set: s.intern(u, srcs), extra: extra}
	s.joins[[2]uint32{a, b}] = j
	return j.set, j.extra
}
