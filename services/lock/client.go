package lock

import (
	"time"

	"protolab/labrpc"
)

// A Client is the lock service's client library, run by a client node: a
// node of the world like the servers, written in event style with Env
// timers, so that the node can be paused (a long garbage-collection pause)
// or crashed like any other. It opens a session, keeps it alive, keeps a
// local lease, and says which locks it holds and with which sequencer.
//
// The application on the node calls Acquire, TryAcquire, Release and Holds
// from its own handlers and timers; the answers come back as callbacks,
// from later events.
type Client struct {
	env     labrpc.Env
	servers []int
	cfg     Config
	leader  int // index into servers of the server that answered last

	// Two request streams, each with its own client id and sequence
	// numbers, one request at a time each (the rsm layer remembers one
	// result per client): KeepAlives must not wait behind an Acquire.
	session, ops stream

	sid      SessionID            // the current session; 0 while none is open
	leaseEnd time.Duration        // local clock: the session is believed alive until then
	held     map[string]Sequencer // locks granted to the current session and not released
}

// stream is one client id's requests: its sequence numbers, and whether a
// request is in flight.
type stream struct {
	id     int64
	seq    int64
	busy   bool
	queued []func() // requests waiting for the one in flight
}

// Client timing, on the client's clock.
const (
	// RetryPause: after every server in turn failed to answer, wait this
	// long (time for an election) and go round again.
	RetryPause = 20 * time.Millisecond
	// PollEvery: how often a waiting Acquire asks again.
	PollEvery = 25 * time.Millisecond
)

// keepAliveEvery is how often a client sends a KeepAlive: three per local
// lease, so that a lost one or two do not end it.
func (c *Client) keepAliveEvery() time.Duration { return ClientLease(c.cfg.Lease, c.cfg.Rho) / 3 }

// StartClient starts the library on a client node: it opens a session at
// once. servers are the lock servers' node ids.
func StartClient(env labrpc.Env, servers []int, cfg Config) *Client {
	c := &Client{env: env, servers: append([]int(nil), servers...), cfg: cfg}
	c.session.id = env.Rand().Int64()
	c.ops.id = env.Rand().Int64()
	//lab:solution 6C
	c.held = map[string]Sequencer{}
	//lab:end
	c.openSession()
	return c
}

// Session is the current session (0 while none is open).
func (c *Client) Session() SessionID {
	//lab:solution 6C
	return c.sid
	//lab:stub
	//> return 0
	//lab:end
}

// Holds reports whether this client believes it holds lock name, and with
// which sequencer: it was granted to the current session, not released, and
// the local lease has not ended. When the lease ends the client stops
// believing, whatever the servers may still think: it cannot know.
func (c *Client) Holds(name string) (Sequencer, bool) {
	//lab:solution 6C
	seq, ok := c.held[name]
	if !ok || c.env.Now() >= c.leaseEnd {
		return Sequencer{}, false
	}
	return seq, true
	//lab:stub
	// TODO(6C): a lock is held while it is granted and the local lease lasts.
	//> return Sequencer{}, false
	//lab:end
}

// LeaseEnd is when, on this node's clock, the local lease ends.
func (c *Client) LeaseEnd() time.Duration {
	//lab:solution 6C
	return c.leaseEnd
	//lab:stub
	//> return 0
	//lab:end
}

// Acquire asks for lock name until it is granted, then calls done with the
// grant's sequencer. If the session is lost while it waits, it waits for
// the next session and asks again in it.
func (c *Client) Acquire(name string, done func(Sequencer)) {
	c.acquire(name, false, func(seq Sequencer, err Err) {
		if err == OK {
			done(seq)
		}
	})
}

// TryAcquire asks for lock name once: done gets the sequencer and OK, or
// ErrBusy if another session holds it, or ErrNoSession.
func (c *Client) TryAcquire(name string, done func(Sequencer, Err)) {
	c.acquire(name, true, done)
}

func (c *Client) acquire(name string, try bool, done func(Sequencer, Err)) {
	//lab:solution 6C
	sid := c.sid
	if sid == 0 {
		if try {
			c.env.After(0, func() { done(Sequencer{}, ErrNoSession) })
			return
		}
		c.env.After(PollEvery, func() { c.acquire(name, try, done) })
		return
	}
	c.call(&c.ops, Acquire{Session: sid, Lock: name, Try: try}, func(r Reply, _ time.Duration) {
		switch {
		case r.Err == OK && c.sid == sid:
			c.held[name] = r.Seq
			c.env.Logf("lock", "granted %v to session %d", r.Seq, sid)
			done(r.Seq, OK)
		case try:
			if r.Err == OK {
				r.Err = ErrNoSession // granted to a session this client has since lost
			}
			done(Sequencer{}, r.Err)
		default: // busy, or the session is gone: ask again
			c.env.After(PollEvery, func() { c.acquire(name, try, done) })
		}
	})
	//lab:stub
	// TODO(6C): send Acquire in the current session; remember a grant's
	// sequencer; while the lock is busy (and not a try), ask again later.
	//> c.env.After(0, func() { done(Sequencer{}, ErrNoSession) })
	//lab:end
}

