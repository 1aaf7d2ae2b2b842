package raft

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/tests"
)

// Scenarios for bugs that the first full mutation run of raft let through
// (docs/mutation.md, "Lab 4: raft"): leadership transfer's refusals and lost
// or late TimeoutNow messages (4E), a follower's snapshot meeting a delayed
// AppendEntries, a leader installing a snapshot, and snapshots the service
// asks for out of range (4D).

// TransferLeadership refuses what it cannot do, and says so: on a follower,
// to the leader itself, to a peer that does not exist, and while another
// transfer is under way. A refused transfer leaves the leader taking commands.
func TestTransferLeadershipRefusals4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, false)
		leader := c.CheckOneLeader()
		follower, down := (leader+1)%n, (leader+2)%n
		if c.peers[follower].TransferLeadership(down) {
			c.Fatalf("the follower n%d began a transfer to n%d: only a leader can hand over (thesis §3.10)", follower, down)
		}
		for _, target := range []int{leader, -1, n} {
			if c.peers[leader].TransferLeadership(target) {
				c.Fatalf("the leader n%d began a transfer to n%d, which is itself or no peer of a cluster of %d: refuse it", leader, target, n)
			}
		}
		if _, _, ok := c.peers[leader].Start(2); !ok {
			c.Fatalf("the leader n%d refuses commands after transfers it should have refused", leader)
		}
		c.One(3, n, true)

		c.w.Note("a transfer to the crashed n%d is under way; a second one, to n%d, must be refused", down, follower)
		c.Crash(down)
		if !c.peers[leader].TransferLeadership(down) {
			c.Fatalf("the leader n%d refused to begin a transfer to n%d", leader, down)
		}
		if c.peers[leader].TransferLeadership(follower) {
			c.Fatalf("the leader n%d began a transfer to n%d while its transfer to n%d was under way: one transfer at a time", leader, follower, down)
		}
		c.w.Sleep(electionTimeoutMax)
		c.Start(down)
		c.One(4, n, true)
	})
}

// The TimeoutNow of a transfer is lost. The leader sends it again once the
// target answers again, and the target takes over; a leader that sends it
// once only would abandon the transfer over a lossy link.
func TestLeadershipTransferLostTimeoutNow4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, true)
		c.w.Sleep(2 * heartbeatInterval) // the leader knows the target has every entry
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		target := (leader + 1) % n
		c.w.Note("the link n%d→n%d is cut while n%d hands over to n%d: its TimeoutNow is lost", leader, target, leader, target)
		c.w.Cut(leader, target)
		if !c.peers[leader].TransferLeadership(target) {
			c.Fatalf("the leader n%d refused to transfer leadership to n%d", leader, target)
		}
		c.w.Sleep(5 * time.Millisecond)
		c.w.Uncut(leader, target)
		ok := c.w.WaitUntil(func() bool { _, isLeader := c.peers[target].GetState(); return isLeader }, time.Millisecond, time.Second)
		if !ok {
			c.Fatalf("n%d did not take over within 1s of a transfer whose first TimeoutNow was lost: send it again after the next answer from the target (thesis §3.10)", target)
		}
		if nt, _ := c.peers[target].GetState(); nt <= term {
			c.Fatalf("the new leader n%d is in term %d, not past %d", target, nt, term)
		}
		c.One(2, n, true)
	})
}

