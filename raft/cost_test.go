package raft

import (
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
			c.one(randomString(c, size), 3, true)
		}
		logBytes := int64(entries * size)

		leader1 := c.checkOneLeader()
		c.w.Note("the leader is cut off: a new one is elected over a log of %d bytes that both others hold", logBytes)
		c.disconnect(leader1)
		bytes0, msgs0 := c.w.TotalBytes(), c.w.TotalRPCs()
		c.checkOneLeader()
		c.one("after the election", 2, true)
		bytes, msgs := c.w.TotalBytes()-bytes0, c.w.TotalRPCs()-msgs0
		t.Logf("from the old leader's loss to the new leader's first commit: %d messages, %d bytes (the log: %d bytes)", msgs, bytes, logBytes)
		if limit := logBytes / 10; bytes > limit {
			c.fatalf("from the old leader's loss to the new leader's first commit, %d bytes went on the wire, more than %d (a tenth of the %d-byte log the follower already holds): does a new leader start nextIndex below its last index + 1 and send the log again? (Figure 2, nextIndex)", bytes, limit, logBytes)
		}

		c.w.Note("the old leader comes back; it too has the whole log")
		c.connect(leader1)
		bytes0 = c.w.TotalBytes()
		c.one("with everyone", 3, true)
		if bytes, limit := c.w.TotalBytes()-bytes0, logBytes/10; bytes > limit {
			c.fatalf("the old leader rejoined holding the whole log, and %d bytes went on the wire before the next command committed on all three, more than %d: entries it has were sent again", bytes, limit)
		}
	})
}
