//go:build race

package labrpc

import "sync/atomic"

// beat is atomic under the race detector; see beat_norace.go.
type beat struct{ n atomic.Int64 }

func (b *beat) bump()       { b.n.Add(1) }
func (b *beat) load() int64 { return b.n.Load() }
