package paxos

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Scenarios written from the survivors of lab 5's mutation runs (issue 10;
// the triage is in docs/mutation.md), each staged on a tests.HandNet one
// event at a time: the situation a learner's bug would meet, which no other
// test staged.

// handPaxos boots n Multi-Paxos peers on a HandNet; applied[i] lists the
// commands peer i applied, by slot.
func handPaxos(t *tests.T, n int) (*tests.HandNet, func(i int) *MultiPaxos, []map[int]any) {
	applied := make([]map[int]any, n)
	for i := range applied {
		applied[i] = map[int]any{}
	}
	hn := tests.NewHandNet(t, n, t.Seed, func(env labrpc.Env) any {
		me := env.Me()
		return Make(env, env.Persister(), func(m ApplyMsg) {
			if m.CommandValid {
				applied[me][m.CommandIndex] = m.Command
			}
		})
	})
	return hn, func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }, applied
}

// A read begun at a leader that has been deposed without knowing it must
// fail; it must not wait for the peer to lead again and then be answered
// with the read index of its old reign (issue 10: a request that arrives
// after its sender moved on, the same peer leading again).
//
// Peer 0 leads in b1 and gets A chosen in slot 1. Peer 1 wins b2 with peer
// 2's promise and gets W chosen in slot 2: W is complete. Then a read
// begins at peer 0, which still believes it leads: its read index is its
// last slot, 1. Its read round is refused (peer 1 promised b2), so it steps
// down. Later it campaigns and leads again in b3. If its read were still
// pending, the first answer of b3 would confirm it with index 1, below W,
// which completed before the read began: the service would answer from a
// state without W (replog.Reader: every command committed before the call
// is at or below the index).
func TestDeposedLeaderReadFails6B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, mp, applied := handPaxos(t, 3)
		leads := leaderTest(mp)

		mp(0).campaign() // b1
		hn.Flush()
		require.True(t, leads(0), "peer 0 leads in b1")
		_, _, ok := mp(0).Start("A")
		require.True(t, ok)
		hn.Flush()
		require.Equal(t, "A", applied[0][1], "A is chosen in slot 1")

		mp(1).campaign() // b2 > b1
		hn.Settle()
		hn.LoseAll(1, 0, "Prepare")
		hn.Exchange(1, 2, "Prepare")
		hn.Settle()
		require.True(t, leads(1), "peer 1 leads in b2 with peer 2's promise")
		w, _, ok := mp(1).Start("W")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(1, 0, "Accept") // peer 0 hears nothing of b2
		hn.ExchangeAll(1, 2, "Accept")
		require.Equal(t, "W", applied[1][w], "W is chosen in slot %d by peers 1 and 2, and applied", w)

		type answer struct {
			index int
			ok    bool
		}
		var answers []answer
		require.True(t, leads(0), "peer 0 does not know it was deposed")
		hn.Advance(time.Millisecond) // the read begins after every answer peer 0 has had
		mp(0).ReadIndex(func(index int, ok bool) { answers = append(answers, answer{index, ok}) })
		hn.Settle()
		hn.ExchangeAll(0, 1, "Accept") // refused: peer 1 promised b2; peer 0 steps down
		hn.LoseAll(0, 2, "Accept")
		require.False(t, leads(0), "peer 0 heard of b2 and stepped down")

		mp(0).campaign() // b3 > b2
		hn.Settle()
		hn.Exchange(0, 1, "Prepare")
		hn.Exchange(0, 2, "Prepare")
		hn.Settle()
		require.True(t, leads(0), "peer 0 leads again, in b3")
		hn.ExchangeAll(0, 2, "Accept")
		hn.ExchangeAll(0, 1, "Accept")

		for _, a := range answers {
			if a.ok {
				require.GreaterOrEqual(t, a.index, w,
					"a read begun at peer 0 after W was chosen in slot %d was answered with index %d: it was begun in b1, when peer 0 had already been deposed, and confirmed by answers of b3 (a leader that steps down must fail the reads it has not confirmed: replog.Reader, every command committed before the call is at or below the index)", w, a.index)
			}
		}
		require.Len(t, answers, 1, "ReadIndex calls done exactly once")
	})
}

