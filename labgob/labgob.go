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

// RegisterName is Register with an explicit name.
func RegisterName(name string, value any) { gob.RegisterName(name, value) }

// An Encoder writes values to a stream, refusing types that would lose data.
type Encoder struct{ enc *gob.Encoder }

// NewEncoder returns an Encoder writing to w.
func NewEncoder(w io.Writer) *Encoder { return &Encoder{gob.NewEncoder(w)} }

// Encode writes e, or returns an error naming the field gob would drop.
func (e *Encoder) Encode(v any) error {
	if v == nil {
		return fmt.Errorf("labgob: cannot encode nil")
	}
	if err := CheckType(reflect.TypeOf(v)); err != nil {
		return err
	}
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
	msg := err.Error()
	const unregistered = "type not registered for interface"
	if strings.Contains(msg, unregistered) {
		return fmt.Errorf("labgob: %v: call labgob.Register with a value of that type (in an init function) before sending it inside an interface", err)
	}
	return fmt.Errorf("labgob: %w", err)
}
