package kv

import (
	"testing"

	"protolab/paxos"
	"protolab/raft"
	"protolab/tests/replog"
)

// Part 6B's second read path: a Get served without a log entry, through the
// engine's ReadIndex (replog.Reader: Raft's thesis §6.4, and its Multi-Paxos
// equivalent in paxos/readindex.go). These run the replicated-log suite's
// ReadIndex scenarios (tests/replog/readindex.go) on both engines: what the
// store relies on when it calls ReadIndex, waits until it has applied the
// index, and answers from its own state.
//
//   - a read after a write returns an index at or above the write's, and a
//     follower refuses (TestReadIndex{Raft,Paxos}6B);
//   - a leader cut off from the majority serves no read begun after the
//     cut, while the others commit new writes (TestReadIndexDeposed*6B);
//   - the first reads on a new leader see the write its predecessor
//     completed just before it was cut off (TestReadIndexNewLeader*6B);
//   - ten reads begun together share one round of heartbeats
//     (TestReadIndexBatching*6B, which logs the RPCs with -v);
//   - under partitions, crashes and loss, every read served is at or above
//     every index applied before it began (TestReadIndexChurn*6B);
//   - the same seed gives the same run (TestReadIndexTwice*6B).

func TestReadIndexRaft6B(t *testing.T)           { replog.TestReadIndexBasic(t, raft.Engine) }
func TestReadIndexPaxos6B(t *testing.T)          { replog.TestReadIndexBasic(t, paxos.Engine) }
func TestReadIndexDeposedRaft6B(t *testing.T)    { replog.TestReadIndexDeposedLeader(t, raft.Engine) }
func TestReadIndexDeposedPaxos6B(t *testing.T)   { replog.TestReadIndexDeposedLeader(t, paxos.Engine) }
func TestReadIndexNewLeaderRaft6B(t *testing.T)  { replog.TestReadIndexNewLeader(t, raft.Engine) }
func TestReadIndexNewLeaderPaxos6B(t *testing.T) { replog.TestReadIndexNewLeader(t, paxos.Engine) }
func TestReadIndexBatchingRaft6B(t *testing.T)   { replog.TestReadIndexBatching(t, raft.Engine) }
func TestReadIndexBatchingPaxos6B(t *testing.T)  { replog.TestReadIndexBatching(t, paxos.Engine) }
func TestReadIndexChurnRaft6B(t *testing.T)      { replog.TestReadIndexChurn(t, raft.Engine) }
func TestReadIndexChurnPaxos6B(t *testing.T)     { replog.TestReadIndexChurn(t, paxos.Engine) }
func TestReadIndexTwiceRaft6B(t *testing.T)      { replog.TestReadIndexSameSeedSameRun(t, raft.Engine) }
func TestReadIndexTwicePaxos6B(t *testing.T)     { replog.TestReadIndexSameSeedSameRun(t, paxos.Engine) }
