package raft

import (
	"testing"
	"time"

	"protolab/tests"
)

// Part 4F: batching and pipelining (thesis §10.2.1, pipeline.go).

// Batching and pipelining (thesis §10.2.1), on the benchmarks' network: five
// peers, every message 10 ms one way. Ten clients start 1,000 commands a
// second in all; the leader commits them in about one round trip (the median
// from Start to the leader's apply at most 30 ms) for at most one message per
// command, heartbeats included, a request and its reply being two (sending
// each command on its own costs 2 × 4 = 8). Then one client starts one
// command at a time, and each commits in one round trip (median at most
// 25 ms): a command that finds nothing on its way to the followers goes out at
// once. BenchmarkAgreement and BenchmarkLoneCommit run the same loads.
func TestBatchedAgreementEfficiency4F(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newClusterIn(t, t.NewWorld(benchWorldConfig(5)), 5, benchClusterConfig)
		m, _, err := agreementLoad(500).measure(c)
		if err != nil {
			c.Fatalf("%v", err)
		}
		t.Logf("1,000 commands a second from 10 clients: %v", m)
		if m.P50 > 30*time.Millisecond {
			c.Fatalf("at 1,000 commands a second, the median commit took %v from Start to the leader's apply; at most 30ms, about one round trip: send new entries without waiting for the next heartbeat", m.P50)
		}
		if m.MsgsPerCommit > 1 {
			c.Fatalf("at 1,000 commands a second, each commit cost %.2f messages (requests and replies, heartbeats included); at most 1: send the entries started meanwhile together, in one AppendEntries per follower every few milliseconds, not one per Start (thesis §10.2.1)", m.MsgsPerCommit)
		}

		m, _, err = load{clients: 1, commands: 100}.measure(c)
		if err != nil {
			c.Fatalf("%v", err)
		}
		t.Logf("one command at a time: %v", m)
		if m.P50 > 25*time.Millisecond {
			c.Fatalf("with one command at a time, the median commit took %v from Start to the leader's apply; at most 25ms, one round trip: a command that finds nothing on its way to a follower should go out at once", m.P50)
		}
	})
}