// Release gives lock name back. The client stops believing it holds the
// lock before it asks; done runs once the servers have answered.
func (c *Client) Release(name string, done func(Err)) {
	//lab:solution 6C
	seq, ok := c.held[name]
	delete(c.held, name)
	if !ok || c.sid == 0 {
		c.env.After(0, func() { done(ErrNotHeld) })
		return
	}
	c.call(&c.ops, Release{Session: c.sid, Lock: name, Gen: seq.Gen}, func(r Reply, _ time.Duration) { done(r.Err) })
	//lab:stub
	// TODO(6C): stop believing you hold the lock, then ask the servers to release it.
	//> c.env.After(0, func() { done(ErrNotHeld) })
	//lab:end
}

// Sessions and KeepAlives.

func (c *Client) openSession() {
	//lab:solution 6C
	c.call(&c.session, OpenSession{}, func(r Reply, sentAt time.Duration) {
		c.sid = r.Session
		c.held = map[string]Sequencer{}
		c.leaseEnd = sentAt + ClientLease(c.cfg.Lease, c.cfg.Rho)
		c.env.Logf("lock", "session %d open, local lease to %v", c.sid, c.leaseEnd)
		sid := c.sid
		c.env.After(c.keepAliveEvery(), func() { c.keepAlive(sid) })
	})
	//lab:stub
	// TODO(6C): open a session, start its local lease and its KeepAlives.
	//lab:end
}

// keepAlive sends one KeepAlive and sets the next. The local lease is
// measured from the send (see lease.go), shortened for the drift bound.
func (c *Client) keepAlive(sid SessionID) {
	//lab:solution 6C
	if c.sid != sid {
		return // that session is over; its successor has its own KeepAlives
	}
	next := func() { c.keepAlive(sid) }
	if c.session.busy {
		// The last one is still out (slow replies, or no leader): send
		// this one as soon as it is back, not a whole period later.
		c.env.After(RetryPause, next)
		return
	}
	c.call(&c.session, KeepAlive{Session: sid}, func(r Reply, sentAt time.Duration) {
		if c.sid != sid {
			return
		}
		if r.Err == ErrNoSession {
			// The servers expired the session: its locks may be someone
			// else's by now. Forget them, and start again.
			c.env.Logf("lock", "session %d expired; %d locks lost", sid, len(c.held))
			c.sid, c.held = 0, map[string]Sequencer{}
			c.openSession()
			return
		}
		c.leaseEnd = max(c.leaseEnd, sentAt+ClientLease(c.cfg.Lease, c.cfg.Rho))
	})
	c.env.After(c.keepAliveEvery(), next)
	//lab:stub
	// TODO(6C): send a KeepAlive; extend the local lease from when it was
	// sent; on ErrNoSession, forget the session's locks and open another.
	//lab:end
}

// call sends op on stream st to the servers, the last leader first, until
// one answers it (with anything but ErrWrongLeader); done gets the answer
// and the local time the request was first sent. Every try carries the
// same sequence number, so the servers apply it at most once.
func (c *Client) call(st *stream, op any, done func(r Reply, sentAt time.Duration)) {
	if st.busy {
		st.queued = append(st.queued, func() { c.call(st, op, done) })
		return
	}
	st.seq++
	st.busy = true
	args := DoArgs{ClientId: st.id, Seq: st.seq, Op: op}
	sentAt := c.env.Now()
	var try func(k int)
	try = func(k int) {
		if k > 0 && k%len(c.servers) == 0 {
			// A whole round without an answer: pause before the next.
			c.env.After(RetryPause, func() { c.send(args, k, try, st, sentAt, done) })
			return
		}
		c.send(args, k, try, st, sentAt, done)
	}
	try(0)
}

func (c *Client) send(args DoArgs, k int, try func(int), st *stream, sentAt time.Duration, done func(Reply, time.Duration)) {
	s := (c.leader + k) % len(c.servers)
	var reply Reply
	c.env.Call(c.servers[s], "LockServer.Do", &args, &reply, func(ok bool) {
		if !ok || reply.Err == ErrWrongLeader {
			try(k + 1)
			return
		}
		c.leader = s
		st.busy = false
		done(reply, sentAt)
		if !st.busy && len(st.queued) > 0 {
			next := st.queued[0]
			st.queued = st.queued[1:]
			next()
		}
	})
}

// Write asks the storage server on node storage to set key to value on the
// authority of seq, trying until it answers; done gets OK or
// ErrStaleSequencer.
func (c *Client) Write(storage int, key, value string, seq Sequencer, done func(Err)) {
	args := WriteArgs{Key: key, Value: value, Seq: seq}
	var reply WriteReply
	c.env.Call(storage, "Storage.Write", &args, &reply, func(ok bool) {
		if !ok {
			c.env.After(RetryPause, func() { c.Write(storage, key, value, seq, done) })
			return
		}
		done(reply.Err)
	})
}
