package live

import (
	"bufio"
	"net"
	"sync"
	"time"
)

// The transport is host code: goroutines and sockets, never seen by a node.
// A node's requests to peer j go out on one connection per (node, peer),
// dialled when first needed and again after it breaks; replies come back on
// it. A node's listener takes connections from callers and answers on
// them. Everything that reaches the node goes through its event loop.

// maxQueued bounds the frames waiting to be written on one connection. A
// call past it fails at once (the peer is far behind, or down and being
// dialled): the same answer as a lost message, sooner.
const maxQueued = 4096

// dialTimeout bounds a connection attempt to a peer.
const dialTimeout = 300 * time.Millisecond

// writer is one connection's outgoing side: a queue and a goroutine that
// drains it, so that the event loop never blocks on a socket.
type writer struct {
	mu     sync.Mutex
	queue  []*Frame
	wake   chan struct{}
	closed bool
}

func newWriter() *writer { return &writer{wake: make(chan struct{}, 1)} }

// put queues f; it reports false when the queue is full or closed.
func (w *writer) put(f *Frame) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || len(w.queue) >= maxQueued {
		return false
	}
	w.queue = append(w.queue, f)
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return true
}

// take waits for frames and returns them all; nil once closed.
func (w *writer) take() []*Frame {
	for {
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			return nil
		}
		if len(w.queue) > 0 {
			q := w.queue
			w.queue = nil
			w.mu.Unlock()
			return q
		}
		w.mu.Unlock()
		<-w.wake
	}
}

func (w *writer) close() []*Frame {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	q := w.queue
	w.queue = nil
	select {
	case w.wake <- struct{}{}:
	default:
	}
	return q
}

// link is the connection from this endpoint to one peer.
type link struct {
	addr string
	out  *writer
	t    *outbound

	mu       sync.Mutex
	inflight map[uint64]bool // calls written and not yet answered
}

// outbound is an endpoint's calling side: one link per peer.
type outbound struct {
	links []*link
	// onReply gets each reply or refusal; onFail the calls that cannot
	// be answered any more (the connection failed). Both run on
	// transport goroutines.
	onReply func(*Frame)
	onFail  func(calls []uint64)

	mu     sync.Mutex
	conns  map[net.Conn]bool
	closed bool
}

func newOutbound(addrs []string, onReply func(*Frame), onFail func([]uint64)) *outbound {
	t := &outbound{onReply: onReply, onFail: onFail, conns: map[net.Conn]bool{}}
	for _, a := range addrs {
		l := &link{addr: a, out: newWriter(), t: t, inflight: map[uint64]bool{}}
		t.links = append(t.links, l)
		go l.run()
	}
	return t
}

// send queues a request frame to peer f.To; it reports false if it cannot.
func (t *outbound) send(f *Frame) bool {
	return t.links[f.To].out.put(f)
}

// close stops every link and closes its connection.
func (t *outbound) close() {
	t.mu.Lock()
	t.closed = true
	for c := range t.conns {
		c.Close()
	}
	t.mu.Unlock()
	for _, l := range t.links {
		l.out.close()
	}
}

func (t *outbound) track(c net.Conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		c.Close()
		return false
	}
	t.conns[c] = true
	return true
}

func (t *outbound) untrack(c net.Conn) {
	t.mu.Lock()
	delete(t.conns, c)
	t.mu.Unlock()
	c.Close()
}

// run writes the link's frames, dialling as needed.
func (l *link) run() {
	var conn net.Conn
	var bw *bufio.Writer
	for {
		frames := l.out.take()
		if frames == nil {
			return
		}
		if conn == nil {
			c, err := net.DialTimeout("tcp", l.addr, dialTimeout)
			if err != nil || !l.t.track(c) {
				l.t.onFail(callsOf(frames))
				continue
			}
			conn, bw = c, bufio.NewWriterSize(c, 64<<10)
			go l.read(c)
		}
		l.mu.Lock()
		for _, f := range frames {
			l.inflight[f.Call] = true
		}
		l.mu.Unlock()
		var err error
		for _, f := range frames {
			if err = WriteFrame(bw, f); err != nil {
				break
			}
		}
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			l.t.untrack(conn) // read sees the close and fails what is in flight
			conn = nil
		}
	}
}

// read takes replies off a connection until it breaks, then fails every
// call still in flight on it.
func (l *link) read(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		f, err := ReadFrame(r)
		if err != nil {
			break
		}
		l.mu.Lock()
		ours := l.inflight[f.Call]
		delete(l.inflight, f.Call)
		l.mu.Unlock()
		if ours {
			l.t.onReply(f)
		}
	}
	l.t.untrack(c)
	l.mu.Lock()
	var lost []uint64
	for call := range l.inflight {
		lost = append(lost, call)
	}
	clear(l.inflight)
	l.mu.Unlock()
	if len(lost) > 0 {
		l.t.onFail(lost)
	}
}

func callsOf(frames []*Frame) []uint64 {
	calls := make([]uint64, len(frames))
	for i, f := range frames {
		calls[i] = f.Call
	}
	return calls
}

// inbound is a node's listening side: it hands each request to onRequest
// with the writer its reply goes back on.
type inbound struct {
	ln        net.Listener
	onRequest func(f *Frame, back *writer)

	mu     sync.Mutex
	conns  map[net.Conn]*writer
	closed bool
	done   sync.WaitGroup
}

func serve(ln net.Listener, onRequest func(*Frame, *writer)) *inbound {
	in := &inbound{ln: ln, onRequest: onRequest, conns: map[net.Conn]*writer{}}
	in.done.Add(1)
	go in.accept()
	return in
}

func (in *inbound) accept() {
	defer in.done.Done()
	for {
		c, err := in.ln.Accept()
		if err != nil {
			return
		}
		back := newWriter()
		in.mu.Lock()
		if in.closed {
			in.mu.Unlock()
			c.Close()
			return
		}
		in.conns[c] = back
		in.mu.Unlock()
		go in.write(c, back)
		go in.read(c, back)
	}
}

func (in *inbound) read(c net.Conn, back *writer) {
	r := bufio.NewReaderSize(c, 64<<10)
	for {
		f, err := ReadFrame(r)
		if err != nil || f.Kind != KindRequest {
			break
		}
		in.onRequest(f, back)
	}
	in.drop(c)
}

func (in *inbound) write(c net.Conn, back *writer) {
	bw := bufio.NewWriterSize(c, 64<<10)
	for {
		frames := back.take()
		if frames == nil {
			return
		}
		for _, f := range frames {
			if WriteFrame(bw, f) != nil {
				in.drop(c)
				return
			}
		}
		if bw.Flush() != nil {
			in.drop(c)
			return
		}
	}
}

func (in *inbound) drop(c net.Conn) {
	in.mu.Lock()
	back := in.conns[c]
	delete(in.conns, c)
	in.mu.Unlock()
	c.Close()
	if back != nil {
		back.close()
	}
}

// close stops listening and closes every connection.
func (in *inbound) close() {
	in.mu.Lock()
	in.closed = true
	conns := in.conns
	in.conns = map[net.Conn]*writer{}
	in.mu.Unlock()
	in.ln.Close()
	for c, back := range conns {
		c.Close()
		back.close()
	}
	in.done.Wait()
}
