package gossip

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPiggybackQueueRetiresOnShrink3B: when the group shrinks, so does the
// retransmit limit, and news already sent that often leaves the queue at
// the next take (after riding on that message, if it is among the first).
func TestPiggybackQueueRetiresOnShrink3B(t *testing.T) {
	var q broadcastQueue
	for m := 1; m <= 3; m++ {
		q.add(Update{Member: m, State: Alive})
	}
	q.take(3, 20)
	q.take(3, 20) // each sent twice; a group of 99 or fewer allows 20
	got := q.take(1, 10)
	require.Equal(t, []int{3}, members(got), "the newest of the equals still rides once more")
	require.Equal(t, 3, q.Len(), "the limit fell to 10: nothing has reached it yet")
	for i := 0; i < 8; i++ {
		q.take(3, 10)
	}
	require.Equal(t, 0, q.Len())

	for m := 1; m <= 3; m++ {
		q.add(Update{Member: m, State: Alive})
	}
	for i := 0; i < 5; i++ {
		q.take(3, 20)
	}
	q.take(1, 4) // the limit falls below what every update was sent
	require.Zero(t, q.Len(), "updates sent 5 times leave the queue once the limit is 4, taken or not")
}

// TestPiggybackQueueOrder3B checks the queue against the rule itself,
// over many random adds and takes: each take returns the updates sent
// fewest times, newest first among equals, and retires those that reached
// the limit (memberlist's TransmitLimitedQueue order). A queue kept in a
// heap must give the same answers as one sorted at every take.
func TestPiggybackQueueOrder3B(t *testing.T) {
	type entry struct {
		u         Update
		transmits int
		seq       int
	}
	var q broadcastQueue
	var model []entry
	rng := rand.New(rand.NewPCG(3, 14))
	seq := 0
	for step := 0; step < 20000; step++ {
		if rng.IntN(3) == 0 {
			u := Update{Member: rng.IntN(50), Incarnation: uint64(step)}
			q.add(u)
			model = slices.DeleteFunc(model, func(e entry) bool { return e.u.Member == u.Member })
			seq++
			model = append(model, entry{u: u, seq: seq})
			continue
		}
		max, limit := rng.IntN(9), 1+rng.IntN(12)
		slices.SortFunc(model, func(x, y entry) int { // fewest transmits, then newest
			return cmp.Or(cmp.Compare(x.transmits, y.transmits), cmp.Compare(y.seq, x.seq))
		})
		var want []Update
		for i := 0; i < len(model) && len(want) < max; i++ {
			want = append(want, model[i].u)
			model[i].transmits++
		}
		model = slices.DeleteFunc(model, func(e entry) bool { return e.transmits >= limit })
		got := q.take(max, limit)
		require.Equal(t, want, got, "take(%d, %d) at step %d", max, limit, step)
		require.Equal(t, len(model), q.Len(), "queue length after take(%d, %d) at step %d", max, limit, step)
	}
}