// A refusal is not a promise. A candidate that is refused (an acceptor
// promised a higher ballot) steps down, and must not count that reply
// toward its majority: its phase 1 would then rest on acceptors that told
// it nothing, and it could propose a new command in a slot already chosen.
//
// Five peers. Peer 2 leads in a = 1.2 and gets V chosen in slot 1 by peers
// 2, 3 and 4 (its Accepts to 0 and 1 are lost). Peer 4 campaigns in
// c = 2.4, heard by itself alone. Peer 0 campaigns in b = 2.0 (a < b < c):
// peers 0 and 1, which accepted nothing, promise; peer 4 refuses. Counted
// as a third promise, that refusal would make peer 0 a leader that knows
// nothing of V; its command X in slot 1 would be accepted by 1, 2 and 3
// (their promise is a < b), and chosen too.
func TestRefusalIsNotAPromise5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, mp, applied := handPaxos(t, 5)
		checkOneCommandPerSlot(t, hn, applied, "because a candidate counted a refusal as a promise (Paxos Made Simple §2.2: a proposer needs promises from a majority, and learns from them what was accepted)")
		leads := leaderTest(mp)

		mp(2).campaign() // a = 1.2, promised by everyone
		hn.Settle()
		for _, p := range []int{0, 1, 3, 4} {
			hn.Exchange(2, p, "Prepare")
		}
		hn.Settle()
		require.True(t, leads(2), "peer 2 leads in a")
		_, _, ok := mp(2).Start("V")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(2, 0, "Accept")
		hn.LoseAll(2, 1, "Accept")
		hn.ExchangeAll(2, 3, "Accept")
		hn.ExchangeAll(2, 4, "Accept")
		require.Equal(t, "V", applied[2][1], "V is chosen in slot 1 by peers 2, 3 and 4")

		mp(4).campaign() // c = 2.4: peer 4 promises it; nobody else hears
		hn.Settle()
		for _, p := range []int{0, 1, 2, 3} {
			hn.LoseAll(4, p, "Prepare")
		}

		mp(0).campaign() // b = 2.0
		hn.Settle()
		hn.Exchange(0, 1, "Prepare") // a promise; nothing accepted
		hn.Exchange(0, 4, "Prepare") // a refusal: peer 4 promised c
		hn.Settle()
		if _, _, ok := mp(0).Start("X"); ok {
			hn.Settle()
			hn.LoseAll(0, 4, "Accept")
			for _, p := range []int{1, 2, 3} {
				hn.ExchangeAll(0, p, "Accept")
			}
		}
		require.False(t, leads(0), "peer 0 has one promise besides its own, and a refusal: it must not lead (a refusal is not a promise)")
	})
}

// handSynods boots n Synod peers on a HandNet; decisions[i][seq] counts the
// times peer i reported instance seq decided. envs lets a test build a new
// incarnation of a peer from its stable storage, as a restart would.
func handSynods(t *tests.T, n int) (*tests.HandNet, func(i int) *Synod, []map[int]int, []labrpc.Env) {
	decisions := make([]map[int]int, n)
	envs := make([]labrpc.Env, n)
	for i := range decisions {
		decisions[i] = map[int]int{}
	}
	hn := tests.NewHandNet(t, n, t.Seed, func(env labrpc.Env) any {
		me := env.Me()
		envs[me] = env
		return MakeSynod(env, env.Persister(), func(seq int, v any) { decisions[me][seq]++ })
	})
	return hn, func(i int) *Synod { return hn.Nodes[i].(*Synod) }, decisions, envs
}

// A network may deliver a request twice, or long after it was sent. A
// decision announced twice is still one decision: the learner reports it
// once (MakeSynod: decided is called once each time this peer learns a
// value). And an announcement that arrives after every peer is done with
// its instance, and forgot it, must change nothing: the instance stays
// forgotten.
func TestDuplicateAndLateLearn5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, decisions, _ := handSynods(t, 3)
		px(0).Start(0, "a")
		hn.Settle()
		prepareAndAccept(hn, 0, 1, 2)
		learn := hn.Matching(0, 1, "Learn", false)
		require.Len(t, learn, 1, "peer 0 announces the decision of instance 0 to peer 1")
		hn.Handle(learn[0])
		hn.Handle(learn[0]) // the network delivers it twice
		require.Equal(t, 1, decisions[1][0], "peer 1 heard the decision of instance 0 twice, and reported it %d times: a learner reports a decision once", decisions[1][0])
		hn.Reply(learn[0])
		hn.Flush()

		for i := 0; i < 3; i++ {
			px(i).Done(0)
		}
		px(2).Start(1, "b") // its messages carry every peer's Done
		hn.Flush()
		px(0).Start(2, "c")
		hn.Flush()
		require.Equal(t, 1, px(1).Min(), "every peer called Done(0), and peer 1 has heard so")
		hn.Handle(learn[0]) // the announcement of instance 0, once more, late
		fate, _ := px(1).Status(0)
		require.Equal(t, Forgotten, fate, "instance 0 was forgotten at peer 1; a late announcement must not bring it back")
		require.Equal(t, 1, decisions[1][0], "a late announcement of a forgotten instance reported it decided again")
	})
}

