package raft

import (
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Replies that arrive after their sender moved on (issue 10), staged one
// event at a time on a tests.HandNet.

// The same peer leads twice, and a reply to its first leadership arrives in
// its second. Five peers: L=0, F=1, X=2, Y=3, Z=4.
//
//   - term 1: L leads and sends entries 1-2 to F, which stores them; F's
//     success reply is held on the wire.
//   - term 2: X leads (votes of Y and Z) and gets its entry 1 onto L and Y:
//     committed, and L's own entries 1-2 of term 1 are gone.
//   - term 3: L leads again (votes of F and Z) and appends entry 2. Z stores
//     it. Now F's reply from term 1 arrives: "success up to index 2". It
//     speaks of term 1's entries, which F has and L no longer has. Taken
//     for an answer in term 3, it would make entry 2 of term 3 look stored
//     on L, F and Z, a majority, and L would commit an entry that only two
//     peers hold.
//   - term 4: X leads again (votes of F and Y, whose logs end in term 1 and
//     2) and puts its own entry in slot 2.
//
// A reply answers the request it was sent for, in the term it was sent in
// (Figure 2, "Leaders"; §5.1: stale information is discarded).
func TestStaleReplyFromEarlierLeadership4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		applied := map[int]any{}
		hn := tests.NewHandNet(t, 5, t.Seed, func(env labrpc.Env) any {
			me := env.Me()
			return Make(env, env.Persister(), func(m ApplyMsg) {
				if !m.CommandValid {
					return
				}
				if prev, ok := applied[m.CommandIndex]; ok && prev != m.Command {
					t.Errorf("index %d: n%d applied %v, but %v was applied there before (state machine safety, §5.4.3): a leader committed an entry that was not on a majority, after counting an AppendEntries reply from one of its earlier terms", m.CommandIndex, me, m.Command, prev)
				}
				applied[m.CommandIndex] = m.Command
			})
		})
		rf := func(i int) *Raft { return hn.Nodes[i].(*Raft) }
		const L, F, X, Y, Z = 0, 1, 2, 3, 4
		others := func(me int) []int {
			var ps []int
			for p := 0; p < 5; p++ {
				if p != me {
					ps = append(ps, p)
				}
			}
			return ps
		}
		elect := func(me int, voters ...int) {
			t.Helper()
			rf(me).becomeCandidate(true)
			for _, p := range voters {
				hn.Exchange(me, p, "RequestVote")
			}
			hn.Settle()
			for _, p := range others(me) {
				hn.LoseAll(me, p, "RequestVote") // the other voters never hear of it
			}
			hn.Settle()
			_, isLeader := rf(me).GetState()
			require.True(t, isLeader, "n%d, with the votes of %v", me, voters)
		}
		start := func(me int, cmd any) {
			t.Helper()
			_, _, ok := rf(me).Start(cmd)
			require.True(t, ok)
			hn.Settle()
		}
		loseRest := func(me int) {
			for _, p := range others(me) {
				hn.LoseAll(me, p, "AppendEntries")
			}
			hn.Settle()
		}

		// Term 1.
		elect(L, Y, Z)
		rf(L).Start("l1-a")
		rf(L).Start("l1-b")
		hn.Settle()                          // one AppendEntries to each follower carries both
		hn.Exchange(L, X, "AppendEntries")   // L's first heartbeat: X learns of term 1
		hn.DeliverAll(L, F, "AppendEntries") // F stores entries 1-2; its replies are held
		for _, p := range []int{X, Y, Z} {
			hn.LoseAll(L, p, "AppendEntries")
		}
		hn.Settle()

		// Term 2.
		elect(X, Y, Z)
		start(X, "x2")
		hn.ExchangeAll(X, L, "AppendEntries") // L steps down; its entries of term 1 are replaced
		hn.ExchangeAll(X, Y, "AppendEntries")
		hn.Settle()
		require.Equal(t, "x2", applied[1], "X's entry 1 is on X, L and Y: committed")
		loseRest(X)

		// Term 3.
		elect(L, F, Z)
		start(L, "l3")
		hn.ExchangeAll(L, Z, "AppendEntries")
		hn.Exchange(L, X, "AppendEntries")  // L's first heartbeat: X learns of term 3
		hn.AnswerAll(L, F, "AppendEntries") // F's replies from term 1, at last
		hn.Settle()
		loseRest(L)

		// Term 4.
		elect(X, F, Y)
		start(X, "x4")
		hn.FlushFrom(X)
		hn.Flush()
		require.Equal(t, "x4", applied[2], "X's entry 2 of term 4, once every message is delivered")
	})
}

// A snapshot behind the follower. A follower has applied entries 1 to 10;
// then an InstallSnapshot through index 5 arrives: a copy of an old one
// that the network duplicated and held back, or one a slow leader sent
// before the follower caught up by AppendEntries. Everything it holds the
// follower has applied already. Installing it would take the service back
// to its state after entry 5, and commitIndex and lastApplied with it
// (Figure 13, step 6 keeps the log; and what was applied stays applied).
func TestSnapshotBehindFollower4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		lastApplied := map[int]int{}
		hn := tests.NewHandNet(t, 3, t.Seed, func(env labrpc.Env) any {
			me := env.Me()
			return Make(env, env.Persister(), func(m ApplyMsg) {
				index := m.CommandIndex
				if m.SnapshotValid {
					index = m.SnapshotIndex
				}
				if index <= lastApplied[me] {
					t.Fatalf("n%d applied index %d (snapshot: %v) after index %d: what a peer has applied stays applied, and its commitIndex never goes back", me, index, m.SnapshotValid, lastApplied[me])
				}
				lastApplied[me] = index
			})
		})
		rf := func(i int) *Raft { return hn.Nodes[i].(*Raft) }
		rf(0).becomeCandidate(true)
		hn.Exchange(0, 1, "RequestVote")
		hn.Exchange(0, 2, "RequestVote")
		hn.Settle()
		term, isLeader := rf(0).GetState()
		require.True(t, isLeader)
		for i := 1; i <= 10; i++ {
			rf(0).Start(i)
			hn.Flush()
		}
		// Two heartbeats: until part 4F, Start sends nothing and the first
		// heartbeat carries the entries; the next carries the commit point.
		for range 2 {
			hn.Advance(heartbeatInterval)
			hn.Flush()
		}
		require.Equal(t, 10, lastApplied[1], "n1 has applied every entry")

		hn.Settle()
		rf(1).InstallSnapshot(&InstallSnapshotArgs{Term: term, LeaderId: 0, LastIncludedIndex: 5, LastIncludedTerm: term, Data: []byte("the state through entry 5")}, &InstallSnapshotReply{})
		hn.Flush()
		rf(0).Start(11)
		hn.Flush()
		for range 2 { // as above: the entry, then the commit point
			hn.Advance(heartbeatInterval)
			hn.Flush()
		}
		require.Equal(t, 11, lastApplied[1], "n1 goes on from where it was")
	})
}
