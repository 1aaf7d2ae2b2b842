package raft

import (
	"fmt"
	"testing"

	"protolab/tests"
)

// Cost regressions as failing tests (issue 10): work that a correct but
// careless peer repeats shows up only in the bytes on the wire.

// A new leader over a long log that every peer already holds must not send
// it again: its first guess of each follower's log is its own log's end
// (Figure 2, "Reinitialized after election": nextIndex = leader last log
// index + 1), and a follower that has everything answers the first
// AppendEntries with success. Guessing 1 instead still works, the
// consistency check lets any guess through, but sends the whole log to
// every follower at every election.
func TestReElectionOverLongLogCost4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		const entries, size = 100, 1000
		for i := 0; i < entries; i++ {
			c.One(randomString(c, size), 3, true)
		}
		logBytes := int64(entries * size)

		leader1 := c.CheckOneLeader()
		c.w.Note("the leader is cut off: a new one is elected over a log of %d bytes that both others hold", logBytes)
		c.Disconnect(leader1)
		bytes0, msgs0 := c.w.TotalBytes(), c.w.TotalRPCs()
		c.CheckOneLeader()
		c.One("after the election", 2, true)
		bytes, msgs := c.w.TotalBytes()-bytes0, c.w.TotalRPCs()-msgs0
		t.Logf("from the old leader's loss to the new leader's first commit: %d messages, %d bytes (the log: %d bytes)", msgs, bytes, logBytes)
		if limit := logBytes / 10; bytes > limit {
			c.Fatalf("from the old leader's loss to the new leader's first commit, %d bytes went on the wire, more than %d (a tenth of the %d-byte log the follower already holds): does a new leader start nextIndex below its last index + 1 and send the log again? (Figure 2, nextIndex)", bytes, limit, logBytes)
		}

		c.w.Note("the old leader comes back; it too has the whole log")
		c.Connect(leader1)
		bytes0 = c.w.TotalBytes()
		c.One("with everyone", 3, true)
		if bytes, limit := c.w.TotalBytes()-bytes0, logBytes/10; bytes > limit {
			c.Fatalf("the old leader rejoined holding the whole log, and %d bytes went on the wire before the next command committed on all three, more than %d: entries it has were sent again", bytes, limit)
		}
	})
}

// A leader cut off alone keeps appending: its log ends in entries of its
// own term that nobody else has. The others elect a new leader and commit
// a few entries of theirs; then that leader is cut off in turn and the old
// one comes back. The remaining follower, whose log ends in the newer
// term, becomes leader, and guesses the old leader's log ends where its
// own does: the consistency check fails there. Only the tail differs: the
// follower's reply says which term conflicts and where that term starts
// (§5.3's optimisation), and the leader backs up past it in one step. A
// reply that does not say so sends the leader back to the log's start, and
// the whole log is sent again.
func TestCatchUpAfterConflictCost4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		const entries, size = 100, 1000
		for i := 0; i < entries; i++ {
			c.One(randomString(c, size), 3, true)
		}
		logBytes := int64(entries * size)

		leader1 := c.CheckOneLeader()
		c.w.Note("the leader is cut off and appends entries that nobody else gets")
		c.Disconnect(leader1)
		for i := 0; i < 5; i++ {
			c.raft(leader1).Start(fmt.Sprint("lost ", i))
		}
		leader2 := c.CheckOneLeader()
		for i := 0; i < 3; i++ {
			c.One(fmt.Sprint("new ", i), 2, true)
		}

		c.w.Note("the new leader is cut off and the old one comes back: its last five entries conflict")
		bytes0 := c.w.TotalBytes()
		c.Disconnect(leader2)
		c.Connect(leader1)
		c.One("after the conflict", 2, true)
		bytes := c.w.TotalBytes() - bytes0
		t.Logf("from the old leader's return to a commit with it: %d bytes (the log: %d bytes)", bytes, logBytes)
		if limit := logBytes / 10; bytes > limit {
			c.Fatalf("from the old leader's return to the next commit with it, %d bytes went on the wire, more than %d (a tenth of the %d-byte log, of which only the last entries conflict): does the follower's reply say where its conflicting term starts (ConflictTerm, ConflictIndex, §5.3)?", bytes, limit, logBytes)
		}
		c.Connect(leader2)
		c.One("with everyone", 3, true)
	})
}
