package raft

import (
	"fmt"
	"testing"
	"time"

	"protolab/replog"
	"protolab/tests"
)

// Part 4B: log replication (§5.3) and commitment (§5.4).

func TestBasicAgree4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		for index := 1; index <= 3; index++ {
			if n, _ := c.NCommitted(index); n > 0 {
				c.Fatalf("%d peers applied index %d before Start was called for it", n, index)
			}
			if got := c.One(index*100, 3, false); got != index {
				c.Fatalf("the command went to index %d; expected %d", got, index)
			}
		}
	})
}

// A group of one commits alone.
func TestSinglePeer4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 1, clusterConfig{})
		for index := 1; index <= 3; index++ {
			if got := c.One(index*10, 1, false); got != index {
				c.Fatalf("the command went to index %d; expected %d", got, index)
			}
		}
	})
}

// Each command is sent to each follower about once: the bytes on the wire
// stay close to the bytes of the commands themselves.
func TestRPCBytes4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(99, 3, false)
		bytes0 := c.w.TotalBytes()

		sent := int64(0)
		for index := 2; index < 12; index++ {
			cmd := randomString(c, 5000)
			if got := c.One(cmd, 3, false); got != index {
				c.Fatalf("the command went to index %d; expected %d", got, index)
			}
			sent += int64(len(cmd))
		}
		got, limit := c.w.TotalBytes()-bytes0, 3*sent+50000
		t.Logf("10 commands of 5000 bytes: %d bytes on the wire (limit %d)", got, limit)
		if got > limit {
			c.Fatalf("10 commands of 5000 bytes took %d bytes on the wire; at most %d (3 × %d + 50000): are entries sent more than once to a follower?", got, limit, sent)
		}
	})
}

func randomString(c *cluster, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[c.w.Rand().IntN(len(letters))]
	}
	return string(b)
}

func TestFollowerFailure4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(101, 3, false)

		leader1 := c.CheckOneLeader()
		c.w.Note("a follower is cut off: two peers still agree")
		c.Disconnect((leader1 + 1) % 3)
		c.One(102, 2, false)
		c.w.Sleep(electionTimeoutMax)
		c.One(103, 2, false)

		leader2 := c.CheckOneLeader()
		c.w.Note("both followers are cut off: nothing commits")
		c.Disconnect((leader2 + 1) % 3)
		c.Disconnect((leader2 + 2) % 3)
		index, _, ok := c.peers[leader2].Start(104)
		if !ok {
			c.Fatalf("the leader n%d refused Start right after its followers were cut off", leader2)
		}
		if index != 4 {
			c.Fatalf("the command went to index %d; expected 4", index)
		}
		c.w.Sleep(2 * electionTimeoutMax)
		if n, _ := c.NCommitted(index); n > 0 {
			c.Fatalf("%d peers applied index %d, which only the leader stores: no majority, no commit (§5.3)", n, index)
		}
	})
}

func TestLeaderFailure4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(101, 3, false)

		leader1 := c.CheckOneLeader()
		c.w.Note("the leader n%d is cut off", leader1)
		c.Disconnect(leader1)
		c.One(102, 2, false)
		c.w.Sleep(electionTimeoutMax)
		c.One(103, 2, false)

		leader2 := c.CheckOneLeader()
		c.w.Note("the new leader n%d is cut off too: one peer left", leader2)
		c.Disconnect(leader2)
		for i := 0; i < 3; i++ {
			if rf := c.raft(i); rf != nil {
				rf.Start(104)
			}
		}
		c.w.Sleep(2 * electionTimeoutMax)
		if n, _ := c.NCommitted(4); n > 0 {
			c.Fatalf("%d peers applied index 4 with no majority connected", n)
		}
	})
}

