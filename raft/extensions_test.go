package raft

import (
	"fmt"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"protolab/tests"
)

// Part 4E: beyond the basic protocol. PreVote and the leader lease (thesis
// §9.6, §4.2.3), CheckQuorum (§6.2), ReadIndex reads (§6.4) and leadership
// transfer (§3.10).

// A follower cut off for seconds times out again and again. With PreVote its
// term does not grow, and when it comes back it does not depose the leader.
// Then it hears no requests for two seconds (a link that works one way): it
// keeps timing out and asking for pre-votes, which the others, who hear from
// the leader, refuse (the leader lease), though its log is as up to date as
// theirs.
func TestPreVoteRejoin4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		expectUndisturbed := func(what string) {
			c.t.Helper()
			if now := c.CheckOneLeader(); now != leader {
				c.Fatalf("%s, n%d leads instead of the healthy leader n%d", what, now, leader)
			}
			if lt, _ := c.peers[leader].GetState(); lt != term {
				c.Fatalf("%s, the leader's term moved from %d to %d: a peer that heard from a leader lately refuses pre-votes (thesis §9.6, §4.2.3)", what, term, lt)
			}
		}

		f := (leader + 1) % n
		c.w.Note("follower n%d is cut off for 5s", f)
		c.Disconnect(f)
		c.w.Sleep(5 * time.Second)
		if ft, _ := c.peers[f].GetState(); ft != term {
			c.Fatalf("n%d, cut off from everyone, moved from term %d to %d: with PreVote a peer that cannot win raises no term (thesis §9.6)", f, term, ft)
		}

		c.w.Note("n%d rejoins", f)
		c.Connect(f)
		c.w.Sleep(2 * time.Second)
		expectUndisturbed(fmt.Sprintf("after n%d rejoined", f))

		c.w.Note("n%d hears no requests for 2s, but its own reach the others", f)
		c.w.Deafen(f)
		c.w.Sleep(2 * time.Second)
		expectUndisturbed(fmt.Sprintf("while n%d could not hear the leader", f))
		c.w.Undeafen(f)
		c.One(2, n, true)
	})
}

// A vote request for a newer term does not reach a peer that heard from its
// leader lately (the lease of thesis §4.2.3): it keeps its term and its leader.
func TestLeaderLease4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(1, 3, false)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		follower := (leader + 1) % 3

		r := c.fake().requestVote(follower, RequestVoteArgs{Term: term + 1, CandidateId: (leader + 2) % 3, LastLogIndex: 100, LastLogTerm: term})
		if r.VoteGranted {
			c.Fatalf("n%d voted in term %d while its leader n%d is alive: a peer in a leader's lease ignores vote requests (thesis §4.2.3)", follower, term+1, leader)
		}
		c.w.Sleep(time.Second)
		if lt, isLeader := c.peers[leader].GetState(); !isLeader || lt != term {
			c.Fatalf("a vote request for term %d to n%d deposed the healthy leader n%d", term+1, follower, leader)
		}
	})
}

// A leader cut off from the majority steps down within an election timeout
// (CheckQuorum, thesis §6.2), and the majority elects a new one.
func TestCheckQuorum4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		for round := 0; round < 3; round++ {
			c.One(round, n, true)
			leader := c.CheckOneLeader()
			buddy := (leader + 1) % n
			var rest []int
			for i := 0; i < n; i++ {
				if i != leader && i != buddy {
					rest = append(rest, i)
				}
			}
			c.w.Note("round %d: leader n%d and n%d are cut off from the majority", round, leader, buddy)
			c.w.Partition([]int{leader, buddy}, rest)
			t0 := c.w.Now()
			stepped := c.w.WaitUntil(func() bool { _, isLeader := c.peers[leader].GetState(); return !isLeader }, time.Millisecond, 2*time.Second)
			took := c.w.Now() - t0
			if !stepped {
				c.Fatalf("the leader n%d, cut off from the majority, still leads 2s later: step down when a majority has not answered within an election timeout (CheckQuorum, thesis §6.2)", leader)
			}
			if took > electionTimeoutMax {
				c.Fatalf("the leader n%d stepped down %v after it was cut off from the majority; at most an election timeout (%v)", leader, took, electionTimeoutMax)
			}
			t.Logf("round %d: the cut-off leader stepped down after %v", round, took)
			c.w.Heal()
		}
		c.One(100, n, true)
	})
}

