package labgob

import (
	"bytes"
	"errors"
	"math"
	"reflect"
	"testing"
)

// fuzzMsg has a field of each shape messages use: numbers, strings, bytes,
// slices, maps, a pointer to its own type (so values can nest, and cycle),
// an interface and an array.
type fuzzMsg struct {
	I    int64
	U    uint16
	F    float64
	B    bool
	S    string
	Raw  []byte
	Kids []fuzzMsg
	M    map[string]int32
	Next *fuzzMsg
	Any  any
	Arr  [2]int8
}

func init() { Register(&fuzzMsg{}) }

// build makes a value from fuzz input: each byte chooses what to set next.
// It may close a cycle (Next, or Any, pointing at an ancestor), in which case
// the value must be refused, never crash the encoder.
type builder struct {
	in     []byte
	cyclic bool
}

func (b *builder) byte() byte {
	if len(b.in) == 0 {
		return 0
	}
	c := b.in[0]
	b.in = b.in[1:]
	return c
}

func (b *builder) str() string {
	n := int(b.byte() % 16)
	n = min(n, len(b.in))
	s := string(b.in[:n])
	b.in = b.in[n:]
	return s
}

func (b *builder) msg(ancestors []*fuzzMsg) *fuzzMsg {
	m := &fuzzMsg{}
	anc := append(ancestors, m)
	for len(b.in) > 0 {
		op := b.byte()
		switch op % 13 {
		case 0:
			return m
		case 1:
			m.I = int64(b.byte())<<40 - int64(b.byte())
		case 2:
			m.U = uint16(b.byte())
		case 3:
			m.F = []float64{0, -1.5, math.Inf(1), math.MaxFloat64, math.SmallestNonzeroFloat64}[b.byte()%5]
		case 4:
			m.B = !m.B
		case 5:
			m.S = b.str()
		case 6:
			m.Raw = []byte(b.str())
		case 7:
			if len(anc) < 8 {
				m.Kids = append(m.Kids, *b.msg(anc))
			}
		case 8:
			if m.M == nil {
				m.M = map[string]int32{}
			}
			m.M[b.str()] = int32(b.byte())
		case 9:
			if len(anc) < 8 {
				m.Next = b.msg(anc)
			}
		case 10:
			switch b.byte() % 4 {
			case 0:
				m.Any = b.str()
			case 1:
				m.Any = int(b.byte())
			case 2:
				if len(anc) < 8 {
					m.Any = b.msg(anc)
				}
			case 3:
				m.Any = []any{b.str(), int(b.byte())}
			}
		case 11:
			m.Arr[b.byte()%2] = int8(b.byte())
		case 12: // close a cycle back to an ancestor (or to m itself)
			target := anc[int(b.byte())%len(anc)]
			if b.byte()%2 == 0 {
				m.Next = target
			} else {
				m.Any = target
			}
			b.cyclic = true
		}
	}
	return m
}

// FuzzRoundTrip checks, for values built from arbitrary input, that a copy
// through a Stream and a round trip through Encoder and Decoder give back
// the same value (up to what gob is documented to normalise: nil and empty
// slices and maps, pointers to zero values), that a cyclic value is refused
// with an error rather than a crash, and that decoding the raw input as a
// message never panics.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 3, 0, 5, 3, 'a', 'b', 'c'})
	f.Add([]byte{7, 5, 2, 'h', 'i', 0, 9, 1, 9, 9, 0, 0, 10, 3, 1, 'x', 7})
	f.Add([]byte{12, 0, 0})
	f.Add([]byte{9, 9, 12, 1, 1})
	f.Add([]byte{8, 1, 'k', 4, 8, 0, 9, 6, 2, 0xff, 0xfe, 10, 2, 5, 1, 'z'})
	f.Fuzz(func(t *testing.T, in []byte) {
		b := &builder{in: in}
		v := b.msg(nil)

		out, n, err := NewStream().Copy(v)
		if b.cyclic && err == nil && !reachesItself(v) {
			b.cyclic = false // the cycle was overwritten before the value was done
		}
		if b.cyclic {
			if err == nil {
				t.Fatalf("a cyclic value was copied without an error")
			}
			return
		}
		if err != nil {
			t.Fatalf("Copy: %v", err)
		}
		if !sameAfterGob(reflect.ValueOf(v), reflect.ValueOf(out)) {
			t.Fatalf("Copy changed the value:\n in: %+v\nout: %+v", v, out)
		}
		_, n2, err := NewStream().Copy(out)
		if err != nil || n2 != n {
			t.Fatalf("copying the copy: %d bytes (first: %d), err %v", n2, n, err)
		}

		var buf bytes.Buffer
		if err := NewEncoder(&buf).Encode(v); err != nil {
			t.Fatalf("Encode: %v", err)
		}
		var back fuzzMsg
		if err := NewDecoder(&buf).Decode(&back); err != nil {
			t.Fatalf("Decode: %v", err)
		}
		if !sameAfterGob(reflect.ValueOf(v).Elem(), reflect.ValueOf(back)) {
			t.Fatalf("Encode/Decode changed the value:\n in: %+v\nout: %+v", v, back)
		}

		// Arbitrary bytes as a message: an error, never a panic or a hang.
		var junk fuzzMsg
		err = NewDecoder(bytes.NewReader(in)).Decode(&junk)
		var tb *TooBigError
		if errors.As(err, &tb) {
			t.Fatalf("a decode cannot be too big: %v", err)
		}
	})
}

// reachesItself reports whether v refers back to itself (the builder may
// close a cycle and then replace the field that closed it).
func reachesItself(v *fuzzMsg) bool {
	return checkCycles(reflect.ValueOf(v)) != nil
}

// sameAfterGob compares a value with its gob copy, allowing what gob does
// by design: a nil and an empty slice or map are the same, and a nil
// pointer is the same as a pointer to a zero value.
func sameAfterGob(a, b reflect.Value) bool {
	if !a.IsValid() || !b.IsValid() {
		return isZeroish(a) && isZeroish(b)
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return isZeroish(a) && isZeroish(b)
		}
		return sameAfterGob(a.Elem(), b.Elem())
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameAfterGob(a.Elem(), b.Elem())
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !sameAfterGob(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.Len() != b.Len() {
			return false
		}
		it := a.MapRange()
		for it.Next() {
			bv := b.MapIndex(it.Key())
			if !bv.IsValid() || !sameAfterGob(it.Value(), bv) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !sameAfterGob(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Float64:
		return a.Float() == b.Float() || math.IsNaN(a.Float()) && math.IsNaN(b.Float())
	default:
		return a.Interface() == b.Interface()
	}
}

func isZeroish(v reflect.Value) bool {
	if !v.IsValid() {
		return true
	}
	if v.Kind() == reflect.Pointer && !v.IsNil() {
		return isZeroish(v.Elem())
	}
	if v.Kind() == reflect.Struct {
		for i := 0; i < v.NumField(); i++ {
			if !isZeroish(v.Field(i)) {
				return false
			}
		}
		return true
	}
	if v.Kind() == reflect.Slice || v.Kind() == reflect.Map {
		return v.Len() == 0
	}
	return v.IsZero()
}
