//go:build amd64 || arm64

package goid

// getg returns the running goroutine's descriptor (goid_$GOARCH.s).
func getg() uintptr

// Current identifies the running goroutine.
func Current() ID { return ID(getg()) }