// A follower that was cut off catches up when it rejoins.
func TestFailAgree4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(101, 3, false)

		leader := c.CheckOneLeader()
		lagger := (leader + 1) % 3
		c.w.Note("n%d is cut off while four commands commit", lagger)
		c.Disconnect(lagger)
		c.One(102, 2, false)
		c.One(103, 2, false)
		c.w.Sleep(electionTimeoutMax)
		c.One(104, 2, false)
		c.One(105, 2, false)

		c.w.Note("n%d rejoins", lagger)
		c.Connect(lagger)
		c.One(106, 3, true)
		c.w.Sleep(electionTimeoutMax)
		c.One(107, 3, true)
		if c.Applied(lagger) < 7 {
			c.Fatalf("n%d applied only up to index %d after rejoining", lagger, c.Applied(lagger))
		}
	})
}

// No commit without a majority: 3 of 5 peers cut off.
func TestFailNoAgree4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 5, clusterConfig{})
		c.One(10, 5, false)

		leader := c.CheckOneLeader()
		c.w.Note("three followers are cut off")
		for k := 1; k <= 3; k++ {
			c.Disconnect((leader + k) % 5)
		}
		index, _, ok := c.peers[leader].Start(20)
		if !ok {
			c.Fatalf("the leader n%d refused Start", leader)
		}
		if index != 2 {
			c.Fatalf("the command went to index %d; expected 2", index)
		}
		c.w.Sleep(2 * electionTimeoutMax)
		if n, _ := c.NCommitted(index); n > 0 {
			c.Fatalf("%d peers applied index %d, which only 2 of 5 peers store: no majority, no commit (§5.3)", n, index)
		}

		c.w.Note("they rejoin")
		for k := 1; k <= 3; k++ {
			c.Connect((leader + k) % 5)
		}
		leader2 := c.CheckOneLeader()
		index2, _, ok2 := c.peers[leader2].Start(30)
		if !ok2 {
			c.Fatalf("the leader n%d refused Start", leader2)
		}
		if index2 < 2 || index2 > 3 {
			c.Fatalf("the command went to index %d; expected 2 or 3", index2)
		}
		c.One(1000, 5, true)
	})
}

// Several clients call Start at the same time, in one term: every command
// commits, each at the index Start returned.
func TestConcurrentStarts4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		for try := 0; try < 5; try++ {
			if try > 0 {
				c.w.Sleep(3 * time.Second) // give the cluster time to settle
			}
			leader := c.CheckOneLeader()
			_, term, ok := c.peers[leader].Start(1)
			if !ok {
				continue
			}
			indexes := make([]int, 5)
			stillLeader := true
			for i := range indexes {
				c.w.Go(fmt.Sprintf("client%d", i), func() {
					index, term1, ok := c.peers[leader].Start(100 + i)
					if term1 != term || !ok {
						stillLeader = false
						return
					}
					indexes[i] = index
				})
			}
			c.w.RunUntilDone(time.Second)
			if !stillLeader {
				continue
			}
			if c.leaderMoved(term) {
				continue
			}
			for i, index := range indexes {
				cmd := c.WaitInTerm(index, 3, term)
				if cmd == nil {
					stillLeader = false
					break
				}
				if cmd != 100+i {
					c.Fatalf("index %d holds %s; Start(%d) returned that index", index, replog.Show(cmd), 100+i)
				}
			}
			if stillLeader && !c.leaderMoved(term) {
				return
			}
		}
		c.Fatalf("the term changed too often for the concurrent Starts to commit in one term")
	})
}

func (c *cluster) leaderMoved(term int) bool {
	for i := 0; i < c.n; i++ {
		if rf := c.raft(i); rf != nil {
			if t, _ := rf.GetState(); t != term {
				return true
			}
		}
	}
	return false
}

// A leader cut off with entries it could not commit rejoins after another
// leader has committed different entries at those indexes: its entries are
// overwritten (§5.3).
func TestRejoin4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.One(101, 3, true)

		leader1 := c.CheckOneLeader()
		c.w.Note("leader n%d is cut off, and takes three commands it cannot commit", leader1)
		c.Disconnect(leader1)
		c.peers[leader1].Start(102)
		c.peers[leader1].Start(103)
		c.peers[leader1].Start(104)

		c.One(103, 2, true) // a new leader commits at index 2

		leader2 := c.CheckOneLeader()
		c.w.Note("leader n%d is cut off; the old leader n%d rejoins", leader2, leader1)
		c.Disconnect(leader2)
		c.Connect(leader1)
		c.One(104, 2, true)

		c.w.Note("everyone is back")
		c.Connect(leader2)
		c.One(105, 3, true)
		c.expectSameLogs()
	})
}

