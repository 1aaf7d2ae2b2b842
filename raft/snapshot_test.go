package raft

import (
	"testing"
	"time"

	"protolab/tests"
)

// Part 4D: log compaction with snapshots (§7). The cluster's service takes a
// snapshot after every 10th entry it applies.

const snapEvery = 10

// maxStateSize is how large Raft's persisted state may grow when the service
// snapshots every snapEvery entries: the log holds a few dozen entries at
// most, so a state of this size means the log is not being compacted.
const maxStateSize = 2000

// snapCommon runs 30 rounds in which a follower (or the leader) is cut off or
// crashed while more than a snapshot's worth of entries commit, then comes
// back and must catch up, from a snapshot if its log is too far behind.
func snapCommon(t *tests.T, disconnect, reliable, crash bool) {
	const n = 3
	profile := "reliable"
	if !reliable {
		profile = "unreliable"
	}
	c := newCluster(t, n, clusterConfig{profile: profile, snapEvery: snapEvery})
	rng := c.w.Rand()
	c.One(rng.Int(), n, true)
	leader1 := c.CheckOneLeader()

	for i := 0; i < 30; i++ {
		victim, sender := (leader1+1)%n, leader1
		if i%3 == 1 {
			victim, sender = leader1, (leader1+1)%n
		}
		if disconnect {
			c.Disconnect(victim)
			c.One(rng.Int(), n-1, true)
		}
		if crash {
			c.Crash(victim)
			c.One(rng.Int(), n-1, true)
		}

		// Perhaps enough for a snapshot.
		for k := 0; k < snapEvery/2+rng.IntN(snapEvery); k++ {
			if rf := c.raft(sender); rf != nil {
				rf.Start(rng.Int())
			}
		}
		if !disconnect && !crash {
			// Every follower catches up, so that no InstallSnapshot is
			// needed in the basic test.
			c.One(rng.Int(), n, true)
		} else {
			c.One(rng.Int(), n-1, true)
		}
		c.expectSmallState()

		if disconnect {
			// The follower may be so far behind that it needs a snapshot.
			c.Connect(victim)
			c.One(rng.Int(), n, true)
			leader1 = c.CheckOneLeader()
		}
		if crash {
			c.Start(victim)
			c.One(rng.Int(), n, true)
			leader1 = c.CheckOneLeader()
		}
	}
	if disconnect && c.installed() == 0 {
		c.Fatalf("no peer ever installed a snapshot from a leader: a follower that falls behind the leader's snapshot must get it with InstallSnapshot (§7)")
	}
}

// expectSmallState requires that every peer's persisted Raft state is small.
func (c *cluster) expectSmallState() {
	c.t.Helper()
	for i := 0; i < c.n; i++ {
		if size := c.w.Persister(i).StateSize(); size > maxStateSize {
			c.Fatalf("n%d's persisted state is %d bytes with a snapshot every %d entries; at most %d: is the log compacted when the service calls Snapshot (§7)?", i, size, snapEvery, maxStateSize)
		}
	}
}

func TestSnapshotBasic4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) { snapCommon(t, false, true, false) })
}

func TestSnapshotInstall4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) { snapCommon(t, true, true, false) })
}

func TestSnapshotInstallUnreliable4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) { snapCommon(t, true, false, false) })
}

func TestSnapshotInstallCrash4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) { snapCommon(t, false, true, true) })
}

func TestSnapshotInstallUnCrash4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) { snapCommon(t, false, false, true) })
}

// Every peer crashes and restarts, five times: the state each restarts with
// is at least its last snapshot, and the log's indexes never go back.
func TestSnapshotAllCrash4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		rng := c.w.Rand()
		c.One(rng.Int(), n, true)
		for round := 0; round < 5; round++ {
			for k := 0; k < snapEvery/2+rng.IntN(snapEvery); k++ {
				c.One(rng.Int(), n, true)
			}
			index1 := c.One(rng.Int(), n, true)

			c.w.Note("round %d: everyone crashes and restarts", round)
			for i := 0; i < n; i++ {
				c.Crash(i)
			}
			for i := 0; i < n; i++ {
				c.Start(i)
				if c.Applied(i) < c.Checker().SnapshotAt(i) {
					c.Fatalf("n%d restarted with its state at index %d; it had a snapshot through %d", i, c.Applied(i), c.Checker().SnapshotAt(i))
				}
			}
			if index2 := c.One(rng.Int(), n, true); index2 < index1+1 {
				c.Fatalf("the log's index went back from %d to %d over a restart", index1, index2)
			}
		}
	})
}

