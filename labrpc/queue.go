package labrpc

import "time"

// An event is one thing that will happen at a virtual time. Events run one at
// a time, in (at, seq) order: seq breaks ties in the order events were
// scheduled, which makes the order total and the run deterministic.
type event struct {
	at  time.Duration
	seq uint64
	fn  func()
	tm  *timer
	c   *call
	p   *proc
	val any // a reply's decoded copy
	// The small fields last, packed together: an event is copied into the
	// queue and out again, so its size counts (80 bytes, not 96).
	kind eventKind
	node int32  // owner for timers and call completions; -1 for the world
	inc  uint32 // owner's incarnation: an event of a crashed incarnation is skipped
	n    int32  // a reply's size in bytes; the node of evResume and evDrain
}

type eventKind uint8

const (
	evTimer   eventKind = iota // a node's After fires
	evDeliver                  // a request reaches its server
	evReply                    // a reply reaches its caller
	evLost                     // a call whose message was lost completes with ok=false
	evWake                     // a parked process resumes
	evWorld                    // a harness function (nemesis, scheduled fault)
	evResume                   // node n's pause ends, if inc is still its pause's generation
	evDrain                    // node n runs its oldest event held during a pause
)

// queue orders events by (at, seq). The heap holds only small keys; the
// events themselves wait in a slab and are copied once in and once out. It
// is written out by hand rather than through container/heap, because the
// event loop is the hottest path of every test.
type queue struct {
	keys []qkey
	slab []event
	free []int32
}

type qkey struct {
	at  time.Duration
	seq uint64
	idx int32
}

func (a qkey) before(b qkey) bool {
	return a.at < b.at || a.at == b.at && a.seq < b.seq
}

func (q *queue) len() int { return len(q.keys) }

// push queues e.
func (q *queue) push(e event) { *q.add(e.at, e.seq) = e }

// add queues an event due at (at, seq) and returns its slot, for the caller
// to fill in: every field, since the slot keeps whatever its last event
// left there (see popSlot). Filling an event in place, rather than building
// it and copying it in, is what makes this the fast way: a copy reads the
// fields just written back in 16-byte pieces, and the processor then waits
// for those writes to land, a stall that cost more than the rest of
// scheduling together.
func (q *queue) add(at time.Duration, seq uint64) *event {
	var idx int32
	if n := len(q.free); n > 0 {
		idx = q.free[n-1]
		q.free = q.free[:n-1]
	} else {
		idx = int32(len(q.slab))
		q.slab = append(q.slab, event{})
	}
	k := qkey{at, seq, idx}
	q.keys = append(q.keys, k)
	h := q.keys
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !k.before(h[parent]) {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = k
	e := &q.slab[idx]
	e.at, e.seq = at, seq
	return e
}

// pop takes the next event out of the queue.
func (q *queue) pop() event {
	idx := q.popSlot()
	e := q.slab[idx]
	q.freeSlot(idx)
	return e
}

// popSlot removes the next event from the queue and returns its slot,
// which stays the caller's until it hands it back with freeSlot: the event
// loop runs an event from its slot rather than from a copy (see add).
func (q *queue) popSlot() int32 {
	h := q.keys
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	q.keys = h
	if len(h) > 0 {
		i := 0
		for {
			l := 2*i + 1
			if l >= len(h) {
				break
			}
			m := l
			if r := l + 1; r < len(h) && h[r].before(h[l]) {
				m = r
			}
			if !h[m].before(last) {
				break
			}
			h[i] = h[m]
			i = m
		}
		h[i] = last
	}
	return top.idx
}

// freeSlot hands a popped event's slot back for the next add. The slot is
// not cleared: the next add overwrites it, and clearing an event's pointers
// costs a write barrier each while the garbage collector runs, on every
// event. What a free slot still points at (a fired timer's closure, a
// reply) stays reachable until then; the slab is never longer than the most
// events once pending.
func (q *queue) freeSlot(idx int32) { q.free = append(q.free, idx) }