// expectSameLogs requires that every running peer holds the same log as the
// first, up to the shorter one's end (the logs are checked entry by entry by
// the continuous checks; this also catches leftovers past the end).
func (c *cluster) expectSameLogs() {
	c.t.Helper()
	c.w.Sleep(2 * heartbeatInterval)
	ref := -1
	for i := 0; i < c.n; i++ {
		rf := c.raft(i)
		if rf == nil {
			continue
		}
		if ref < 0 {
			ref = i
			continue
		}
		r := c.raft(ref)
		if rf.log.lastIndex() != r.log.lastIndex() || rf.log.lastTerm() != r.log.lastTerm() {
			c.Fatalf("after the cluster settled, n%d's log ends at %d (term %d) and n%d's at %d (term %d)",
				ref, r.log.lastIndex(), r.log.lastTerm(), i, rf.log.lastIndex(), rf.log.lastTerm())
		}
	}
}

// Leaders back up quickly over long divergent logs: 50 uncommitted entries
// on a minority, twice.
func TestBackup4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 5, clusterConfig{})
		rng := c.w.Rand()
		c.One(rng.Int(), 5, true)

		leader1 := c.CheckOneLeader()
		c.w.Note("leader n%d and one follower are cut off with 50 entries they cannot commit", leader1)
		c.Disconnect((leader1 + 2) % 5)
		c.Disconnect((leader1 + 3) % 5)
		c.Disconnect((leader1 + 4) % 5)
		for i := 0; i < 50; i++ {
			c.peers[leader1].Start(rng.Int())
		}
		c.w.Sleep(electionTimeoutMax / 2)
		c.Disconnect(leader1)
		c.Disconnect((leader1 + 1) % 5)

		c.w.Note("the other three commit 50 entries")
		c.Connect((leader1 + 2) % 5)
		c.Connect((leader1 + 3) % 5)
		c.Connect((leader1 + 4) % 5)
		for i := 0; i < 50; i++ {
			c.One(rng.Int(), 3, true)
		}

		leader2 := c.CheckOneLeader()
		other := (leader1 + 2) % 5
		if leader2 == other {
			other = (leader2 + 1) % 5
		}
		c.w.Note("n%d and the leader n%d take 50 more that cannot commit", other, leader2)
		c.Disconnect(other)
		for i := 0; i < 50; i++ {
			c.peers[leader2].Start(rng.Int())
		}
		c.w.Sleep(electionTimeoutMax / 2)

		c.w.Note("the first pair and n%d come back and commit 50 entries", other)
		for i := 0; i < 5; i++ {
			c.Disconnect(i)
		}
		c.Connect(leader1)
		c.Connect((leader1 + 1) % 5)
		c.Connect(other)
		c.expectQuickCatchUp([]int{leader1, (leader1 + 1) % 5, other})
		for i := 0; i < 50; i++ {
			c.One(rng.Int(), 3, true)
		}

		c.w.Note("everyone is back")
		for i := 0; i < 5; i++ {
			c.Connect(i)
		}
		c.expectQuickCatchUp([]int{0, 1, 2, 3, 4})
		c.One(rng.Int(), 5, true)
	})
}

