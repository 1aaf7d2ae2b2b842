//go:build !race

package labrpc

// The beat is bumped at every entry into user code, the hottest path of the
// simulator, so outside race-detector builds it is a plain counter: only the
// driver writes it, and Go's memory model guarantees that the watchdog's
// read of a word-sized value sees a value that was written, which is all it
// needs (has it changed in the last few seconds?). Under the race detector
// it is atomic (beat_race.go), so that the watchdog's reads are ordered
// after the driver's writes and the detector stays quiet.
type beat struct{ n int64 }

func (b *beat) bump()       { b.n++ }
func (b *beat) load() int64 { return b.n }