// A TimeoutNow of an older term (a late copy of the one that made the
// current leader) reaches every peer after the transfer. It is stale: no
// peer starts an election for it and the leader keeps its office.
func TestStaleTimeoutNow4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, true)
		old := c.CheckOneLeader()
		oldTerm, _ := c.peers[old].GetState()
		target := (old + 1) % n
		if !c.peers[old].TransferLeadership(target) {
			c.Fatalf("the leader n%d refused to transfer leadership to n%d", old, target)
		}
		if !c.w.WaitUntil(func() bool { _, isLeader := c.peers[target].GetState(); return isLeader }, time.Millisecond, time.Second) {
			c.Fatalf("n%d did not take over within 1s of the transfer", target)
		}
		c.One(2, n, true)
		term, _ := c.peers[target].GetState()

		f := c.fake()
		for i := 0; i < n; i++ {
			c.w.Note("a late TimeoutNow of term %d from n%d reaches n%d", oldTerm, old, i)
			args, reply := TimeoutNowArgs{Term: oldTerm, LeaderId: old}, TimeoutNowReply{}
			if !f.cl.Call(i, "Raft.TimeoutNow", &args, &reply) {
				c.Fatalf("TimeoutNow to n%d got no reply on a reliable network", i)
			}
			if reply.Term != term {
				c.Fatalf("n%d answered a TimeoutNow of term %d with term %d; its term is %d", i, oldTerm, reply.Term, term)
			}
		}
		c.w.Sleep(electionTimeoutMax)
		if now := c.CheckOneLeader(); now != target {
			c.Fatalf("n%d leads instead of n%d after a stale TimeoutNow (term %d < %d): ignore it", now, target, oldTerm, term)
		}
		if nt, _ := c.peers[target].GetState(); nt != term {
			c.Fatalf("the term moved from %d to %d after a stale TimeoutNow of term %d: a TimeoutNow of an older term starts no election", term, nt, oldTerm)
		}
		c.One(3, n, true)
	})
}

// A follower installs a snapshot through 8, past the end of its log; then
// a delayed AppendEntries arrives that begins inside the snapshot (after
// entry 2) and carries entries through 9. The follower keeps entry 9, the
// part past its snapshot: the leader, told yes, counts entry 9 as stored
// there (n0 plays the follower; the test is the leader).
func TestAppendEntriesAcrossInstalledSnapshot4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{only: []int{0}})
		f := c.fake()
		var entries []Entry
		for k := 1; k <= 9; k++ {
			entries = append(entries, Entry{Term: 1 + k/6, Command: 10 + k}) // 1..5 of term 1, 6..9 of term 2
		}
		for _, e := range entries {
			c.Checker().Commit(e.Command)
		}
		ae := func(prev, prevTerm int, es []Entry, commit int) bool {
			return f.appendEntries(0, AppendEntriesArgs{Term: 2, LeaderId: 1, PrevLogIndex: prev, PrevLogTerm: prevTerm, Entries: es, LeaderCommit: commit}).Success
		}
		if !ae(0, 0, entries[:5], 3) {
			c.Fatalf("n0 refused entries 1..5")
		}
		c.w.Sleep(5 * time.Millisecond)
		args := InstallSnapshotArgs{Term: 2, LeaderId: 1, LastIncludedIndex: 8, LastIncludedTerm: 2, Data: c.Checker().State(8)}
		var reply InstallSnapshotReply
		if !f.cl.Call(0, "Raft.InstallSnapshot", &args, &reply) {
			c.Fatalf("InstallSnapshot to n0 got no reply")
		}
		c.w.Sleep(5 * time.Millisecond)
		if c.installed() != 1 || c.Applied(0) != 8 {
			c.Fatalf("n0 did not install the snapshot through 8 (installed %d, applied up to %d)", c.installed(), c.Applied(0))
		}
		c.w.Note("a delayed AppendEntries after entry 2, with entries 3..9, reaches n0")
		if !ae(2, 1, entries[2:9], 8) {
			c.Fatalf("n0 refused an AppendEntries that starts inside its snapshot (§7: those entries are committed, so they match)")
		}
		if !ae(9, 2, nil, 9) {
			c.Fatalf("n0 answered yes to entries 3..9 but does not hold entry 9: it kept only what its snapshot covers; keep the entries past the snapshot (§7)")
		}
		c.w.Sleep(5 * time.Millisecond)
		if c.Applied(0) != 9 {
			c.Fatalf("n0 applied up to %d; expected 9", c.Applied(0))
		}
	})
}

