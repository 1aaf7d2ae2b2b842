package gossip

import (
	//lab:solution 3B
	"math"
	"slices"
	//lab:end
)

// Dissemination by piggybacking (SWIM §4.1, "infection-style"): SWIM sends
// no messages of its own to spread news. Every ping, ping-req and ack
// carries a few updates from a queue; each update rides on a bounded
// number of messages, λ·⌈log₁₀(n+1)⌉, and is then dropped. Sent by every
// member that learns it, an update reaches all n members with high
// probability in O(log n) periods, while the queue stays short and
// messages stay small. Updates sent fewest times go first: new news
// travels before old (memberlist's TransmitLimitedQueue).

// broadcastQueue holds the updates this member still passes on.
//
// A member that joins a large group queues news about every other member
// at once, so the queue can hold a thousand updates while each message
// takes eight. Sorting all of them for every message made a 1,024-member
// group spend most of its time here. The reference keeps the order in a
// heap instead (memberlist keeps a B-tree for the same reason), so that a
// message's few updates cost O(log n) each; sorting the whole queue in
// take is just as correct, only slower in large groups.
type broadcastQueue struct {
	seq uint64 // order of arrival, for ties: newer first
	//lab:solution 3B
	// heap orders the queue: heap[0] goes out first (see before), and the
	// children of heap[i] are heap[4i+1] to heap[4i+4]. at[m] is where the
	// news about member m sits in heap, plus one (0: none queued), so that
	// newer news replaces older in place. A member of a forming group of
	// 4,096 queues news of every other: leaving replaced news in the heap
	// to be skipped later, or keeping the updates in an array by member,
	// cost hundreds of megabytes there.
	heap  []slot
	at    []int32
	limit int    // the retransmit limit the last take used
	taken []slot // scratch for take
	//lab:stub
	//> items []*queued
	//lab:end
}

//lab:solution 3B

// slot is a heap entry: an update, when it was queued (seq), and how often
// it was sent. It holds the update's fields in 32 bytes, as many as an
// Update alone takes.
type slot struct {
	seq         uint64
	incarnation uint64
	member      int32
	from        int32
	transmits   int32
	state       State
}

// update is the news the slot holds.
func (it slot) update() Update {
	return Update{Member: int(it.member), State: it.state, Incarnation: it.incarnation, From: int(it.from)}
}

//lab:stub
//> // queued is one update in the queue.
//> type queued struct {
//> 	u         Update
//> 	transmits int
//> 	seq       uint64
//> }
//lab:end

// add queues u, replacing any queued news about the same member: only the
// latest news about a member is worth spending messages on.
func (q *broadcastQueue) add(u Update) {
	//lab:solution 3B
	for len(q.at) <= u.Member {
		q.at = append(q.at, 0)
	}
	q.seq++
	it := slot{seq: q.seq, incarnation: u.Incarnation, member: int32(u.Member), from: int32(u.From), state: u.State}
	if i := int(q.at[u.Member]) - 1; i >= 0 {
		// The older news gives way. The new one, newest and never
		// sent, goes out before it would have: it can only move up.
		q.heap[i] = it
		q.up(i)
		return
	}
	q.push(it)
	//lab:stub
	// TODO(3B): drop any queued update about the same member, then queue u
	// with no transmits yet.
	//lab:end
}

// take returns up to max updates to piggyback on one message: those sent
// fewest times first, newest first among equals. Each counts one transmit;
// an update that reaches limit transmits leaves the queue.
func (q *broadcastQueue) take(max, limit int) []Update {
	//lab:solution 3B
	var out []Update
	if n := min(max, len(q.heap)); n > 0 {
		out = make([]Update, 0, n) // one allocation, not one per doubling
	}
	q.taken = q.taken[:0]
	for len(out) < max && len(q.heap) > 0 {
		it := q.pop()
		out = append(out, it.update())
		it.transmits++
		if int(it.transmits) < limit {
			q.taken = append(q.taken, it)
		}
	}
	// Back in the queue only after the loop: one message carries an
	// update at most once.
	for _, it := range q.taken {
		q.push(it)
	}
	if limit < q.limit || limit <= 0 {
		// The group shrank, and with it the limit: retire what already
		// reached the new one.
		q.retire(limit)
	}
	q.limit = limit
	if len(q.heap) == 0 {
		q.heap, q.at = nil, nil
	}
	return out
	//lab:stub
	// TODO(3B): pick up to max updates, fewest transmits first (newest
	// first among equals), count a transmit for each, and drop those that
	// reached limit.
	//> return nil
	//lab:end
}