// A Learn reply carries the replier's Done value, like every reply: the
// announcer merges it into what it knows of that peer. Peers 1 and 2 never
// call Done; peer 0 calls Done(0) and announces the decision of instance
// 1. Its Min must stay 0: peers 1 and 2 may still ask about instance 0.
func TestLearnReplyCarriesDone5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, _, _ := handSynods(t, 3)
		px(0).Start(0, "a")
		hn.Flush()
		px(0).Done(0)
		px(0).Start(1, "b")
		hn.Flush()
		require.Equal(t, 0, px(0).Min(), "peers 1 and 2 never called Done, yet peer 0's Min is %d after their answers to its announcement: an answer without its sender's Done value must not read as Done(0)", px(0).Min())
		fate, _ := px(0).Status(0)
		require.Equal(t, Decided, fate, "peer 0 forgot instance 0, which peers 1 and 2 are not done with")
	})
}

// Min never goes back, restarts included (issue 10: quantities that never
// go backwards). Peer 0 learns that peers 1 and 2 are done with 0..3 from
// their answers to its announcement of instance 4 (the reference reads the
// Done value every reply carries), and nothing else happens at peer 0
// before it crashes. Its next incarnation, built from
// what it saved, must have the Min it had: the Done values it heard go to
// stable storage with the instances they let it forget.
func TestMinSurvivesRestart5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, _, envs := handSynods(t, 3)
		for seq := 0; seq <= 3; seq++ {
			px(0).Start(seq, seq)
			hn.Flush()
		}
		px(0).Done(3)
		px(0).Start(4, 4)
		hn.Settle()
		prepareAndAccept(hn, 0, 1, 2)
		px(1).Done(3) // after their answers to phases 1 and 2
		px(2).Done(3)
		for _, p := range []int{1, 2} {
			hn.Exchange(0, p, "Learn") // the answers carry Done = 3
		}
		before := px(0).Min() // 4 in the reference, which reads the Done values on replies too

		restarted := MakeSynod(envs[0], envs[0].Persister(), nil) // peer 0 crashes now and restarts
		require.GreaterOrEqual(t, restarted.Min(), before, "peer 0's Min was %d before a crash and is %d after: it forgot instances without saving the Done values that let it (persist what heardDone changes)", before, restarted.Min())
	})
}

// A new leader accepts, in its own ballot, every value it adopted in phase
// 1, and counts its own acceptance toward choosing them: so it must have
// saved those acceptances first, as an acceptor saves any other. Here a
// value is chosen by the leader and one follower; the leader crashes, and
// its next incarnation must report that value to the next candidate, not
// the older one it had accepted before it led.
//
// Peer 0 leads in b1 and accepts A in slot 1, alone (its Accepts are lost).
// Peer 2 leads in b2 and accepts B in slot 1, alone. Peer 0 campaigns in b3
// with peer 2's promise, which reports B: it adopts B, and B is chosen in
// b3 by peers 0 and 2. Peer 0 crashes and restarts. Peer 1 campaigns in b4
// with the promise of peer 0 alone: if peer 0 had not saved B in b3, it
// would report A (b1), and A would be chosen in slot 1 too.
func TestLeaderSavesWhatItAdopts5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		chosen := map[int]any{}
		var envs [3]labrpc.Env
		boot := func(env labrpc.Env) *MultiPaxos {
			me := env.Me()
			envs[me] = env
			return Make(env, env.Persister(), func(m ApplyMsg) {
				if !m.CommandValid {
					return
				}
				if prev, ok := chosen[m.CommandIndex]; ok && prev != m.Command {
					t.Fatalf("slot %d: n%d applied %v, but %v was applied there before: two commands chosen for one slot, because a new leader counted its own acceptance of an adopted value before saving it, and a crash lost it", m.CommandIndex, me, m.Command, prev)
				}
				chosen[m.CommandIndex] = m.Command
			})
		}
		hn := tests.NewHandNet(t, 3, t.Seed, func(env labrpc.Env) any { return boot(env) })
		mp := func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }
		leads := leaderTest(mp)

		mp(0).campaign() // b1
		hn.Settle()
		hn.Exchange(0, 1, "Prepare")
		hn.LoseAll(0, 2, "Prepare")
		hn.Settle()
		require.True(t, leads(0))
		_, _, ok := mp(0).Start("A")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(0, 1, "Accept")
		hn.LoseAll(0, 2, "Accept")

		mp(2).campaign() // b2
		hn.Settle()
		hn.Exchange(2, 1, "Prepare")
		hn.Deliver(2, 0, "Prepare") // peer 0 hears of b2 and steps down; the reply is lost
		hn.LoseAll(2, 0, "Prepare")
		hn.Settle()
		require.True(t, leads(2))
		require.False(t, leads(0))
		_, _, ok = mp(2).Start("B")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(2, 0, "Accept")
		hn.LoseAll(2, 1, "Accept")

		mp(0).campaign() // b3
		hn.Settle()
		hn.Exchange(0, 2, "Prepare") // reports B in b2
		hn.LoseAll(0, 1, "Prepare")
		hn.Settle()
		require.True(t, leads(0), "peer 0 leads in b3 with peer 2's promise")
		hn.LoseAll(0, 1, "Accept")
		hn.ExchangeAll(0, 2, "Accept")
		require.Equal(t, "B", chosen[1], "B is chosen in slot 1 by peers 0 and 2, in b3")

		hn.Nodes[0] = boot(envs[0]) // peer 0 crashes and restarts from what it saved
		mp(1).campaign()            // b4
		hn.Settle()
		hn.Exchange(1, 0, "Prepare")
		hn.LoseAll(1, 2, "Prepare")
		hn.Settle()
		require.True(t, leads(1), "peer 1 leads in b4 with peer 0's promise")
		hn.ExchangeAll(1, 0, "Accept")
	})
}