// A follower that fell behind the leader's snapshot (it was down) gets it with
// InstallSnapshot. Its answer is no news of a newer leader: the leader keeps
// its office and its term.
func TestSnapshotInstallKeepsLeader4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		c.One(1, n, true)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		victim := (leader + 1) % n
		c.w.Note("n%d is down while three snapshots' worth of entries commit", victim)
		c.Crash(victim)
		for k := 0; k < 3*snapEvery; k++ {
			c.One(100+k, n-1, false)
		}
		c.Start(victim)
		if !c.w.WaitUntil(func() bool { return c.installed() > 0 }, time.Millisecond, time.Second) {
			c.Fatalf("n%d, behind the leader's snapshot, got no InstallSnapshot within 1s (§7)", victim)
		}
		c.w.Sleep(electionTimeoutMax)
		if now := c.CheckOneLeader(); now != leader {
			c.Fatalf("n%d leads instead of n%d after n%d installed the leader's snapshot: an answer of the same term deposes no leader", now, leader, victim)
		}
		if nt, _ := c.peers[leader].GetState(); nt != term {
			c.Fatalf("the term moved from %d to %d when n%d installed the leader's snapshot", term, nt, victim)
		}
		c.One(2, n, true)
	})
}

// The service asks for snapshots Raft must ignore: one older than the
// snapshot Raft has (a service that snapshots late, after an InstallSnapshot
// moved past it) and one of entries not yet applied. Raft keeps its log and
// snapshot, and the peer still agrees, also after a restart.
func TestSnapshotOutOfRangeIgnored4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		for k := 1; k <= 2*snapEvery+5; k++ {
			c.One(k, n, true)
		}
		leader := c.CheckOneLeader()
		p := (leader + 1) % n
		rf := c.peers[p]
		first, applied := rf.log.firstIndex(), rf.lastApplied
		if first == 0 {
			c.Fatalf("n%d has no snapshot after %d entries with one every %d", p, 2*snapEvery+5, snapEvery)
		}
		c.w.Note("n%d's service asks for a snapshot through %d (Raft's is through %d) and one through %d (applied: %d)", p, first-5, first, applied+3, applied)
		rf.Snapshot(first-5, c.Checker().State(first-5))
		rf.Snapshot(applied+3, []byte("not applied yet"))
		c.One(1000, n, true)
		c.Crash(p)
		c.Start(p)
		c.One(1001, n, true)
	})
}

// A leader under a steady load (a command every millisecond over slow links,
// so that a batch waits for the end of each batch window) hears of a newer term and steps
// down. Only a leader sends AppendEntries: the batch it had scheduled must
// not go out afterwards, in the new term, as if it led that term too.
func TestDeposedLeaderSendsNoBatch4F(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, true)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		wrong := watchAppendsFromNonLeaders(c)
		c.w.Note("the leader's links take 20ms each way: batches are on their way while others wait for their batch window")
		for p := 0; p < n; p++ {
			if p != leader {
				c.w.SetLinkDelay(leader, p, 20*time.Millisecond, 20*time.Millisecond)
				c.w.SetLinkDelay(p, leader, 20*time.Millisecond, 20*time.Millisecond)
			}
		}
		f := c.fake()
		other := (leader + 1) % n
		for k := 0; k < 40; k++ {
			c.peers[leader].Start(100 + k)
			c.w.Sleep(time.Millisecond)
			if k == 1 {
				c.w.Note("a leader of term %d (played by the test as n%d) reaches n%d", term+1, other, leader)
				f.appendEntries(leader, AppendEntriesArgs{Term: term + 1, LeaderId: other})
			}
		}
		c.w.Sleep(50 * time.Millisecond)
		if len(*wrong) > 0 {
			c.Fatalf("a peer that does not lead sent AppendEntries (a batch scheduled while it led?): %s. Only the leader of a term sends AppendEntries (§5.2); check, when a scheduled send runs, that this peer still leads in the term that scheduled it", strings.Join(*wrong, "; "))
		}
		c.One(2, n, true)
	})
}

