package raft

import (
	"testing"
	"time"

	"protolab/tests"
)

// Scenarios for bugs the full mutation run let through (issue 10; the
// triage is in docs/mutation.md, "Lab 4: raft"). Each is the situation a
// learner's bug would meet.

// A candidate saves its new term and its vote for itself before its
// RequestVotes leave (Figure 2: persistent state is updated on stable storage
// before responding to RPCs, and a request counts as a response here). One
// that crashes right after starting its election, and comes back, must not
// vote for a rival in the term it already voted in: with a rival's vote from
// it, two leaders of that term could be elected (election safety, §5.2).
func TestCandidateCrashKeepsVote4C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		c.w.Note("the leader n%d crashes", leader)
		c.Crash(leader)

		// The first peer seen in a newer term raised it itself, as a
		// candidate: polled every 100µs, it is seen before any message (which
		// takes 1ms at least) could carry the term to anyone.
		cand, cterm := -1, 0
		found := c.w.WaitUntil(func() bool {
			for i := 0; i < n; i++ {
				if i == leader {
					continue
				}
				if it, _ := c.peers[i].GetState(); it > term {
					cand, cterm = i, it
					return true
				}
			}
			return false
		}, 100*time.Microsecond, 5*time.Second)
		if !found {
			c.Fatalf("no peer started an election within 5s of the leader n%d's crash", leader)
		}
		rival := 3 - leader - cand
		c.w.Note("n%d, candidate in term %d, crashes at once and restarts", cand, cterm)
		c.Crash(cand)
		c.Start(cand)
		r := c.fake().requestVote(cand, RequestVoteArgs{Term: cterm, CandidateId: rival, LastLogIndex: 1000, LastLogTerm: cterm})
		if r.VoteGranted {
			c.Fatalf("n%d voted for itself in term %d, crashed and came back, and then voted for n%d in the same term: save currentTerm and votedFor when becoming a candidate, before the RequestVotes leave (Figure 2; election safety, §5.2)", cand, cterm, rival)
		}
		c.One(2, n-1, true)
		c.Start(leader)
		c.One(3, n, true)
	})
}

// A follower that cannot hear its leader (a one-way link: its requests and
// the replies to them pass, nothing reaches it) keeps timing out. The others
// hear from the leader and refuse its pre-votes (the lease of thesis §4.2.3),
// so its term must not grow (thesis §9.6); when the link heals, the leader
// it could not hear keeps its office.
func TestPreVoteDeafFollower4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		f := (leader + 1) % n
		c.w.Note("n%d hears no requests for 2s; its own, and the replies to them, pass", f)
		c.w.Deafen(f)
		c.w.Sleep(2 * time.Second)
		ft, _ := c.peers[f].GetState()
		c.w.Undeafen(f)
		if ft != term {
			c.Fatalf("n%d, which could not hear the leader while the others could, moved from term %d to %d: count only granted pre-votes, and grant none while a leader was heard within the minimum election timeout (thesis §9.6, §4.2.3)", f, term, ft)
		}
		c.w.Sleep(time.Second)
		if now := c.CheckOneLeader(); now != leader {
			c.Fatalf("after n%d could hear again, n%d leads instead of the healthy leader n%d", f, now, leader)
		}
		if lt, _ := c.peers[leader].GetState(); lt != term {
			c.Fatalf("after n%d could hear again, the leader's term moved from %d to %d", f, term, lt)
		}
		c.One(2, n, true)
	})
}

// A leader hands over to a peer, which later hands back. Leading again, the
// first leader takes commands: the transfer it made in an earlier term is
// over (thesis §3.10), and a leader that steps down forgets it.
func TestTransferThereAndBack4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		a := c.CheckOneLeader()
		b := (a + 1) % n
		c.transferTo(a, b)
		c.One(2, n, true)
		c.transferTo(b, a)
		if _, _, ok := c.peers[a].Start(3); !ok {
			c.Fatalf("n%d leads again but refuses commands: the transfer it made to n%d in an earlier term still holds it; a leader that steps down forgets its transfer (thesis §3.10)", a, b)
		}
		c.One(4, n, true)
		if !c.peers[a].TransferLeadership(b) {
			c.Fatalf("n%d, leading again, refuses a new transfer to n%d", a, b)
		}
		c.One(5, n, true)
	})
}