// TestGroupOfOneRestartsMidCommand5B: a group of one peer crashes after
// Start saved a command and before the event that chooses it. Restarted,
// the peer leads again and proposes what it had accepted; being its own
// majority, it must choose it at once, and every slot after it too.
func TestGroupOfOneRestartsMidCommand5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 1})
		var mp *MultiPaxos
		applied := map[int]any{}
		w.Start(0, func(env labrpc.Env) any {
			mp = Make(env, env.Persister(), func(m ApplyMsg) {
				if m.CommandValid {
					applied[m.CommandIndex] = m.Command
				}
			})
			return mp
		})
		leads := func() bool { _, l := mp.GetState(); return l }
		require.True(t, w.WaitUntil(leads, 10*time.Millisecond, 5*time.Second), "a lone peer elects itself")
		index, _, ok := mp.Start(101)
		require.True(t, ok)
		w.Crash(0) // before the event that would choose slot index
		w.Restart(0)
		require.True(t, w.WaitUntil(leads, 10*time.Millisecond, 5*time.Second), "the restarted peer elects itself")
		next, _, ok := mp.Start(102)
		require.True(t, ok)
		require.True(t, w.WaitUntil(func() bool { return applied[next] != nil }, time.Millisecond, 2*time.Second),
			"a group of one peer restarted with slot %d accepted but not chosen, led again and started slot %d: neither is applied within 2 s (a new leader proposes what it adopted, and with one peer its own acceptance of each slot is a majority)", index, next)
		require.Equal(t, 101, applied[index], "the command accepted before the crash")
	})
}

