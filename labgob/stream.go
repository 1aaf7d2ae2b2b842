package labgob

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
)

// A Stream copies values the way a long-lived connection would carry them:
// one gob encoder and one decoder share a buffer for the life of a link, so a
// type's description crosses the link once and later messages carry only
// their data. Each value is decoded as soon as it is encoded ("decoded at send
// time"), so the network may then delay, drop, duplicate or reorder the copy
// freely without ever desynchronising the gob stream.
//
// A fresh encoder per message would resend type descriptions every time and
// cost several times more; see BenchmarkCopy.
type Stream struct {
	buf bytes.Buffer
	out limitWriter // the encoder's way into buf, refusing oversized values
	enc *gob.Encoder
	dec *gob.Decoder

	// The last type copied and whether its values need the cycle walk: a
	// link carries one or two types, so this saves a lookup per message.
	lastT    reflect.Type
	lastWalk bool
}

// NewStream returns an empty Stream.
func NewStream() *Stream {
	s := &Stream{}
	s.out.limit = DefaultMaxMessage
	s.reset()
	return s
}

// SetLimit sets the largest value the stream carries, in bytes as encoded
// (DefaultMaxMessage unless set); 0 means no limit.
func (s *Stream) SetLimit(n int) { s.out.limit = n }

func (s *Stream) reset() {
	s.buf.Reset()
	s.out.w = &s.buf
	s.enc = gob.NewEncoder(&s.out)
	s.dec = gob.NewDecoder(&s.buf)
}

// Copy returns a deep copy of v and the number of bytes it took on the
// stream. A pointer yields a pointer to a fresh value; a non-pointer yields a
// value of the same type. An error names the field or type at fault; after
// an error the stream starts afresh, as a reconnected link would.
// A value that refers back to itself, or that passes the size limit, is
// refused with an error that says so.
func (s *Stream) Copy(v any) (any, int, error) {
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
	if t != s.lastT {
		s.lastT, s.lastWalk = t, planOf(t).walk
	}
	if s.lastWalk {
		if err := checkCycles(rv); err != nil {
			return nil, 0, err
		}
	}
	s.out.start(t.String())
	if err := s.enc.EncodeValue(rv); err != nil {
		s.reset()
		return nil, 0, explain(err)
	}
	n := s.buf.Len()
	elem := t
	if isPtr {
		elem = t.Elem()
	}
	out := reflect.New(elem)
	if err := s.dec.DecodeValue(out); err != nil {
		s.reset()
		return nil, 0, explain(err)
	}
	if isPtr {
		return out.Interface(), n, nil
	}
	return out.Elem().Interface(), n, nil
}
