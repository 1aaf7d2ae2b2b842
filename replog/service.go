package replog

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"reflect"
	"strconv"
)

// The checked service's state, shared by every replicated-log test, tool
// and demo that uses a Checker: a snapshot holds the index it covers and a
// hash of the commands up to it, enough to check that a restored state is
// the right one.

// EncodeSnapshot is the service's snapshot through index, whose commands hash to hash.
func EncodeSnapshot(index int, hash uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(index))
	binary.BigEndian.PutUint64(b[8:], hash)
	return b
}

// DecodeSnapshot reads a snapshot EncodeSnapshot made.
func DecodeSnapshot(b []byte) (index int, hash uint64, err error) {
	if len(b) != 16 {
		return 0, 0, fmt.Errorf("%d bytes, not 16", len(b))
	}
	return int(binary.BigEndian.Uint64(b)), binary.BigEndian.Uint64(b[8:]), nil
}

// ExtendHash is the hash of the commands up to one index, from the hash up to the index before.
func ExtendHash(h uint64, cmd any) uint64 {
	f := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	f.Write(b[:])
	fmt.Fprintf(f, "%T:%v", cmd, cmd)
	return f.Sum64()
}

// SameCommand reports whether two applied commands are the same command.
func SameCommand(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	if reflect.TypeOf(a).Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// Show prints a command briefly (a 5000-byte string would flood a report).
func Show(cmd any) string {
	switch v := cmd.(type) {
	case nil:
		return "nil"
	case int:
		return strconv.Itoa(v)
	case string:
		if len(v) > 24 {
			return fmt.Sprintf("%q…(%d bytes)", v[:16], len(v))
		}
		return strconv.Quote(v)
	}
	s := fmt.Sprintf("%T%+v", cmd, cmd)
	if len(s) > 40 {
		s = s[:36] + "…"
	}
	return s
}