// expectQuickCatchUp waits until the logs of group end alike, and requires
// that it took few RPCs: a leader that backs nextIndex up one entry per round
// trip needs about 50 rounds per lagging peer in TestBackup4B; backing up a
// term at a time needs one or two. Only the RPCs the group's members send
// count: a peer cut off outside the group may still believe it leads and
// send heartbeats into the void until part 4E's CheckQuorum stops it, and
// those say nothing about backing up.
func (c *cluster) expectQuickCatchUp(group []int) {
	c.t.Helper()
	sent := func() int64 {
		var n int64
		for _, i := range group {
			n += c.w.RPCs(i)
		}
		return n
	}
	before := sent()
	same := func() bool {
		r0 := c.raft(group[0])
		for _, i := range group {
			rf := c.raft(i)
			if rf == nil || r0 == nil || rf.log.lastIndex() != r0.log.lastIndex() || rf.log.lastTerm() != r0.log.lastTerm() {
				return false
			}
		}
		_, isLeader := r0.GetState()
		return isLeader || c.anyLeader()
	}
	if !c.w.WaitUntil(same, 5*time.Millisecond, 5*time.Second) {
		c.Fatalf("the logs of %v did not converge within 5s", group)
	}
	used := sent() - before
	c.t.Logf("the logs of %v converged after %d RPCs sent by them", group, used)
	if limit := int64(20 * len(group)); used > limit {
		c.Fatalf("the logs of %v took %d RPCs (sent by those peers, elections included) to converge; at most %d: back nextIndex up a term at a time (ConflictTerm, ConflictIndex), not an entry at a time", group, used, limit)
	}
}

// RPC counts: 11 agreements with 3 peers in at most 42 RPCs, and an idle
// leader's heartbeats in at most 60 RPCs a second.
func TestRPCCount4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		leader := c.CheckOneLeader()
		if n := c.rpcs(); n > 30 {
			c.Fatalf("the initial election took %d RPCs; at most 30", n)
		}

		var total int64
		for try := 0; ; try++ {
			if try == 5 {
				c.Fatalf("the term changed too often to count RPCs")
			}
			if try > 0 {
				c.w.Sleep(3 * time.Second)
			}
			leader = c.CheckOneLeader()
			before := c.rpcs()
			const iters = 10
			start, term, ok := c.peers[leader].Start(1)
			if !ok {
				continue // the leader moved on
			}
			var cmds []int
			for i := 1; i < iters+1; i++ {
				x := c.w.Rand().Int()
				cmds = append(cmds, x)
				index, term1, ok := c.peers[leader].Start(x)
				if term1 != term || !ok {
					break
				}
				if start+i != index {
					c.Fatalf("Start returned index %d; expected %d", index, start+i)
				}
			}
			if len(cmds) < iters {
				continue
			}
			failed := false
			for i := 1; i < iters+1; i++ {
				cmd := c.WaitInTerm(start+i, 3, term)
				if cmd == nil {
					failed = true
					break
				}
				if cmd != cmds[i-1] {
					c.Fatalf("index %d holds %s; expected %d", start+i, replog.Show(cmd), cmds[i-1])
				}
			}
			if failed || c.leaderMoved(term) {
				continue
			}
			total = c.rpcs() - before
			if total > (iters+1+3)*3 {
				c.Fatalf("11 agreements took %d RPCs; at most %d", total, (iters+1+3)*3)
			}
			break
		}
		t.Logf("11 agreements: %d RPCs", total)

		c.w.Sleep(time.Second)
		before := c.rpcs()
		c.w.Sleep(time.Second)
		if idle := c.rpcs() - before; idle > 60 {
			c.Fatalf("an idle second took %d RPCs; at most 60 (heartbeats at most 10 a second)", idle)
		}
	})
}