// A ReadIndex read is served by the leader after one round of heartbeats,
// writes no log entry, and returns the commit index; a follower refuses it.
func TestReadIndex4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		for k := 1; k <= 5; k++ {
			c.One(k, n, false)
		}
		leader := c.CheckOneLeader()
		rf := c.peers[leader]
		last := rf.log.lastIndex()
		rpcs := c.rpcs()

		index, ok, done := c.readIndex(leader)
		if !done || !ok {
			c.Fatalf("the leader n%d did not serve a ReadIndex read within a second (done=%v ok=%v)", leader, done, ok)
		}
		if index != 5 {
			c.Fatalf("ReadIndex returned index %d; the commit index is 5", index)
		}
		if rf.log.lastIndex() != last {
			c.Fatalf("ReadIndex wrote to the log (its last index went from %d to %d); a read needs no entry (thesis §6.4)", last, rf.log.lastIndex())
		}
		if used := c.rpcs() - rpcs; used > 2*(n-1) {
			c.Fatalf("a ReadIndex read took %d RPCs; one round of heartbeats is %d", used, n-1)
		}
		if _, ok, done := c.readIndex((leader + 1) % n); !done || ok {
			c.Fatalf("the follower n%d served a ReadIndex read (or never answered): only the leader may", (leader+1)%n)
		}

		c.w.Note("a new leader has committed nothing of its term yet: it cannot know the commit index")
		c.Crash(leader)
		leader2 := c.CheckOneLeader()
		if _, ok, done := c.readIndex(leader2); !done || ok {
			c.Fatalf("the new leader n%d served a read before committing an entry of its term: its commitIndex may be behind (thesis §6.4, step 1)", leader2)
		}
		c.One(6, n-1, false)
		if index, ok, _ := c.readIndex(leader2); !ok || index != 6 {
			c.Fatalf("after committing index 6 in its term, the leader n%d answered ReadIndex with (%d, %v)", leader2, index, ok)
		}
	})
}

// readIndex calls ReadIndex on peer i and waits up to a second for done.
func (c *cluster) readIndex(i int) (index int, ok, done bool) {
	c.raft(i).ReadIndex(func(idx int, k bool) { index, ok, done = idx, k, true })
	c.w.WaitUntil(func() bool { return done }, time.Millisecond, time.Second)
	return
}

// A leader cut off from the others must not serve a read: a new leader may
// already have committed a write it has not seen. Its read waits for a
// majority that never answers, and fails when it steps down.
func TestReadIndexStaleLeader4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		old := c.CheckOneLeader()
		if _, ok, _ := c.readIndex(old); !ok {
			c.Fatalf("the leader n%d of a healthy cluster did not serve a ReadIndex read", old)
		}

		c.w.Note("the leader n%d is cut off, and is asked for a read", old)
		c.Disconnect(old)
		var ok, done bool
		c.peers[old].ReadIndex(func(_ int, k bool) {
			ok, done = k, true
			if k {
				c.w.Fail(fmt.Errorf("the cut-off leader n%d served a ReadIndex read without hearing from a majority: a read must wait until the leader confirms it still leads (thesis §6.4)", old))
			}
		})
		c.One(2, n-1, true) // the others elect a new leader and commit a write
		c.w.Sleep(electionTimeoutMax)
		if !done || ok {
			c.Fatalf("the cut-off leader's read had not failed %v after it lost its office (done=%v ok=%v): fail pending reads when stepping down", electionTimeoutMax, done, ok)
		}
		c.Connect(old)
		c.One(3, n, true)
	})
}

// Reads through ReadIndex and writes through Start, by three clients, under
// partitions and message loss, are linearizable (checked with porcupine).
func TestReadIndexLinearizable4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{profile: "unreliable"})
		c.One(0, n, true)
		h := tests.NewHistory(c.w)
		stop := false
		for client := 0; client < 3; client++ {
			c.w.Go(fmt.Sprintf("client%d", client), func() {
				rng := c.w.Rand()
				for !stop {
					if rng.IntN(2) == 0 {
						x := 1 + rng.IntN(1_000_000)
						op := h.Begin(client, regInput{Write: true, Value: x})
						if out, known := c.regWrite(x); known {
							op.End(out)
						}
					} else {
						op := h.Begin(client, regInput{})
						if out, known := c.regRead(); known {
							op.End(out)
						}
					}
					c.w.Sleep(time.Duration(rng.IntN(50)) * time.Millisecond)
				}
			})
		}
		tests.Nemesis{Nodes: []int{0, 1, 2, 3, 4}, Every: 400 * time.Millisecond, For: 6 * time.Second, Partitions: true}.Start(c.w)
		c.w.Sleep(7 * time.Second)
		stop = true
		if !c.w.RunUntilDone(10 * time.Second) {
			c.Fatalf("the clients did not finish")
		}
		reads := 0
		for _, op := range h.Operations() {
			if out, ok := op.Output.(regOutput); ok && !op.Input.(regInput).Write && !out.Failed {
				reads++
			}
		}
		t.Logf("%d operations, %d reads served", h.Len(), reads)
		if reads < 10 {
			c.Fatalf("only %d reads were served through ReadIndex in 7s", reads)
		}
		tests.CheckLinearizable(t, regModel, h, 10*time.Second)
	})
}

// The register the linearizability test runs: a write sets it, a read
// returns it.

type regInput struct {
	Write bool
	Value int
}

type regOutput struct {
	Value  int
	Failed bool // a write that did not take effect
}