//lab:solution 3B

// before reports whether a goes out before b: sent fewer times, or as
// often and newer.
func (a slot) before(b slot) bool {
	if a.transmits != b.transmits {
		return a.transmits < b.transmits
	}
	return a.seq > b.seq
}

// retire drops the updates sent limit times or more, and restores the
// heap order.
func (q *broadcastQueue) retire(limit int) {
	q.heap = slices.DeleteFunc(q.heap, func(it slot) bool {
		if int(it.transmits) >= limit {
			q.at[it.member] = 0
			return true
		}
		return false
	})
	for i, it := range q.heap {
		q.at[it.member] = int32(i + 1)
	}
	if n := len(q.heap); n > 1 {
		for i := (n - 2) / 4; i >= 0; i-- { // the last entry's parent, and up
			q.down(i)
		}
	}
}

// push adds it to the heap.
func (q *broadcastQueue) push(it slot) {
	q.heap = append(q.heap, it)
	q.up(len(q.heap) - 1)
}

// pop takes the root out of the heap and returns it.
func (q *broadcastQueue) pop() slot {
	it := q.heap[0]
	q.at[it.member] = 0
	last := len(q.heap) - 1
	q.heap[0] = q.heap[last]
	q.heap = q.heap[:last]
	if last > 0 {
		q.down(0)
	}
	return it
}

// put places it at heap[i], and notes where.
func (q *broadcastQueue) put(i int, it slot) {
	q.heap[i] = it
	q.at[it.member] = int32(i + 1)
}

// up moves heap[i] towards the root while it goes out before its parent.
func (q *broadcastQueue) up(i int) {
	it := q.heap[i]
	for i > 0 {
		parent := (i - 1) / 4
		if !it.before(q.heap[parent]) {
			break
		}
		q.put(i, q.heap[parent])
		i = parent
	}
	q.put(i, it)
}

// down moves heap[i] towards the leaves while a child goes out before it.
func (q *broadcastQueue) down(i int) {
	it := q.heap[i]
	n := len(q.heap)
	for {
		first, best := -1, it
		for c := 4*i + 1; c <= 4*i+4 && c < n; c++ {
			if q.heap[c].before(best) {
				first, best = c, q.heap[c]
			}
		}
		if first < 0 {
			break
		}
		q.put(i, best)
		i = first
	}
	q.put(i, it)
}

//lab:end

// Len is how many updates are queued.
func (q *broadcastQueue) Len() int {
	//lab:solution 3B
	return len(q.heap)
	//lab:stub
	//> return len(q.items)
	//lab:end
}

// retransmitLimit is how many messages one update rides on, in a group of
// n members: λ·⌈log₁₀(n+1)⌉ (memberlist's retransmitLimit). With λ = 4
// that is 4 up to 9 members, 8 up to 99, 12 up to 999. Too low, and news
// dies out before it reaches everyone; with no limit, the queue grows
// forever and old news crowds out new.
func retransmitLimit(mult, n int) int {
	//lab:solution 3B
	return mult * int(math.Ceil(math.Log10(float64(n+1))))
	//lab:stub
	// TODO(3B): λ·⌈log₁₀(n+1)⌉.
	//> return mult
	//lab:end
}

// piggyback takes this message's updates from the queue. Under Lifeguard's
// buddy system (3C), a message to a member we suspect carries that
// suspicion first, so that the suspect hears of it at once and can refute.
func (s *Swim) piggyback(to int) []Update {
	var out []Update
	//lab:solution 3C
	if m := s.members[to]; s.cfg.Lifeguard && m != nil && m.state == Suspect {
		out = append(out, Update{Member: to, State: Suspect, Incarnation: m.incarnation, From: s.me})
	}
	//lab:stub
	// TODO(3C): under Lifeguard, a message to a member we suspect carries
	// that suspicion first (the buddy system).
	//lab:end
	//lab:solution 3B
	taken := s.queue.take(s.cfg.MaxPiggyback, retransmitLimit(s.cfg.RetransmitMult, s.numMembers()))
	if out == nil {
		return taken // nothing goes first: no need to copy
	}
	out = append(out, taken...)
	//lab:stub
	// TODO(3B): take up to s.cfg.MaxPiggyback updates from s.queue, with
	// the retransmit limit for the group's current size.
	//lab:end
	return out
}
