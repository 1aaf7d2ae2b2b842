package paxos

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Replies and requests that arrive after their sender moved on (issue 10),
// staged one event at a time on a tests.HandNet.

// A promise answers one prepare: the ballot it was asked for. Here peer 0
// prepares ballot b1, and the promise of peer 1 is held on the wire. Peer 3
// meanwhile gets X chosen by peers 1, 3 and 4 in a higher ballot c. Peer 0's
// b1 is refused by 2, 3 and 4, so it tries again with b2 > c; peer 2
// promises b2 (it promised c but accepted nothing). Now peer 1's old
// promise of b1 arrives: it says "accepted nothing", which was true before
// peer 1 accepted X. Counting it for b2 would make {0, 1, 2} look like a
// quorum that accepted nothing, and peer 0 would get its own Y chosen over
// X (Paxos Made Simple §2.2: the proposer must learn the highest accepted
// proposal of a majority that promised *this* ballot).
func TestOldBallotPromise5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		decided := map[int]any{}
		hn := tests.NewHandNet(t, 5, t.Seed, func(env labrpc.Env) any {
			me := env.Me()
			return MakeSynod(env, env.Persister(), func(seq int, v any) {
				if prev, ok := decided[seq]; ok && prev != v {
					t.Errorf("instance %d: n%d decided %v, but %v was decided before: two values chosen, because a promise of an older ballot was counted for a newer one (Paxos Made Simple §2.2)", seq, me, v, prev)
				}
				decided[seq] = v
			})
		})
		px := func(i int) *Synod { return hn.Nodes[i].(*Synod) }

		px(0).Start(0, "Y") // ballot b1, promised by peer 0 itself
		hn.Settle()
		hn.Deliver(0, 1, "Prepare") // peer 1 promises b1; the promise is held

		px(3).Start(0, "X") // ballot c > b1
		hn.Settle()
		for _, p := range []int{1, 2, 4} {
			hn.Exchange(3, p, "Prepare")
		}
		hn.Settle()
		for _, p := range []int{1, 4} {
			hn.Exchange(3, p, "Accept")
		}
		hn.Settle()
		fate, v := px(3).Status(0)
		require.Equal(t, Decided, fate, "X is chosen by peers 1, 3 and 4")
		require.Equal(t, "X", v)

		for _, p := range []int{2, 3, 4} {
			hn.Exchange(0, p, "Prepare") // refused: they promised c
		}
		hn.Advance(retryPauseMax)    // peer 0 tries again, with b2 > c
		hn.Exchange(0, 2, "Prepare") // peer 2 promises b2, has accepted nothing
		hn.Answer(0, 1, "Prepare")   // peer 1's promise of b1, at last
		hn.FlushFrom(0)              // peer 0's messages overtake peer 3's news of X
		hn.Flush()

		for i := 0; i < 5; i++ {
			fate, v := px(i).Status(0)
			require.Equal(t, Decided, fate, "n%d, once every message is delivered", i)
			require.Equal(t, "X", v, "n%d: X was chosen first; every peer must decide it", i)
		}
	})
}

// retryPauseMax is longer than any pause of a proposer between tries.
const retryPauseMax = time.Second