// A reply that never came carries nothing: not the replier's Done value
// either. Peer 0 decides instance 0 and calls Done(0); peers 1 and 2
// never call Done. Then every Prepare and Accept peer 0 sends for
// instance 1 is lost: the callbacks run with empty replies, whose Done
// field is 0. Read as "peer 1 is done with 0", it would let peer 0 forget
// instance 0, which peers 1 and 2 may still ask about. The same for
// instance 2, whose Prepares are answered and whose Accepts are lost, and
// for instance 3, whose announcements are lost.
func TestLostRepliesCarryNoDone5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, _, _ := handSynods(t, 3)
		px(0).Start(0, "a")
		hn.Flush()
		px(0).Done(0)
		px(0).Start(1, "b")
		for round := 0; round < 5; round++ { // phase 1 and its retries, every message lost
			hn.Settle()
			for _, p := range []int{1, 2} {
				hn.LoseAll(0, p, "Prepare")
				hn.LoseAll(0, p, "Accept")
			}
			hn.Advance(retryPauseMax)
		}
		require.Equal(t, 0, px(0).Min(), "peers 1 and 2 never called Done and never answered, yet peer 0's Min is %d: a lost reply was read as the peer's Done value (merge Done only from replies that came)", px(0).Min())

		px(0).Start(2, "c")
		for round := 0; round < 5; round++ { // phase 1 answered, every Accept lost
			hn.Settle()
			for _, p := range []int{1, 2} {
				hn.ExchangeAll(0, p, "Prepare")
				hn.LoseAll(0, p, "Accept")
			}
			hn.Advance(retryPauseMax)
		}
		require.Equal(t, 0, px(0).Min(), "peers 1 and 2 never called Done, yet peer 0's Min is %d after its Accepts were lost: a lost reply was read as the peer's Done value", px(0).Min())

		px(0).Start(3, "d") // phases 1 and 2 answered, the announcements lost
		for round := 0; round < 5; round++ {
			hn.Settle()
			for _, p := range []int{1, 2} {
				hn.ExchangeAll(0, p, "Prepare")
				hn.ExchangeAll(0, p, "Accept")
				hn.LoseAll(0, p, "Learn")
			}
			hn.Advance(retryPauseMax)
		}
		fate, _ := px(0).Status(3)
		require.Equal(t, Decided, fate, "instance 3 is chosen")
		require.Equal(t, 0, px(0).Min(), "peers 1 and 2 never called Done, yet peer 0's Min is %d after its announcements were lost: a lost reply was read as the peer's Done value", px(0).Min())
	})
}

// TestReadWithFollowerDown6B: a read needs a majority, not everyone. Of
// three peers, peer 2 is down (every message to it is lost): the leader's
// read is confirmed by peer 1 and itself, and answered.
func TestReadWithFollowerDown6B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, mp, applied := handPaxos(t, 3)
		mp(0).campaign()
		hn.Settle()
		hn.Exchange(0, 1, "Prepare")
		hn.LoseAll(0, 2, "Prepare")
		hn.Settle()
		index, _, ok := mp(0).Start("A")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(0, 2, "Accept")
		hn.ExchangeAll(0, 1, "Accept")
		require.Equal(t, "A", applied[0][index])

		hn.Advance(time.Millisecond)
		var got []int
		mp(0).ReadIndex(func(i int, ok bool) {
			if ok {
				got = append(got, i)
			} else {
				got = append(got, -1)
			}
		})
		for step := 0; step < 10 && len(got) == 0; step++ {
			hn.Settle()
			hn.LoseAll(0, 2, "Accept")
			hn.ExchangeAll(0, 1, "Accept")
			hn.Advance(heartbeatInterval / 2)
		}
		require.Equal(t, []int{index}, got, "with peer 1 answering and peer 2 down, the leader and peer 1 are a majority of three: the read must be confirmed at index %d within a few heartbeats", index)
	})
}

// TestLoneReadTimesOut6B: a leader cut off from every other peer keeps
// its role (it hears no higher ballot), so its read can never be
// confirmed: after readTimeout it must fail, even when it is the only read
// waiting, so that the client tries elsewhere.
func TestLoneReadTimesOut6B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, mp, _ := handPaxos(t, 3)
		mp(0).campaign()
		hn.Flush()
		_, isLeader := mp(0).GetState()
		require.True(t, isLeader)

		hn.Advance(time.Millisecond)
		var answers []bool
		mp(0).ReadIndex(func(_ int, ok bool) { answers = append(answers, ok) })
		for elapsed := time.Duration(0); elapsed <= readTimeout+heartbeatInterval; elapsed += heartbeatInterval / 2 {
			for _, p := range []int{1, 2} {
				hn.LoseAll(0, p, "Accept") // cut off
			}
			hn.Advance(heartbeatInterval / 2)
		}
		require.Equal(t, []bool{false}, answers, "a read at a leader cut off from the majority must fail once it has waited readTimeout (%v)", readTimeout)
	})
}