// The receiver's side of AppendEntries, with the test as the leaders (n0 runs
// alone): the consistency check, truncation on a conflict only, and
// commitIndex = min(leaderCommit, index of last new entry).
func TestAppendEntriesRules4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{only: []int{0}})
		f := c.fake()
		ae := func(term, prev, prevTerm int, entries []Entry, commit int) AppendEntriesReply {
			return f.appendEntries(0, AppendEntriesArgs{Term: term, LeaderId: 1 + term%2, PrevLogIndex: prev, PrevLogTerm: prevTerm, Entries: entries, LeaderCommit: commit})
		}
		e := func(term int, cmds ...int) []Entry {
			var es []Entry
			for _, cmd := range cmds {
				es = append(es, Entry{Term: term, Command: cmd})
			}
			return es
		}
		expectApplied := func(index int, why string) {
			c.t.Helper()
			c.w.Sleep(10 * time.Millisecond)
			if c.Applied(0) != index {
				c.Fatalf("n0 applied up to index %d; expected %d: %s", c.Applied(0), index, why)
			}
		}

		if r := ae(1, 0, 0, e(1, 11, 12, 13), 0); !r.Success {
			c.Fatalf("n0 refused entries 1..3 after index 0 (every log matches at index 0)")
		}
		expectApplied(0, "the leader has committed nothing yet; apply only committed entries (Figure 2, lastApplied <= commitIndex)")

		c.w.Note("a delayed copy of an earlier, shorter request")
		if r := ae(1, 0, 0, e(1, 11), 0); !r.Success {
			c.Fatalf("n0 refused a delayed AppendEntries whose entry it already has")
		}
		if r := ae(1, 3, 1, nil, 3); !r.Success {
			c.Fatalf("n0 lost entries 2..3 to a delayed request that matched them: truncate only on a conflict (Figure 2, AppendEntries step 3)")
		}
		expectApplied(3, "leaderCommit is 3 and the log matches through 3")

		if r := ae(1, 5, 1, nil, 3); r.Success {
			c.Fatalf("n0 accepted prevLogIndex 5, but its log ends at 3 (Figure 2, AppendEntries step 2)")
		}

		c.w.Note("a leader of term 2 appends 4 and 5, which never commit")
		if r := ae(2, 3, 1, e(2, 14, 15), 3); !r.Success {
			c.Fatalf("n0 refused entries 4..5 after a matching index 3")
		}
		if r := ae(2, 4, 1, nil, 3); r.Success {
			c.Fatalf("n0 accepted prevLogTerm 1 at index 4, where it holds an entry of term 2 (Figure 2, AppendEntries step 2)")
		}

		c.w.Note("the leader of term 3 has another entry at 4")
		if r := ae(3, 3, 1, nil, 4); !r.Success {
			c.Fatalf("n0 refused a heartbeat of term 3 that matches at index 3")
		}
		expectApplied(3, "the heartbeat vouched only for entries up to 3: commitIndex = min(leaderCommit, index of last new entry) (Figure 2, AppendEntries step 5)")
		if r := ae(3, 3, 1, e(3, 16), 4); !r.Success {
			c.Fatalf("n0 refused the entry of term 3 at index 4")
		}
		expectApplied(4, "leaderCommit 4 and entry 4 from this leader")
		if c.CommandAt(4) != 16 {
			c.Fatalf("index 4 holds %s after the leader of term 3 sent 16", replog.Show(c.CommandAt(4)))
		}
		if r := ae(3, 5, 2, nil, 4); r.Success {
			c.Fatalf("n0 still has the entry of term 2 at index 5: an entry that conflicts deletes it and all that follow (Figure 2, AppendEntries step 3)")
		}
		if r := ae(2, 4, 3, nil, 4); r.Success || r.Term != 3 {
			c.Fatalf("n0 accepted a request of the stale term 2 (or did not reply with its term 3)")
		}
	})
}

// The up-to-date rule of §5.4.1, with the test as the candidates: the later
// last term wins; with equal last terms, the longer log.
func TestVoteUpToDate4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{only: []int{0}})
		f := c.fake()
		r := f.appendEntries(0, AppendEntriesArgs{Term: 2, LeaderId: 1, Entries: []Entry{{1, 11}, {1, 12}, {2, 13}}})
		if !r.Success {
			c.Fatalf("n0 refused entries 1..3 after index 0")
		}
		// n0's log: 1/t1 2/t1 3/t2.
		for _, v := range []struct {
			term, lastIndex, lastTerm int
			grant                     bool
			why                       string
		}{
			{3, 10, 1, false, "a longer log whose last term (1) is older than n0's (2)"},
			{4, 2, 2, false, "the same last term (2) and a shorter log"},
			{5, 3, 2, true, "the same last term and the same length"},
			{6, 1, 3, true, "a later last term (3), though a shorter log"},
		} {
			got := f.requestVote(0, RequestVoteArgs{Term: v.term, CandidateId: 2, LastLogIndex: v.lastIndex, LastLogTerm: v.lastTerm, LeadershipTransfer: true})
			if got.VoteGranted != v.grant {
				c.Fatalf("n0, whose log ends at index 3 of term 2, gave VoteGranted=%v to a candidate with %s (§5.4.1)", got.VoteGranted, v.why)
			}
		}
	})
}

