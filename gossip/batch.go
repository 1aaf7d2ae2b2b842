package gossip

import "time"

// Batching: a node does not mail each value the moment it learns it. Each
// neighbour has an outbox; values collect there and leave together at the
// next boundary of BatchInterval, one message per neighbour however many
// values it carries. Under load this divides the message count by the
// number of values per batch, and costs at most one interval of latency
// per hop. The handout (docs/lab3-gossip.md, "How few messages?") works
// out how far batching can go.
//
// Flushes happen on multiples of the interval on the virtual clock, so
// that every node flushes at the same instants: a batch that crosses a
// link in less than one interval is forwarded at the very next boundary.

// scheduleFlush arranges for the outboxes to be sent: at once without
// batching, otherwise at the next boundary (once, however many values
// arrive before it).
func (b *Broadcast) scheduleFlush() {
	//lab:solution 3A
	if b.cfg.BatchInterval <= 0 {
		b.flush()
		return
	}
	if b.flushArmed {
		return
	}
	b.flushArmed = true
	b.env.After(untilBoundary(b.env.Now(), b.cfg.BatchInterval), func() {
		b.flushArmed = false
		b.flush()
	})
	//lab:stub
	// TODO(3A): flush now if b.cfg.BatchInterval is zero; otherwise arm
	// one timer (b.flushArmed) that flushes at the next boundary
	// (untilBoundary).
	//lab:end
}

// flush sends each neighbour its outbox as one Gossip, and empties it.
// Mail is best effort: a batch that is lost is not resent (anti-entropy
// will repair it), so the reply is not waited for.
func (b *Broadcast) flush() {
	//lab:solution 3A
	for _, nb := range b.neighbours {
		values := b.outbox[nb]
		if len(values) == 0 {
			continue
		}
		delete(b.outbox, nb)
		b.env.Call(nb, "Broadcast.Gossip", &GossipArgs{From: b.me, Values: values}, &GossipReply{}, func(bool) {})
	}
	//lab:stub
	// TODO(3A): for each neighbour (in b.neighbours order, not map order)
	// with values in its outbox, send them in one Broadcast.Gossip and
	// empty the outbox.
	//lab:end
}

// untilBoundary is how long from now until the next multiple of interval,
// strictly later than now: in (0, interval].
func untilBoundary(now, interval time.Duration) time.Duration {
	//lab:solution 3A
	return interval - now%interval
	//lab:stub
	// TODO(3A): the time from now to the next multiple of interval (a
	// full interval when now is one).
	//> return interval
	//lab:end
}