// transferTo has leader from hand over to target and waits (1s) until target
// leads.
func (c *cluster) transferTo(from, to int) {
	c.t.Helper()
	c.w.Note("n%d hands over to n%d", from, to)
	if !c.peers[from].TransferLeadership(to) {
		c.Fatalf("the leader n%d refused to transfer leadership to n%d", from, to)
	}
	if !c.w.WaitUntil(func() bool { _, isLeader := c.peers[to].GetState(); return isLeader }, time.Millisecond, time.Second) {
		c.Fatalf("n%d did not become leader within 1s of a transfer to it", to)
	}
}

// A read that failed when its leader lost office stays failed: each ReadIndex
// is answered once. Here the leader is cut off with a read pending, steps
// down (the read fails), comes back and is made leader again by a transfer;
// its first confirmed round of heartbeats must not answer the old read again,
// as a success with an index from before the writes committed meanwhile.
func TestReadIndexAnsweredOnce4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		old := c.CheckOneLeader()
		c.w.Note("the leader n%d is cut off, and is asked for a read", old)
		c.Disconnect(old)
		answers := 0
		c.peers[old].ReadIndex(func(index int, ok bool) {
			answers++
			c.w.Note("n%d answered the read: (%d, %v), answer %d", old, index, ok, answers)
		})
		c.One(2, n-1, true)
		c.w.Sleep(electionTimeoutMax)
		if answers != 1 {
			c.Fatalf("the cut-off leader n%d answered its pending read %d times %v after it lost its office; once (a failure) expected", old, answers, electionTimeoutMax)
		}
		c.Connect(old)
		c.One(3, n, true)
		if now := c.CheckOneLeader(); now != old {
			c.transferTo(now, old)
		}
		c.One(4, n, true)
		c.w.Sleep(time.Second)
		if answers != 1 {
			c.Fatalf("n%d answered a read %d times: leading again, it answered the read that had failed when it stepped down; forget the pending reads when stepping down", old, answers)
		}
	})
}

// Vote requests that arrive after their election is over: a network that
// delays and duplicates messages delivers a losing candidate's RequestVote
// late. Figure 2's receiver refuses one of an older term (rule 1: "Reply
// false if term < currentTerm"), and only a newer term makes a peer step
// down ("All servers"). A request of the leader's own term is refused, since
// it voted for itself, and the leader keeps its office; a follower asked in
// an older term keeps its vote of its own term for a candidate of that term.
func TestLateVoteRequests4A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		first := c.CheckOneLeader()
		c.w.Note("the first leader n%d is cut off, so that a later term has a leader", first)
		c.Disconnect(first)
		c.CheckOneLeader()
		c.Connect(first)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		f := (leader + 1) % n
		inTerm := c.w.WaitUntil(func() bool { ft, _ := c.peers[f].GetState(); return ft == term }, time.Millisecond, time.Second)
		if !inTerm {
			c.Fatalf("n%d did not reach the leader n%d's term %d within 1s", f, leader, term)
		}

		c.w.Note("the leader n%d gets a RequestVote of its own term %d from n%d, delayed", leader, term, f)
		r := c.fake().requestVote(leader, RequestVoteArgs{Term: term, CandidateId: f, LastLogIndex: 1000, LastLogTerm: term})
		if r.VoteGranted {
			c.Fatalf("the leader n%d of term %d voted for n%d in that same term", leader, term, f)
		}
		if lt, isLeader := c.peers[leader].GetState(); !isLeader || lt != term {
			c.Fatalf("a late RequestVote of term %d, the leader's own, made the leader n%d step down (now term %d, leader %v): only a newer term does (Figure 2, \"All servers\")", term, leader, lt, isLeader)
		}

		// The leader's own request of term-1 (it may have run then and lost),
		// delayed: the follower must refuse it, whatever its vote of term.
		c.w.Note("follower n%d gets n%d's RequestVote of the older term %d, delayed", f, leader, term-1)
		r = c.fake().requestVote(f, RequestVoteArgs{Term: term - 1, CandidateId: leader, LastLogIndex: 1000, LastLogTerm: term - 1})
		if r.VoteGranted {
			c.Fatalf("n%d, in term %d, granted a vote for the older term %d: reply false if term < currentTerm (Figure 2, RequestVote rule 1)", f, term, term-1)
		}
		c.w.Sleep(time.Second)
		if now := c.CheckOneLeader(); now != leader {
			c.Fatalf("after two late vote requests, n%d leads instead of n%d", now, leader)
		}
	})
}

