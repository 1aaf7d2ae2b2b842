package gossip

import "time"

// Local health awareness (Lifeguard §4.1, memberlist's awareness.go). A
// member cannot tell from one failed probe whether the target is dead or
// it is itself too slow to hear the ack in time. Lifeguard keeps a score
// of evidence that the fault is local:
//
//   - a probe with no ack, for each nack that should have come but did
//     not (the helpers' answers are late too): +1 each;
//   - being suspected by others (we had to refute): +1;
//   - a direct ack on time: -1.
//
// The score, in [0, max-1], multiplies the member's probe interval and
// probe timeout: a member that misses its own deadlines probes less often
// and waits longer, so that it stops accusing healthy members, and it
// recovers as soon as it acks on time again.

// awareness is a member's health score.
type awareness struct {
	max   int // the multiplier's ceiling, AwarenessMax
	score int // 0 is healthy
}

// apply adds delta to the score, kept within [0, max-1].
func (a *awareness) apply(delta int) {
	//lab:solution 3C
	a.score = min(max(a.score+delta, 0), max(a.max-1, 0))
	//lab:stub
	// TODO(3C): add delta, and keep the score within [0, a.max-1].
	//lab:end
}

// scale stretches a timeout by the health multiplier, score+1.
func (a *awareness) scale(d time.Duration) time.Duration {
	//lab:solution 3C
	return d * time.Duration(a.score+1)
	//lab:stub
	// TODO(3C): multiply d by score+1.
	//> return d
	//lab:end
}