// The snapshot restored at boot is kept by the saves that follow: a peer that
// restarts, persists a little, and crashes again still has its snapshot.
func TestSnapshotInit4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		rng := c.w.Rand()
		c.One(rng.Int(), n, true)
		for k := 0; k < snapEvery+1; k++ {
			c.One(rng.Int(), n, true)
		}
		restartAll := func() {
			for i := 0; i < n; i++ {
				c.Crash(i)
			}
			for i := 0; i < n; i++ {
				c.Start(i)
			}
		}
		c.w.Note("everyone restarts from a snapshot; one more entry is persisted")
		restartAll()
		c.One(rng.Int(), n, true)
		c.w.Note("everyone restarts again: the snapshot must still be there")
		restartAll()
		c.One(rng.Int(), n, true)
	})
}

// With a snapshot every 10 entries, Raft's persisted state stays small all
// along (checked after every event), over 300 commands.
func TestSnapshotSize4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n = 3
		c := newCluster(t, n, clusterConfig{snapEvery: snapEvery})
		largest := 0
		c.w.Check(func() error {
			for i := 0; i < n; i++ {
				largest = max(largest, c.w.Persister(i).StateSize())
			}
			return nil
		})
		rng := c.w.Rand()
		for k := 0; k < 300; k++ {
			c.One(rng.Int(), n, true)
		}
		t.Logf("largest persisted Raft state: %d bytes", largest)
		if largest > maxStateSize {
			c.Fatalf("a peer's persisted state reached %d bytes with a snapshot every %d entries; at most %d (§7)", largest, snapEvery, maxStateSize)
		}
	})
}

// The receiver's side of InstallSnapshot, with the test as the leader (n0
// runs alone): an old snapshot is ignored, one that matches the log keeps the
// entries after it, one past the log replaces it.
func TestInstallSnapshotRules4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{only: []int{0}})
		f := c.fake()
		var entries []Entry
		for k := 1; k <= 9; k++ {
			entries = append(entries, Entry{Term: 1 + k/6, Command: 10 + k}) // 1..5 of term 1, 6..9 of term 2
		}
		// What the test's leader committed, as the service's snapshots see it.
		for _, e := range entries {
			c.Checker().Commit(e.Command)
		}
		snap := func(term, index, lastTerm int) InstallSnapshotReply {
			var reply InstallSnapshotReply
			args := InstallSnapshotArgs{Term: term, LeaderId: 1, LastIncludedIndex: index, LastIncludedTerm: lastTerm, Data: c.Checker().State(index)}
			if !f.cl.Call(0, "Raft.InstallSnapshot", &args, &reply) {
				c.Fatalf("InstallSnapshot to n0 got no reply")
			}
			c.w.Sleep(5 * time.Millisecond)
			return reply
		}
		ae := func(prev, prevTerm int, es []Entry, commit int) bool {
			return f.appendEntries(0, AppendEntriesArgs{Term: 2, LeaderId: 1, PrevLogIndex: prev, PrevLogTerm: prevTerm, Entries: es, LeaderCommit: commit}).Success
		}

		if !ae(0, 0, entries[:5], 3) {
			c.Fatalf("n0 refused entries 1..5")
		}
		c.w.Sleep(5 * time.Millisecond)
		if c.Applied(0) != 3 {
			c.Fatalf("n0 applied up to %d; expected 3", c.Applied(0))
		}
		if r := snap(2, 2, 1); r.Term != 2 || c.Applied(0) != 3 || c.installed() != 0 {
			c.Fatalf("n0 installed a snapshot through index 2, though it had applied up to 3: an older snapshot must be ignored")
		}
		snap(2, 4, 1)
		if c.installed() != 1 || c.Applied(0) != 4 {
			c.Fatalf("n0 did not install the snapshot through index 4 (installed %d, applied up to %d)", c.installed(), c.Applied(0))
		}
		if !ae(5, 1, nil, 5) {
			c.Fatalf("n0 lost entry 5 when it installed a snapshot through 4 that matches its log: keep the entries that follow (Figure 13, step 6)")
		}
		c.w.Sleep(5 * time.Millisecond)
		if c.Applied(0) != 5 {
			c.Fatalf("n0 applied up to %d; expected 5", c.Applied(0))
		}

		snap(2, 8, 2)
		if c.installed() != 2 || c.Applied(0) != 8 {
			c.Fatalf("n0 did not install the snapshot through index 8, past the end of its log (installed %d, applied up to %d)", c.installed(), c.Applied(0))
		}
		if !ae(8, 2, entries[8:9], 9) {
			c.Fatalf("n0 refused entry 9 after the snapshot through 8")
		}
		if !ae(2, 1, entries[2:9], 9) {
			c.Fatalf("n0 refused an AppendEntries that starts inside its snapshot (§7: those entries are committed, so they match)")
		}
		c.w.Sleep(5 * time.Millisecond)
		if c.Applied(0) != 9 {
			c.Fatalf("n0 applied up to %d; expected 9", c.Applied(0))
		}
	})
}