// A peer that missed the decision of an instance, and the Done values that
// let the others forget it, may still propose for it: its Prepare, or its
// Accept, then reaches acceptors that have forgotten the instance. They
// must say so (Forgotten), not crash on the state they no longer have, and
// the proposer must stop.
//
// Peers 1 and 2 decide instances 0 and 1 without peer 0. Peer 0 calls
// Done(1) and says so to them; they call Done(1) too and tell each other,
// so both forget instances 0 and 1, but their answers never reach peer 0.
// Peer 0 then proposes for instance 0 (its Prepares reach acceptors that
// forgot it), and the Accepts it sent for instance 1, after a phase 1 run
// while they still remembered it, reach them only now.
func TestProposerOnForgottenInstance5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, _, _ := handSynods(t, 3)
		deafZero := func() { // nothing reaches peer 0
			for _, from := range []int{1, 2} {
				for _, m := range []string{"Prepare", "Accept", "Learn"} {
					hn.LoseAll(from, 0, m)
				}
			}
		}
		for seq := 0; seq <= 1; seq++ {
			px(1).Start(seq, fmt.Sprint("v", seq))
			for i := 0; i < 5; i++ {
				hn.Settle()
				deafZero()
				hn.ExchangeAll(1, 2, "Prepare")
				hn.ExchangeAll(1, 2, "Accept")
				hn.ExchangeAll(1, 2, "Learn")
			}
		}
		fate, _ := px(2).Status(1)
		require.Equal(t, Decided, fate, "peers 1 and 2 decide instance 1 without peer 0")

		px(0).Start(1, "late1") // phase 1 for instance 1, answered; nothing else
		for try := 0; try < 5 && len(hn.Matching(0, 1, "Accept", false)) == 0; try++ {
			hn.Settle()
			for _, p := range []int{1, 2} {
				hn.ExchangeAll(0, p, "Prepare") // they carry peer 0's Done: -1
			}
			hn.Settle()
			if len(hn.Matching(0, 1, "Accept", false)) == 0 {
				hn.Advance(retryPauseMax) // refused (a lower ballot): peer 0 tries again, higher
			}
		}
		accepts := [][]*tests.HandCall{hn.Matching(0, 1, "Accept", false), hn.Matching(0, 2, "Accept", false)}
		require.NotEmpty(t, accepts[0], "peer 0 has a majority of promises for instance 1 and sends Accepts")

		px(0).Done(1)
		px(0).Start(5, "five") // its Prepares carry Done = 1; the answers are lost
		hn.Settle()
		for _, p := range []int{1, 2} {
			hn.Deliver(0, p, "Prepare")
			hn.Lose(0, p, "Prepare", true)
		}
		px(1).Done(1)
		px(2).Done(1)
		px(1).Start(6, "six") // peers 1 and 2 tell each other their Done values
		for i := 0; i < 5; i++ {
			hn.Settle()
			deafZero()
			hn.ExchangeAll(1, 2, "Prepare")
			hn.ExchangeAll(1, 2, "Accept")
			hn.ExchangeAll(1, 2, "Learn")
			hn.LoseAll(0, 1, "Prepare")
			hn.LoseAll(0, 2, "Prepare")
		}
		require.Equal(t, 2, px(1).Min(), "peer 1 has forgotten instances 0 and 1")
		require.Equal(t, 2, px(2).Min(), "peer 2 has forgotten instances 0 and 1")
		require.Equal(t, 0, px(0).Min(), "peer 0 has not heard their Done values")

		px(0).Start(0, "late0") // a Prepare for instance 0, which both acceptors forgot
		hn.Settle()
		for _, p := range []int{1, 2} {
			hn.ExchangeAll(0, p, "Prepare")
		}
		for i := range accepts { // instance 1's Accepts, to peers 1 and 2, after the forgetting
			for _, c := range accepts[i] {
				hn.Handle(c)
				hn.Reply(c)
			}
		}
		hn.Settle()
		for _, p := range []int{1, 2} {
			hn.ExchangeAll(0, p, "Prepare")
			hn.ExchangeAll(0, p, "Accept")
		}
		hn.Settle()
		for seq := 0; seq <= 1; seq++ {
			fate, _ := px(0).Status(seq)
			require.NotEqual(t, Decided, fate, "instance %d: peer 0 decided a value of its own although every acceptor had forgotten the instance", seq)
		}
	})
}

// TestMaxCountsDoneValues5A: Max is the highest instance this peer has
// heard of, whatever told it. Peer 2 misses instances 0 to 3; peer 0 calls
// Done(3). Peer 2 then proposes for instance 0, and peer 0's answer says
// it is done with 3: instance 3 exists, and peer 2's Max must say so.
func TestMaxCountsDoneValues5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, _, _ := handSynods(t, 3)
		for seq := 0; seq <= 3; seq++ {
			px(0).Start(seq, seq)
			for i := 0; i < 5; i++ {
				hn.Settle()
				for _, m := range []string{"Prepare", "Accept", "Learn"} {
					hn.LoseAll(0, 2, m)
					hn.ExchangeAll(0, 1, m)
				}
			}
		}
		require.Equal(t, -1, px(2).Max(), "peer 2 heard nothing")
		px(0).Done(3)
		px(2).Start(0, "x")
		hn.Settle()
		hn.Exchange(2, 0, "Prepare") // the answer carries Done = 3
		require.GreaterOrEqual(t, px(2).Max(), 3, "peer 0 told peer 2 it is done with instances up to 3, so peer 2 has heard of instance 3: Max is the highest instance heard of")
	})
}