// A pre-vote campaign ends when a leader is heard (thesis §9.6): a grant
// that arrives after that is stale. The test plays n0, the leader of term 1,
// towards n1 and n2. n2 stops hearing from it (its duplicate RequestVotes of
// term 1 keep n2's timer from firing, not its lease), so n2 would vote again;
// n1 hears from it until n1's own timer fires. Just as n1 asks for
// pre-votes, the leader reaches it again, and n2's grant, on a slow link,
// comes after: n1 must not start an election, since its leader is alive.
func TestPreVoteGrantAfterLeaderHeard4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, leader, f, g = 3, 0, 1, 2
		c := newCluster(t, n, clusterConfig{only: []int{f, g}})
		fk := c.fake()
		heartbeat := func(to int) {
			if r := fk.appendEntries(to, AppendEntriesArgs{Term: 1, LeaderId: leader}); !r.Success {
				c.Fatalf("n%d refused an AppendEntries of term 1 from n%d (term %d)", to, leader, r.Term)
			}
		}
		keepTimer := func(to int) {
			if r := fk.requestVote(to, RequestVoteArgs{Term: 1, CandidateId: leader}); !r.VoteGranted {
				c.Fatalf("n%d refused a repeated RequestVote of term 1 from n%d, which it voted for", to, leader)
			}
		}
		c.w.Note("n%d leads term 1 towards n%d and n%d", leader, f, g)
		heartbeat(f)
		keepTimer(g)
		heartbeat(g)
		c.w.SetLinkDelay(g, f, 100*time.Millisecond, 100*time.Millisecond)

		// n2 hears no AppendEntries for 400ms (out of the lease), n1 does.
		for k := 0; k < 4; k++ {
			c.w.Sleep(100 * time.Millisecond)
			heartbeat(f)
			keepTimer(g)
		}
		c.w.Note("n%d stops hearing from n%d, until it asks for pre-votes", f, leader)
		// The peers send nothing else now: the first RPC that is not the
		// test's own is n1's PreVote. n2's grant takes 100ms to come back.
		asked := false
		for k := 0; k < 100 && !asked; k++ {
			before := c.rpcs()
			asked = c.w.WaitUntil(func() bool { return c.rpcs() > before }, 100*time.Microsecond, 50*time.Millisecond)
			if !asked {
				keepTimer(g)
				asked = c.rpcs() > before+1
			}
		}
		if !asked {
			c.Fatalf("n%d, hearing from no leader, asked for no pre-vote within 5s", f)
		}
		c.w.Note("n%d asked for pre-votes; the leader n%d reaches it before n%d's grant", f, leader, g)
		heartbeat(f)
		c.w.Sleep(250 * time.Millisecond)
		if ft, _ := c.peers[f].GetState(); ft != 1 {
			c.Fatalf("n%d heard from its leader n%d of term 1 during its pre-vote campaign, and then started an election anyway (now term %d), on a grant that came later: a campaign ends when a leader is heard (thesis §9.6)", f, leader, ft)
		}
	})
}
