// Package labgob is the encoding every message between protolab nodes goes
// through. It gives three things the simulator relies on:
//
//   - isolation: a message is a deep copy, so a sender that mutates its log
//     after sending cannot change what the receiver sees (as on a real wire);
//   - a size: the bytes the message takes as gob encodes it, for the byte
//     counts tests put bounds on;
//   - clear errors for the classic mistakes: an unexported field (which gob
//     silently drops) and decoding into a value that is not zero.
//
// Node code uses it directly only to persist state:
//
//	w := new(bytes.Buffer)
//	e := labgob.NewEncoder(w)
//	e.Encode(rf.currentTerm)
//	e.Encode(rf.log)
//	persister.Save(w.Bytes(), nil)
package labgob

import (
	"encoding/gob"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Register records a concrete type that travels inside an interface value
// (a Raft log entry's Command, say), exactly as gob.Register does.
func Register(value any) { gob.Register(value) }

// RegisterName is Register with an explicit name. Nothing in protolab calls
// it; it is kept (make deadcode lists it as such) because MIT's labgob has it
// and a learner's code ported from there may.
func RegisterName(name string, value any) { gob.RegisterName(name, value) }

// An Encoder writes values to a stream, refusing types that would lose data,
// values that refer back to themselves, and values larger than its limit.
type Encoder struct {
	out *limitWriter
	enc *gob.Encoder
}

// NewEncoder returns an Encoder writing to w, with a limit of
// DefaultMaxMessage bytes per value.
func NewEncoder(w io.Writer) *Encoder {
	out := &limitWriter{w: w, limit: DefaultMaxMessage}
	return &Encoder{out: out, enc: gob.NewEncoder(out)}
}

// SetLimit sets the largest value Encode writes, in bytes as encoded; 0
// means no limit.
func (e *Encoder) SetLimit(n int) { e.out.limit = n }

// Encode writes v, or returns an error naming what is wrong with it: a
// field gob would drop, a nil pointer, a cycle, or its size.
func (e *Encoder) Encode(v any) error {
	if v == nil {
		return fmt.Errorf("labgob: cannot encode nil; pass a value, or a pointer to one")
	}
	rv := reflect.ValueOf(v)
	if err := CheckType(rv.Type()); err != nil {
		return err
	}
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return fmt.Errorf("labgob: cannot encode a nil %s: gob has nothing to write; pass a pointer to a value (or the value itself)", rv.Type())
	}
	if err := checkCycles(rv); err != nil {
		return err
	}
	e.out.start(rv.Type().String())
	return explain(e.enc.Encode(v))
}

// A Decoder reads values written by an Encoder.
type Decoder struct{ dec *gob.Decoder }

// NewDecoder returns a Decoder reading from r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{gob.NewDecoder(r)} }

// Decode reads the next value into ptr, which must point at a zero value.
func (d *Decoder) Decode(ptr any) error {
	if err := CheckZero(ptr); err != nil {
		return err
	}
	if err := CheckType(reflect.TypeOf(ptr)); err != nil {
		return err
	}
	return explain(d.dec.Decode(ptr))
}

// explain adds the fix to gob's errors that learners meet most often.
func explain(err error) error {
	if err == nil {
		return nil
	}
	if _, tooBig := err.(*TooBigError); tooBig {
		return err
	}
	msg := err.Error()
	const unregistered = "type not registered for interface"
	if strings.Contains(msg, unregistered) {
		return fmt.Errorf("labgob: %v: call labgob.Register with a value of that type (in an init function) before sending it inside an interface", err)
	}
	return fmt.Errorf("labgob: %w", err)
}
