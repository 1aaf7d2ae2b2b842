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
type broadcastQueue struct {
	items []*queued
	seq   uint64 // order of arrival, for ties: newer first
}

type queued struct {
	u         Update
	transmits int
	seq       uint64
}

// add queues u, replacing any queued news about the same member: only the
// latest news about a member is worth spending messages on.
func (q *broadcastQueue) add(u Update) {
	//lab:solution 3B
	q.items = slices.DeleteFunc(q.items, func(it *queued) bool { return it.u.Member == u.Member })
	q.seq++
	q.items = append(q.items, &queued{u: u, seq: q.seq})
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
	slices.SortFunc(q.items, func(a, b *queued) int {
		if a.transmits != b.transmits {
			return a.transmits - b.transmits
		}
		return int(b.seq) - int(a.seq)
	})
	var out []Update
	for _, it := range q.items {
		if len(out) == max {
			break
		}
		out = append(out, it.u)
		it.transmits++
	}
	q.items = slices.DeleteFunc(q.items, func(it *queued) bool { return it.transmits >= limit })
	return out
	//lab:stub
	// TODO(3B): pick up to max updates, fewest transmits first (newest
	// first among equals), count a transmit for each, and drop those that
	// reached limit.
	//> return nil
	//lab:end
}

// Len is how many updates are queued.
func (q *broadcastQueue) Len() int { return len(q.items) }

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
	out = append(out, s.queue.take(s.cfg.MaxPiggyback, retransmitLimit(s.cfg.RetransmitMult, s.numMembers()))...)
	//lab:stub
	// TODO(3B): take up to s.cfg.MaxPiggyback updates from s.queue, with
	// the retransmit limit for the group's current size.
	//lab:end
	return out
}