// The same story in Multi-Paxos: a candidate's promise from an earlier
// campaign arrives during its next one. Peer 0 campaigns in b1 and peer 1's
// promise is held. Peer 3 wins a higher ballot c and gets X chosen in slot
// 1 by peers 1, 3 and 4. Peer 0, outbid, campaigns again in b2 > c and
// hears from peer 2 (which accepted nothing); then peer 1's promise of b1
// arrives, reporting nothing accepted, which was true before peer 1
// accepted X. Counted for b2, it would let peer 0 lead without learning X,
// and put its own command in slot 1.
func TestOldCampaignPromise5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		applied := map[int]any{} // slot → the command the first peer applied there
		hn := tests.NewHandNet(t, 5, t.Seed, func(env labrpc.Env) any {
			me := env.Me()
			return Make(env, env.Persister(), func(m ApplyMsg) {
				if !m.CommandValid {
					return
				}
				if prev, ok := applied[m.CommandIndex]; ok && prev != m.Command {
					t.Errorf("slot %d: n%d applied %v, but %v was applied there before: two commands chosen for one slot, because a promise of an earlier campaign was counted for a later one (Paxos Made Simple §3)", m.CommandIndex, me, m.Command, prev)
				}
				applied[m.CommandIndex] = m.Command
			})
		})
		mp := func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }

		mp(0).campaign() // ballot b1; peer 0 promises it itself
		hn.Settle()
		hn.Deliver(0, 1, "Prepare") // peer 1 promises b1; the promise is held

		mp(3).campaign() // ballot c > b1
		hn.Settle()
		hn.Exchange(3, 1, "Prepare")
		hn.Exchange(3, 2, "Prepare")
		hn.Settle()
		_, isLeader := mp(3).GetState()
		require.True(t, isLeader, "peer 3 has promises from 1, 2 and itself")
		_, _, ok := mp(3).Start("X")
		require.True(t, ok)
		hn.Settle()
		hn.ExchangeAll(3, 1, "Accept")
		hn.ExchangeAll(3, 4, "Accept")
		hn.Settle()
		require.Equal(t, "X", applied[1], "X is chosen in slot 1 by peers 1, 3 and 4")

		for _, p := range []int{2, 3, 4} {
			hn.Exchange(0, p, "Prepare") // refused: they promised c
		}
		mp(0).campaign() // outbid, peer 0 tries again, in b2 > c
		hn.Settle()
		hn.Exchange(0, 2, "Prepare") // peer 2 promises b2, has accepted nothing
		hn.Answer(0, 1, "Prepare")   // peer 1's promise of b1, at last
		if _, _, isLeader := mp(0).Start("Y"); isLeader {
			hn.FlushFrom(0) // peer 0's messages overtake everyone else's
		}
		hn.Flush()
		require.Equal(t, "X", applied[1])
	})
}

// Min never goes back. Peer 0 hears, on peer 1's and peer 2's messages,
// that both are done with instances up to 5; so is peer 0 itself, and it
// forgets them. Then a message peer 1 sent before it called Done(5)
// arrives, late, still carrying Done=2. It is old news: peer 1 cannot be
// less done than it was. If peer 0 believed it, Min would go back to 3 and
// instances 3 to 5, forgotten (their values gone), would be open again
// for a second value to be chosen.
func TestLateDoneDoesNotLowerMin5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn := tests.NewHandNet(t, 3, t.Seed, func(env labrpc.Env) any { return MakeSynod(env, env.Persister(), nil) })
		px := func(i int) *Synod { return hn.Nodes[i].(*Synod) }
		for i := 0; i < 3; i++ {
			px(i).Start(i, fmt.Sprint("v", i))
		}
		hn.Flush()
		for seq := 0; seq <= 5; seq++ { // every instance up to 5 decided everywhere
			px(0).Start(seq, fmt.Sprint("v", seq))
			hn.Flush()
		}

		px(1).Done(2)
		px(1).Start(6, "six") // its prepare carries Done=2; the one to peer 0 is held
		hn.Settle()
		px(1).Done(5)
		px(2).Done(5)
		px(0).Done(5)
		px(1).Start(7, "seven") // Done=5
		px(2).Start(8, "eight") // Done=5
		hn.Settle()
		late := hn.Matching(1, 0, "Prepare", false) // instance 6's, then 7's
		require.Len(t, late, 2)
		hn.Handle(late[1]) // instance 7's overtakes instance 6's
		hn.Reply(late[1])
		hn.Exchange(2, 0, "Prepare")
		hn.Settle()
		require.Equal(t, 6, px(0).Min(), "every peer is done with 0..5")

		// From now on, after every event: Min never goes back, and a
		// forgotten instance stays forgotten.
		lowest := px(0).Min()
		hn.Check = func() {
			if m := px(0).Min(); m < lowest {
				t.Fatalf("n0's Min went back from %d to %d: a late message carried an older Done of its sender (a peer's Done only grows; keep the highest heard)", lowest, m)
			}
			lowest = px(0).Min()
			if fate, _ := px(0).Status(4); fate != Forgotten {
				t.Fatalf("instance 4 was forgotten, and is %v again at n0", fate)
			}
		}
		hn.Flush() // instance 6's Prepare, with Done=2, at last
	})
}