// TestSnapshotInstallKeepsLeader5B: a follower that missed slots the
// leader has compacted gets the leader's snapshot. Its answer, accepting
// the leader's ballot, is good news: the leader must keep leading, in the
// same ballot, not step down as if outbid (each catch-up would cost an
// election).
func TestSnapshotInstallKeepsLeader5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn := tests.NewHandNet(t, 3, t.Seed, func(env labrpc.Env) any {
			var mp *MultiPaxos
			mp = Make(env, env.Persister(), func(m ApplyMsg) {
				if m.CommandValid {
					mp.Snapshot(m.CommandIndex, []byte(fmt.Sprint(m.Command))) // the service snapshots after every command
				}
			})
			return mp
		})
		mp := func(i int) *MultiPaxos { return hn.Nodes[i].(*MultiPaxos) }
		mp(0).campaign()
		hn.Flush()
		ballot, isLeader := mp(0).GetState()
		require.True(t, isLeader)
		for c := 1; c <= 3; c++ { // peer 2 hears nothing of these
			_, _, ok := mp(0).Start(c)
			require.True(t, ok)
			for i := 0; i < 3; i++ {
				hn.Settle()
				hn.LoseAll(0, 2, "Accept")
				hn.ExchangeAll(0, 1, "Accept")
			}
		}
		for i := 0; i < 10 && len(hn.Matching(0, 2, "InstallSnapshot", false)) == 0; i++ {
			hn.ExchangeAll(0, 2, "Accept") // peer 2 answers; the leader learns it is behind
			hn.ExchangeAll(0, 1, "Accept")
			hn.Advance(heartbeatInterval / 2)
		}
		require.NotEmpty(t, hn.Matching(0, 2, "InstallSnapshot", false), "the leader sends its snapshot to peer 2, which is behind it")
		hn.ExchangeAll(0, 2, "InstallSnapshot")
		now, isLeader := mp(0).GetState()
		require.True(t, isLeader && now == ballot, "peer 2 installed the leader's snapshot and accepted its ballot (%d), yet the leader now says ballot %d, leader %v: an accepted snapshot is no reason to step down", ballot, now, isLeader)
	})
}

// prepareAndAccept delivers from's Prepare to each peer of to and their
// answers, then its Accept the same way: one full round of instance
// proposals on the hand-driven network.
func prepareAndAccept(hn *tests.HandNet, from int, to ...int) {
	for _, phase := range []string{"Prepare", "Accept"} {
		for _, p := range to {
			hn.Exchange(from, p, phase)
		}
		hn.Settle()
	}
}

// A proposer's retry waits out a random pause; when it fires, its instance
// may be gone: every peer called Done for it and this peer forgot it. The
// retry must see that and stop, not reach into the instance it no longer
// has (issue 10: an event that arrives after its instance moved on).
//
// Peer 0 proposes for instance 0; its Prepares are lost, so it schedules a
// retry. Before the pause ends, every peer calls Done(0), and peers 1 and 2
// tell peer 0 so with the Prepares of instances 1 and 2: peer 0 forgets
// instance 0. Then the retry fires.
func TestRetryAfterForgotten5A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, px, _, _ := handSynods(t, 3)
		px(0).Start(0, "zero")
		hn.Settle()
		for _, p := range []int{1, 2} {
			hn.LoseAll(0, p, "Prepare") // a majority refuses: peer 0 retries after a pause
		}
		for i := range 3 {
			px(i).Done(0)
		}
		for _, p := range []int{1, 2} {
			px(p).Start(p, fmt.Sprint("v", p)) // its Prepares carry Done = 0
			hn.Settle()
			hn.ExchangeAll(p, 0, "Prepare")
		}
		require.Equal(t, 1, px(0).Min(), "peer 0 has forgotten instance 0 before its retry")
		hn.Advance(retryPauseMax) // the retry fires on a forgotten instance
		fate, _ := px(0).Status(0)
		require.Equal(t, Forgotten, fate, "instance 0 stays forgotten at peer 0")
	})
}

