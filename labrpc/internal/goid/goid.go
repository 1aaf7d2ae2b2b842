// Package goid tells goroutines apart cheaply, so that the world can refuse
// a call made from a goroutine it does not run (a ticker started in a node's
// Make, say) at the call itself.
//
// Go has no public goroutine identity, on purpose: programs should not
// depend on it. The simulator is the exception that proves the rule: it
// hands the turn to one goroutine at a time, and must notice another one
// reaching in. Current is the address of the running goroutine's runtime
// descriptor, read from the thread-local slot the Go runtime keeps it in:
// one instruction on amd64 and arm64, a parse of runtime.Stack elsewhere.
// It identifies a goroutine for as long as that goroutine lives (a
// descriptor is reused only after its goroutine has ended), which is all the
// world needs: it compares the caller with the goroutine that holds the turn,
// which is alive.
package goid

import (
	"bytes"
	"runtime"
	"strconv"
)

// An ID identifies a running goroutine. The zero ID is no goroutine.
type ID uintptr

// Number is the goroutine's number as Go's stack dumps print it
// ("goroutine 7 [running]"), to find a goroutine in a dump. It parses
// runtime.Stack: call it once per goroutine, not per event.
func Number() int64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	n, _ := strconv.ParseInt(string(b), 10, 64)
	return n
}
