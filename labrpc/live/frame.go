package live

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"reflect"

	"protolab/labgob"
)

// Frames: what one TCP connection carries. Each frame stands alone: its
// header is fixed binary, and its body (an RPC's args or reply) is encoded
// with a labgob encoder of its own. That costs the body's type description
// on every message (a long-lived gob stream would send it once), and buys
// two things: the chaos proxy (protolab/labrpc/live/chaos) can drop,
// delay, duplicate and reorder frames without desynchronising a stream,
// and a reconnection needs no handshake.
//
//	uint32  length of the rest
//	uint8   kind: request, reply, or refused (a misuse the server found)
//	int32   from: the endpoint that sent the frame
//	int32   to: the endpoint it is for
//	uint64  call: the caller's number for the call, echoed by the reply
//	uint16  length of method, then method ("Raft.RequestVote")
//	...     body: labgob bytes (refused: the server's error, as text)

// Frame kinds.
const (
	KindRequest uint8 = 1
	KindReply   uint8 = 2
	KindRefused uint8 = 3
)

// MaxFrame bounds a frame: labgob's message limit, plus the header.
const MaxFrame = labgob.DefaultMaxMessage + 1<<16

// A Frame is one message on a connection.
type Frame struct {
	Kind     uint8
	From, To int
	Call     uint64
	Method   string
	Body     []byte
}

// WriteFrame writes f to w.
func WriteFrame(w io.Writer, f *Frame) error {
	if len(f.Method) > 1<<16-1 {
		return fmt.Errorf("live: method name of %d bytes is too long", len(f.Method))
	}
	n := 1 + 4 + 4 + 8 + 2 + len(f.Method) + len(f.Body)
	if n > MaxFrame {
		return fmt.Errorf("live: a %s frame of %d bytes passes the limit of %d bytes", f.Method, n, MaxFrame)
	}
	buf := make([]byte, 4+n-len(f.Body), 4+n)
	binary.BigEndian.PutUint32(buf[0:], uint32(n))
	buf[4] = f.Kind
	binary.BigEndian.PutUint32(buf[5:], uint32(int32(f.From)))
	binary.BigEndian.PutUint32(buf[9:], uint32(int32(f.To)))
	binary.BigEndian.PutUint64(buf[13:], f.Call)
	binary.BigEndian.PutUint16(buf[21:], uint16(len(f.Method)))
	copy(buf[23:], f.Method)
	buf = append(buf, f.Body...)
	_, err := w.Write(buf)
	return err
}

// ReadFrame reads one frame from r.
func ReadFrame(r *bufio.Reader) (*Frame, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n < 19 || n > MaxFrame {
		return nil, fmt.Errorf("live: a frame of %d bytes: the peer is not a protolab live node (or speaks another version)", n)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, err
	}
	f := &Frame{
		Kind: buf[0],
		From: int(int32(binary.BigEndian.Uint32(buf[1:]))),
		To:   int(int32(binary.BigEndian.Uint32(buf[5:]))),
		Call: binary.BigEndian.Uint64(buf[9:]),
	}
	m := int(binary.BigEndian.Uint16(buf[17:]))
	if 19+m > n || f.Kind < KindRequest || f.Kind > KindRefused {
		return nil, errors.New("live: a malformed frame: the peer is not a protolab live node")
	}
	f.Method = string(buf[19 : 19+m])
	f.Body = buf[19+m:]
	return f, nil
}

// encode is v as labgob bytes: the checks (unexported fields, the size
// limit) are labgob's, with its messages.
func encode(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// decodeInto decodes body into a fresh value of type t (a pointer type
// yields a pointer to a fresh value), as a handler's args or reply.
func decodeInto(body []byte, t reflect.Type) (reflect.Value, error) {
	if t.Kind() == reflect.Pointer {
		v := reflect.New(t.Elem())
		err := labgob.NewDecoder(bytes.NewReader(body)).Decode(v.Interface())
		return v, err
	}
	v := reflect.New(t)
	err := labgob.NewDecoder(bytes.NewReader(body)).Decode(v.Interface())
	return v.Elem(), err
}
