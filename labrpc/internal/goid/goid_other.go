//go:build !amd64 && !arm64

package goid

// Current identifies the running goroutine by its number: slower (about a
// microsecond) but portable.
func Current() ID { return ID(Number() + 1) } // never zero