// A leader's heartbeat loop belongs to its ballot: once the peer steps down
// it must stop, and above all it must not go on after the peer campaigns
// again, when it would send Accepts in the new ballot before any phase 1 of
// that ballot has learned what was chosen (issue 10: an event that arrives
// after its sender moved on, the same peer campaigning again).
//
// Peer 0 leads in b1 and accepts Y in slot 1, but its Accepts are lost.
// Peer 1 wins b2 with peer 2's promise and gets V chosen in slot 1 (peer 0
// hears nothing of it). Peer 0's next heartbeat is refused by peer 2, and
// it steps down; then it campaigns in b3, and peer 1 promises b3. If peer
// 0's old heartbeat loop still ran, it would send peer 1 an Accept of b3
// for Y in slot 1; peer 1 would take it over V, and peer 2, campaigning in
// b4 with peer 1's promise, would adopt Y from it (the highest ballot
// reported): a second command chosen in slot 1.
func TestHeartbeatStopsAtStepDown5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, mp, applied := handPaxos(t, 3)
		checkOneCommandPerSlot(t, hn, applied, "because a deposed leader's heartbeat loop went on and sent Accepts in its new ballot before its phase 1 (Paxos Made Simple §2.2)")
		leads := leaderTest(mp)

		mp(0).campaign() // b1
		hn.Flush()
		require.True(t, leads(0), "peer 0 leads in b1")
		_, _, ok := mp(0).Start("Y")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(0, 1, "Accept") // Y stays at peer 0 alone
		hn.LoseAll(0, 2, "Accept")

		mp(1).campaign() // b2
		hn.Settle()
		hn.LoseAll(1, 0, "Prepare")
		hn.Exchange(1, 2, "Prepare")
		hn.Settle()
		require.True(t, leads(1), "peer 1 leads in b2 with peer 2's promise")
		_, _, ok = mp(1).Start("V")
		require.True(t, ok)
		hn.Settle()
		hn.LoseAll(1, 0, "Accept")
		hn.ExchangeAll(1, 2, "Accept")
		require.Equal(t, "V", applied[1][1], "V is chosen in slot 1 by peers 1 and 2")

		for try := 0; try < 10 && leads(0); try++ { // peer 0's heartbeats reach peer 2, which refuses b1
			hn.Advance(heartbeatInterval / 2)
			hn.LoseAll(0, 1, "Accept")
			hn.ExchangeAll(0, 2, "Accept")
			hn.LoseAll(1, 0, "Accept")
			hn.LoseAll(1, 2, "Accept") // peer 2 does not learn that slot 1 is chosen
		}
		require.False(t, leads(0), "peer 0 stepped down on peer 2's refusal")

		mp(0).campaign() // b3
		hn.Settle()
		hn.LoseAll(0, 2, "Prepare")
		hn.Deliver(0, 1, "Prepare") // peer 1 promises b3; its answer waits
		for i := 0; i < 4; i++ {
			hn.Advance(heartbeatInterval / 2)
			hn.ExchangeAll(0, 1, "Accept") // a heartbeat loop left over from b1 would send them
			hn.LoseAll(0, 2, "Accept")
			hn.LoseAll(1, 0, "Accept")
			hn.LoseAll(1, 2, "Accept")
		}
		hn.Lose(0, 1, "Prepare", true) // peer 0 never leads in b3

		mp(2).campaign() // b4
		hn.Settle()
		hn.LoseAll(2, 0, "Prepare")
		hn.Exchange(2, 1, "Prepare")
		hn.Settle()
		require.True(t, leads(2), "peer 2 leads in b4 with peer 1's promise")
		hn.LoseAll(2, 0, "Accept")
		hn.ExchangeAll(2, 1, "Accept")
		hn.Settle()
		require.Equal(t, "V", applied[2][1], "peer 2 applies V in slot 1, the command chosen there in b2")
	})
}

// checkOneCommandPerSlot fails the test as soon as two peers have applied
// different commands in one slot (state-machine safety); why names the bug
// the test is written for.
func checkOneCommandPerSlot(t *tests.T, hn *tests.HandNet, applied []map[int]any, why string) {
	chosen := map[int]any{}
	hn.Check = func() {
		for i := range applied {
			for slot, cmd := range applied[i] {
				if prev, ok := chosen[slot]; ok && prev != cmd {
					t.Fatalf("slot %d: n%d applied %v, but %v was applied there before: two commands chosen for one slot, %s", slot, i, cmd, prev, why)
				}
				chosen[slot] = cmd
			}
		}
	}
}

// leaderTest reports, for a peer of a hand-driven group, whether it
// believes it leads.
func leaderTest(mp func(i int) *MultiPaxos) func(i int) bool {
	return func(i int) bool { _, isLeader := mp(i).GetState(); return isLeader }
}