var regModel = (&porcupine.NondeterministicModel{
	Init: func() []any { return []any{0} },
	Step: func(state, input, output any) []any {
		s, in := state.(int), input.(regInput)
		out, answered := output.(regOutput)
		switch {
		case !answered && in.Write: // no answer: it may or may not have taken effect
			return []any{s, in.Value}
		case !answered:
			return []any{s}
		case in.Write && out.Failed:
			return []any{s}
		case in.Write:
			return []any{in.Value}
		case out.Value == s:
			return []any{s}
		default:
			return nil
		}
	},
	DescribeOperation: func(input, output any) string {
		in := input.(regInput)
		out, _ := output.(regOutput)
		if in.Write {
			return fmt.Sprintf("write(%d) failed=%v", in.Value, out.Failed)
		}
		return fmt.Sprintf("read() → %d", out.Value)
	},
}).ToModel()

// regWrite writes x through whichever peer leads; known is false if the
// client could not tell whether the write took effect.
func (c *cluster) regWrite(x int) (out regOutput, known bool) {
	for try := 0; try < 20; try++ {
		for i := 0; i < c.n; i++ {
			rf := c.raft(i)
			if rf == nil {
				continue
			}
			index, _, ok := rf.Start(x)
			if !ok {
				continue
			}
			for wait := 0; wait < 50; wait++ {
				if nd, cmd := c.NCommitted(index); nd > 0 {
					// x is only ever at this index: if another command
					// committed there, x never will.
					return regOutput{Failed: cmd != x}, true
				}
				c.w.Sleep(20 * time.Millisecond)
			}
			return regOutput{}, false
		}
		c.w.Sleep(50 * time.Millisecond)
	}
	return regOutput{Failed: true}, true // no peer took it
}

// regRead reads through ReadIndex on whichever peer leads: the register's
// value is the command at the read index (every command is a write).
func (c *cluster) regRead() (out regOutput, known bool) {
	for try := 0; try < 20; try++ {
		for i := 0; i < c.n; i++ {
			rf := c.raft(i)
			if rf == nil {
				continue
			}
			if _, isLeader := rf.GetState(); !isLeader {
				continue
			}
			var index int
			var ok, done bool
			rf.ReadIndex(func(idx int, k bool) { index, ok, done = idx, k, true })
			c.w.WaitUntil(func() bool { return done }, 5*time.Millisecond, 2*time.Second)
			if done && ok {
				if c.Applied(i) < index {
					c.w.Fail(fmt.Errorf("n%d confirmed read index %d but has applied only up to %d", i, index, c.Applied(i)))
				}
				return regOutput{Value: c.CommandAt(index).(int)}, true
			}
		}
		c.w.Sleep(50 * time.Millisecond)
	}
	return regOutput{}, false
}

// Leadership transfer to a named peer: the target leads within a few round
// trips, which no election by time-out could do, and commands commit again.
func TestLeadershipTransfer4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 5
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		for round := 0; round < 4; round++ {
			leader := c.CheckOneLeader()
			term, _ := c.peers[leader].GetState()
			target := (leader + 2) % n
			if round%2 == 1 {
				c.w.Note("round %d: n%d falls behind by 20 entries first", round, target)
				c.Disconnect(target)
				for k := 0; k < 20; k++ {
					c.One(1000*round+k, n-1, false)
				}
				c.Connect(target)
			}
			c.w.Note("round %d: n%d hands over to n%d", round, leader, target)
			t0 := c.w.Now()
			if !c.peers[leader].TransferLeadership(target) {
				c.Fatalf("the leader n%d refused to transfer leadership to n%d", leader, target)
			}
			if _, _, ok := c.peers[leader].Start(-1); ok {
				c.Fatalf("the leader n%d took a command during a transfer; it should stop taking them (thesis §3.10)", leader)
			}
			ok := c.w.WaitUntil(func() bool { _, isLeader := c.peers[target].GetState(); return isLeader }, time.Millisecond, time.Second)
			if !ok {
				c.Fatalf("n%d did not become leader within 1s of the transfer", target)
			}
			took := c.w.Now() - t0
			t.Logf("round %d: n%d leads %v after the transfer began", round, target, took)
			if took >= electionTimeoutMin {
				c.Fatalf("the transfer to n%d took %v: as long as an election by time-out; the target should start its election at once (TimeoutNow)", target, took)
			}
			if nt, _ := c.peers[target].GetState(); nt <= term {
				c.Fatalf("the new leader n%d is in term %d, not past %d", target, nt, term)
			}
			c.One(100+round, n, true)
		}
	})
}

// A transfer to a peer that is down is abandoned after an election timeout,
// and the leader takes commands again.
func TestLeadershipTransferAbandoned4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		leader := c.CheckOneLeader()
		target := (leader + 1) % n
		c.Crash(target)
		if !c.peers[leader].TransferLeadership(target) {
			c.Fatalf("the leader refused to begin a transfer")
		}
		c.w.Sleep(electionTimeoutMax)
		if _, isLeader := c.peers[leader].GetState(); !isLeader {
			c.Fatalf("the leader n%d lost its office to a transfer to the crashed n%d", leader, target)
		}
		if _, _, ok := c.peers[leader].Start(2); !ok {
			c.Fatalf("the leader n%d still refuses commands %v after a transfer to a crashed peer began: abandon it after an election timeout", leader, electionTimeoutMax)
		}
		c.Start(target)
		c.One(3, n, true)
	})
}