// Figure 8 of the paper, played with partitions: an entry of an older term
// that the leader copies onto a majority is not committed by counting, and a
// later leader does overwrite it (§5.4.2).
func TestFigure8Scenario4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 5, clusterConfig{})
		c.One(1, 5, false)

		s1 := c.CheckOneLeader()
		s2 := (s1 + 1) % 5
		var rest []int
		for i := 0; i < 5; i++ {
			if i != s1 && i != s2 {
				rest = append(rest, i)
			}
		}
		c.w.Note("(a) leader n%d copies its entry at index 2 to n%d only", s1, s2)
		c.w.Partition([]int{s1, s2}, rest)
		index, term2, ok := c.peers[s1].Start(2)
		if !ok || index != 2 {
			c.Fatalf("the leader n%d refused Start or chose index %d", s1, index)
		}
		if !c.w.WaitUntil(func() bool { return c.peers[s2].log.lastIndex() == 2 }, 10*time.Millisecond, time.Second) {
			c.Fatalf("n%d did not receive index 2 from its leader n%d", s2, s1)
		}

		c.w.Note("(b) n%d is gone; the other three elect a leader, which takes index 2 in its term and is cut off at once", s1)
		c.Disconnect(s1)
		s5 := c.CheckOneLeader()
		if s5 == s2 {
			c.Fatalf("n%d, cut off with a minority, became leader", s2)
		}
		c.peers[s5].Start(3)
		c.Disconnect(s5)
		s3, s4 := others2(rest, s5)

		c.w.Note("(c) n%d returns; n%d, n%d and n%d elect n%d or n%d, which copies index 2 (term %d) to n%d: a majority stores it", s1, s1, s2, s3, s1, s2, term2, s3)
		c.w.Partition([]int{s1, s2, s3}, []int{s4})
		c.Connect(s1)
		if !c.w.WaitUntil(func() bool {
			l := c.peers[s3].log
			return l.lastIndex() >= 2 && l.term(2) == term2
		}, 10*time.Millisecond, 5*time.Second) {
			c.Fatalf("n%d did not receive index 2 of term %d from the leader of n%d, n%d, n%d", s3, term2, s1, s2, s3)
		}
		c.w.Sleep(3 * heartbeatInterval)
		if n, _ := c.NCommitted(2); n > 0 {
			c.Fatalf("index 2, an entry of term %d, was committed by a leader of a later term because a majority stores it: only entries of the leader's own term are committed by counting replicas (§5.4.2, Figure 8)", term2)
		}

		c.w.Note("(d) n%d returns with its entry of a later term, and is elected by n%d and n%d: it overwrites index 2", s5, s3, s4)
		c.Disconnect(s1)
		c.Disconnect(s2)
		c.w.Partition([]int{s5, s3, s4})
		c.Connect(s5)
		c.One(4, 3, true)
		if cmd := c.CommandAt(2); cmd != 3 {
			c.Fatalf("index 2 holds %s; the leader of the later term had 3 there", replog.Show(cmd))
		}

		c.w.Note("everyone is back")
		c.w.Heal()
		c.One(5, 5, true)
	})
}

// others2 returns the two members of a three-peer group other than x.
func others2(group []int, x int) (int, int) {
	var r []int
	for _, i := range group {
		if i != x {
			r = append(r, i)
		}
	}
	return r[0], r[1]
}
