package labgob

import (
	"fmt"
	"io"
)

// DefaultMaxMessage is the largest message labgob carries, in bytes as gob
// encodes it: an RPC's args or reply (labrpc.Config.MaxMessage overrides it
// per world), or one value written by an Encoder. It is far above what any
// lab sends (a Raft snapshot of a test's service is kilobytes), and far
// below what makes a test use gigabytes: a message past it is a bug (a
// snapshot that grows without bound, a log sent whole on every heartbeat).
const DefaultMaxMessage = 64 << 20

// A TooBigError is a message refused for passing the size limit.
type TooBigError struct {
	Size, Limit int
	Type        string
}

func (e *TooBigError) Error() string {
	return fmt.Sprintf("labgob: a %s of %d bytes passes the message size limit of %d bytes: send less at once (a snapshot in chunks, fewer entries per message), or raise the limit (labrpc.Config.MaxMessage; Stream.SetLimit; Encoder.SetLimit)",
		e.Type, e.Size, e.Limit)
}

// limitWriter refuses a write that would take one value past limit bytes.
// gob writes each value (and each type description) in one Write, so the
// whole oversized message is refused before anyone copies or decodes it.
type limitWriter struct {
	w     io.Writer
	n     int // bytes written for the current value
	limit int
	typ   string // the current value's type, for the error
}

func (l *limitWriter) start(typ string) { l.n, l.typ = 0, typ }

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.limit > 0 && l.n+len(p) > l.limit {
		return 0, &TooBigError{Size: l.n + len(p), Limit: l.limit, Type: l.typ}
	}
	l.n += len(p)
	return l.w.Write(p)
}
