package paxos

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// TestSinglePeerCommits5B: a group of one peer is its own majority, so its
// commands are chosen as soon as it accepts them, with no reply to wait
// for: Start must count the leader's own acceptance (a one-peer
// deployment, or a test bench, otherwise commits nothing).
func TestSinglePeerCommits5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 1})
		var mp *MultiPaxos
		applied := 0
		w.Start(0, func(env labrpc.Env) any {
			mp = Make(env, env.Persister(), func(m ApplyMsg) {
				if m.CommandValid {
					applied = m.CommandIndex
				}
			})
			return mp
		})
		require.True(t, w.WaitUntil(func() bool { _, l := mp.GetState(); return l }, 10*time.Millisecond, 5*time.Second), "a lone peer elects itself")
		index, _, ok := mp.Start(1)
		require.True(t, ok)
		require.True(t, w.WaitUntil(func() bool { return applied >= index }, time.Millisecond, 2*time.Second),
			"a group of one peer did not apply slot %d within 2 s: its own acceptance is a majority of one (count it in Start; no reply will come to count it later)", index)
	})
}

// TestPromiseCarriesSnapshotAtFrom5B: a candidate asks for what acceptors
// accepted from the first slot it does not know to be chosen, From. An
// acceptor whose snapshot ends exactly at From must send that snapshot: the
// slot is chosen, and compacted, so no entry can report it.
//
// Peer 0 leads; slots 1 to 4 are chosen everywhere. Slot 5 is chosen by
// peers 0 and 1, whose services snapshot after every command, and peer 2
// never hears of it. Peer 0 goes quiet; peer 2 campaigns with From 5 and
// the promise of peer 1, whose snapshot ends at 5. Without the snapshot,
// peer 2 would take slot 5 for free and put its own command there.
func TestPromiseCarriesSnapshotAtFrom5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		chosen := map[int]string{}
		applied := map[int]int{} // peer → the last slot its service applied
		hn := tests.NewHandNet(t, 3, t.Seed, func(env labrpc.Env) any {
			me := env.Me()
			var mp *MultiPaxos
			mp = Make(env, env.Persister(), func(m ApplyMsg) {
				if m.SnapshotValid {
					applied[me] = m.SnapshotIndex
				}
				if !m.CommandValid {
					return
				}
				cmd := fmt.Sprint(m.Command)
				if prev, ok := chosen[m.CommandIndex]; ok && prev != cmd {
					t.Errorf("slot %d: n%d applied %s, but %s was applied there before: two commands chosen for one slot, because a promise did not carry the snapshot that covers the candidate's first unknown slot", m.CommandIndex, me, cmd, prev)
				}
				chosen[m.CommandIndex] = cmd
				applied[me] = m.CommandIndex
				mp.Snapshot(m.CommandIndex, []byte(cmd))
			})
			return mp
		})
		mp := func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }

		mp(0).campaign()
		hn.Flush()
		for c := 1; c <= 4; c++ {
			_, _, ok := mp(0).Start(c)
			require.True(t, ok)
			hn.Flush()
		}
		for i := 0; i < 3; i++ { // the commit point reaches everyone
			hn.Advance(heartbeatInterval)
			hn.Flush()
		}
		require.Equal(t, 4, applied[2], "slots 1 to 4 are applied at peer 2")

		index, _, ok := mp(0).Start(5)
		require.True(t, ok)
		require.Equal(t, 5, index)
		hn.Settle()
		hn.LoseAll(0, 2, "Accept") // peer 2 never hears of slot 5
		hn.ExchangeAll(0, 1, "Accept")
		for i := 0; i < 3; i++ { // peer 1 learns that 5 is chosen
			hn.Advance(heartbeatInterval)
			hn.LoseAll(0, 2, "Accept")
			hn.LoseAll(0, 2, "InstallSnapshot")
			hn.ExchangeAll(0, 1, "Accept")
			hn.ExchangeAll(0, 1, "InstallSnapshot")
		}
		require.Equal(t, "5", chosen[5])
		require.Equal(t, 5, applied[1], "peer 1 applied slot 5 (and snapshotted through it)")

		// Peer 0 goes quiet: nothing it sends arrives any more.
		mp(2).campaign()
		hn.Settle()
		hn.LoseAll(2, 0, "Prepare")
		hn.Exchange(2, 1, "Prepare")
		hn.Settle()
		_, isLeader := mp(2).GetState()
		require.True(t, isLeader, "peer 2 has the promises of 1 and itself")
		_, _, ok = mp(2).Start("Z")
		require.True(t, ok)
		for i := 0; i < 5; i++ {
			for _, from := range []int{1, 2} {
				for _, to := range []int{0, 1, 2} {
					if from != to {
						hn.LoseAll(0, to, "Accept")
						hn.LoseAll(0, to, "Prepare")
						hn.ExchangeAll(from, to, "Accept")
						hn.ExchangeAll(from, to, "InstallSnapshot")
					}
				}
			}
			hn.Advance(heartbeatInterval)
		}
		require.Equal(t, "5", chosen[5], "slot 5 was chosen with command 5")
	})
}
