package paxos

import (
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// An Accept reply answers one ballot's Accept, and a leader that leads
// again later, in a higher ballot, must not count a reply of its earlier
// reign (issue 10: the same peer leading again).
//
// Peer 0 leads in b1 (promises of 1 and 3) and puts Y in slot 1; peer 1
// accepts Y, and its reply is held on the wire. Peer 2 leads in c > b1
// (promises of 3 and 4) and puts X in slot 1, accepted by itself alone.
// Peer 0, outbid, leads again in b2 > c (promises of 2 and 3): it adopts X,
// the highest-ballot proposal reported, and peer 2 accepts X in b2. Then
// peer 1's reply of b1 arrives. Peer 1 accepted Y, not X: counted for b2,
// it would make {0, 1, 2} look like a majority that accepted X, and peer 0
// would apply X. But peers 1, 3 and 4 never accepted X; peer 4, leading
// next with their promises, learns only Y (from peer 1) and gets Y chosen
// in slot 1.
func TestStaleAcceptReply5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		applied := map[int]any{} // slot → the command the first peer applied there
		hn := tests.NewHandNet(t, 5, t.Seed, func(env labrpc.Env) any {
			me := env.Me()
			return Make(env, env.Persister(), func(m ApplyMsg) {
				if !m.CommandValid {
					return
				}
				if prev, ok := applied[m.CommandIndex]; ok && prev != m.Command {
					t.Errorf("slot %d: n%d applied %v, but %v was applied there before: two commands chosen for one slot, because a leader counted an Accept reply of its earlier ballot toward its current one (an acceptance is of one proposal, in one ballot)", m.CommandIndex, me, m.Command, prev)
				}
				applied[m.CommandIndex] = m.Command
			})
		})
		mp := func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }
		leads := func(i int) bool { _, isLeader := mp(i).GetState(); return isLeader }

		mp(0).campaign() // b1
		hn.Settle()
		hn.Exchange(0, 1, "Prepare")
		hn.Exchange(0, 3, "Prepare")
		hn.Settle()
		require.True(t, leads(0), "peer 0 has promises from 1, 3 and itself")
		hn.LoseAll(0, 2, "Prepare")
		hn.LoseAll(0, 4, "Prepare")
		_, _, ok := mp(0).Start("Y")
		require.True(t, ok)
		hn.Settle()
		hn.DeliverAll(0, 1, "Accept") // peer 1 accepts Y in b1; its replies are held
		for _, p := range []int{2, 3, 4} {
			hn.LoseAll(0, p, "Accept") // the others never see Y
		}

		mp(2).campaign() // c > b1
		hn.Settle()
		hn.Exchange(2, 3, "Prepare")
		hn.Exchange(2, 4, "Prepare")
		hn.Settle()
		require.True(t, leads(2), "peer 2 has promises from 3, 4 and itself")
		hn.LoseAll(2, 1, "Prepare")
		_, _, ok = mp(2).Start("X") // accepted by peer 2 alone
		require.True(t, ok)
		hn.Settle()

		hn.Deliver(2, 0, "Prepare") // peer 0 hears of c and steps down
		hn.Settle()
		require.False(t, leads(0))
		mp(0).campaign() // b2 > c
		hn.Settle()
		hn.Exchange(0, 2, "Prepare") // reports X in c
		hn.Exchange(0, 3, "Prepare") // reports nothing
		hn.Settle()
		require.True(t, leads(0), "peer 0 has promises from 2, 3 and itself")
		hn.ExchangeAll(0, 2, "Accept") // peer 2 accepts X in b2
		hn.Settle()
		hn.AnswerAll(0, 1, "Accept") // peer 1's replies of b1, at last
		hn.Settle()

		hn.Deliver(0, 4, "Prepare") // peer 4 hears of b2
		hn.Settle()
		mp(4).campaign() // b3 > b2
		hn.Settle()
		hn.Exchange(4, 1, "Prepare") // reports Y in b1
		hn.Exchange(4, 3, "Prepare") // reports nothing
		hn.Settle()
		require.True(t, leads(4), "peer 4 has promises from 1, 3 and itself")
		hn.FlushFrom(4) // peer 4's messages overtake everyone else's
		for i := 0; i < 10; i++ {
			hn.Flush()
			hn.Advance(heartbeatInterval)
		}
		require.NotNil(t, applied[1], "every message delivered, a command is chosen in slot 1")
	})
}

// A leader that hears a higher-ballot leader's Accept has promised that
// ballot: it leads no more, and must say so. Peer 0 leads in b1; peer 1
// wins b2 with peer 2's promise, and its first Accept reaches peer 0 before
// any refusal does. From then on peer 0's GetState and Start must answer
// "not the leader": a client told otherwise would wait on a command that
// can no longer be chosen in the slot it was given.
func TestDeposedLeaderSaysSo5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn := tests.NewHandNet(t, 3, t.Seed, func(env labrpc.Env) any { return Make(env, env.Persister(), func(ApplyMsg) {}) })
		mp := func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }
		mp(0).campaign() // b1
		hn.Flush()
		_, isLeader := mp(0).GetState()
		require.True(t, isLeader, "peer 0 leads in b1")

		mp(1).campaign() // b2 > b1
		hn.Settle()
		hn.LoseAll(1, 0, "Prepare")
		hn.Exchange(1, 2, "Prepare")
		hn.Settle()
		_, isLeader = mp(1).GetState()
		require.True(t, isLeader, "peer 1 leads in b2 with peer 2's promise")
		_, _, ok := mp(1).Start("X")
		require.True(t, ok)
		hn.Settle()
		hn.Deliver(1, 0, "Accept") // peer 0 follows b2; the reply is held

		_, isLeader = mp(0).GetState()
		require.False(t, isLeader, "peer 0 accepted the Accept of a leader in a higher ballot, yet still says it leads: when an Accept makes you promise a higher ballot, step down")
		_, _, isLeader = mp(0).Start("Y")
		require.False(t, isLeader, "peer 0, deposed, must refuse to start a command")
	})
}