// watchAppendsFromNonLeaders records (the first three) AppendEntries that a
// peer sends while it does not lead.
func watchAppendsFromNonLeaders(c *cluster) *[]string {
	var wrong []string
	c.w.OnTrace(func(l labrpc.Line) {
		if l.Kind != labrpc.KindSend || l.Method != "Raft.AppendEntries" || l.Node < 0 || l.Node >= c.n {
			return
		}
		if rf := c.peers[l.Node]; rf != nil {
			if tm, isLeader := rf.GetState(); !isLeader && len(wrong) < 3 {
				wrong = append(wrong, fmt.Sprintf("n%d sent an AppendEntries to n%d at %v, in term %d, as a %s", l.Node, l.Peer, l.At, tm, rf.role))
			}
		}
	})
	return &wrong
}

// A leader sends its snapshot to a follower that fell behind it (it was
// down), over a slow link, and hears of a newer term before the answer comes. The late
// answer belongs to a leadership that is over: the peer, no longer leader,
// does not act on it (no AppendEntries to the follower as if it still led).
func TestDeposedLeaderSnapshotReply4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		c.One(1, n, true)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		lag := (leader + 1) % n
		c.w.Note("n%d is down while three snapshots' worth of entries commit", lag)
		c.Crash(lag)
		for k := 0; k < 3*snapEvery; k++ {
			c.One(100+k, n-1, false)
		}
		leader = c.CheckOneLeader() // it may have changed while lag was down
		term, _ = c.peers[leader].GetState()
		wrong := watchAppendsFromNonLeaders(c)
		installed := false
		c.w.OnTrace(func(l labrpc.Line) {
			if l.Kind == labrpc.KindRecv && l.Method == "Raft.InstallSnapshot" && l.Node == lag {
				installed = true
			}
		})
		c.w.Note("n%d restarts behind a link that takes 20ms each way", lag)
		c.w.SetLinkDelay(leader, lag, 20*time.Millisecond, 20*time.Millisecond)
		c.w.SetLinkDelay(lag, leader, 20*time.Millisecond, 20*time.Millisecond)
		c.Start(lag)
		if !c.w.WaitUntil(func() bool { return installed }, time.Millisecond, time.Second) {
			c.Fatalf("n%d, behind the leader n%d's snapshot, got no InstallSnapshot within 1s of its restart (§7)", lag, leader)
		}
		other := 3 - leader - lag // the third peer
		c.w.Note("with the answer to the snapshot on its way, a leader of term %d (played by the test as n%d) reaches n%d", term+1, other, leader)
		c.fake().appendEntries(leader, AppendEntriesArgs{Term: term + 1, LeaderId: other})
		c.w.Sleep(100 * time.Millisecond)
		if len(*wrong) > 0 {
			c.Fatalf("a peer that does not lead sent AppendEntries (after a late answer to its InstallSnapshot?): %s. Ignore an answer to a leadership that is over", strings.Join(*wrong, "; "))
		}
		c.One(2, n, true)
	})
}

// A command is started on the leader, and in the same instant, before the
// leader has sent it, a message of a newer term makes it step down. The
// command's send, due once the current event is over, finds a peer that no
// longer leads: it sends nothing.
func TestStartThenDeposedAtOnce4F(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, true)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		wrong := watchAppendsFromNonLeaders(c)
		other := (leader + 1) % n
		c.w.Note("n%d takes a command and, at the same instant, hears from a leader of term %d (played by the test as n%d)", leader, term+1, other)
		if _, _, ok := c.peers[leader].Start(2); !ok {
			c.Fatalf("the leader n%d refused a command", leader)
		}
		var reply AppendEntriesReply
		c.peers[leader].AppendEntries(&AppendEntriesArgs{Term: term + 1, LeaderId: other}, &reply)
		c.w.Sleep(10 * time.Millisecond)
		if len(*wrong) > 0 {
			c.Fatalf("a peer that does not lead sent AppendEntries: %s. The send that Start schedules must check that this peer still leads when it runs", strings.Join(*wrong, "; "))
		}
		c.One(3, n, true)
	})
}

// Leadership goes from n to m and back to n by two quick transfers; then n
// begins a transfer to m again, now crashed. That transfer is under way for
// a whole election timeout (Start refuses commands until then): the time-out
// of n's first transfer to m, of an older term, is not this one's.
func TestTransferTimeoutOfAnEarlierTerm4E(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{})
		c.One(1, n, true)
		a := c.CheckOneLeader()
		b := (a + 1) % n
		leads := func(i int) func() bool {
			return func() bool { _, isLeader := c.peers[i].GetState(); return isLeader }
		}
		for _, hop := range [][2]int{{a, b}, {b, a}} {
			c.w.Note("n%d hands over to n%d", hop[0], hop[1])
			if !c.peers[hop[0]].TransferLeadership(hop[1]) {
				c.Fatalf("the leader n%d refused to transfer leadership to n%d", hop[0], hop[1])
			}
			if !c.w.WaitUntil(leads(hop[1]), time.Millisecond, time.Second) {
				c.Fatalf("n%d did not take over within 1s of the transfer", hop[1])
			}
		}
		c.One(2, n, true)
		c.w.Note("n%d hands over to n%d again, but n%d has crashed", a, b, b)
		c.Crash(b)
		if !c.peers[a].TransferLeadership(b) {
			c.Fatalf("the leader n%d refused to transfer leadership to n%d", a, b)
		}
		t0 := c.w.Now()
		c.w.Sleep(electionTimeoutMin - 5*time.Millisecond)
		if _, _, ok := c.peers[a].Start(3); ok {
			c.Fatalf("the leader n%d took a command %v after it began a transfer to n%d: the transfer was abandoned before an election timeout (%v); was it the time-out of an earlier transfer, in an older term?", a, c.w.Now()-t0, b, electionTimeoutMin)
		}
		c.w.Sleep(electionTimeoutMax)
		c.Start(b)
		c.One(4, n, true)
	})
}

// A leader sends its snapshot to a follower that fell behind it, but the
// follower has meanwhile heard of a newer term (from a leader the test
// plays) and refuses, saying so. The leader steps down at that answer: it
// sends nothing more in its old term, and does not count the refusal as the
// follower's answer (no AppendEntries after the snapshot, as if installed).
func TestSnapshotRefusedByNewerTerm4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		c.One(1, n, true)
		leader := c.CheckOneLeader()
		term, _ := c.peers[leader].GetState()
		lag := (leader + 1) % n
		other := (leader + 2) % n
		c.w.Note("n%d is down while three snapshots' worth of entries commit", lag)
		c.Crash(lag)
		for k := 0; k < 3*snapEvery; k++ {
			c.One(100+k, n-1, false)
		}
		c.w.Cut(leader, lag)
		c.Start(lag)
		c.w.Note("a leader of term %d (played by the test as n%d) reaches n%d first", term+1, other, lag)
		c.fake().appendEntries(lag, AppendEntriesArgs{Term: term + 1, LeaderId: other})
		refused, wrong := false, ""
		c.w.OnTrace(func(l labrpc.Line) {
			if l.Node != leader {
				return
			}
			if l.Kind == labrpc.KindReply && l.Method == "Raft.InstallSnapshot" && l.Peer == lag {
				refused = true
			}
			if refused && wrong == "" && l.Kind == labrpc.KindSend && l.Method == "Raft.AppendEntries" {
				if tm, _ := c.peers[leader].GetState(); tm == term {
					wrong = fmt.Sprintf("n%d sent an AppendEntries to n%d at %v in term %d", leader, l.Peer, l.At, tm)
				}
			}
		})
		c.w.Uncut(leader, lag)
		if !c.w.WaitUntil(func() bool { return refused }, time.Millisecond, time.Second) {
			c.Fatalf("the leader n%d got no answer to an InstallSnapshot to n%d, behind its snapshot, within 1s (§7)", leader, lag)
		}
		c.w.Sleep(50 * time.Millisecond)
		if wrong != "" {
			c.Fatalf("%s, after n%d answered its InstallSnapshot with term %d: a reply with a newer term makes a leader step down at once (§5.1), and a refusal is not an answer to build on", wrong, lag, term+1)
		}
		c.One(2, n, true)
	})
}
