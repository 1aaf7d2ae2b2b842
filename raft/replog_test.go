package raft

import (
	"testing"

	"protolab/labrpc"
	"protolab/tests/replog"
)

// The replicated-log suite (tests/replog) runs the same scenarios and
// invariants on Raft as on lab 5B's Multi-Paxos: two engines, one contract.
// They need persistence, hence part 4C; the snapshot scenario needs 4D.

func bootRaft(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
	return Make(env, p, func(m ApplyMsg) { apply(replog.Msg(m)) })
}

var (
	raftEngine     = replog.Engine{Name: "raft", Boot: bootRaft}
	raftEngineSnap = replog.Engine{Name: "raft", Boot: bootRaft, SnapshotEvery: 10}
)

func TestReplogBasicAgreement4C(t *testing.T)   { replog.TestBasicAgreement(t, raftEngine) }
func TestReplogLeaderFailure4C(t *testing.T)    { replog.TestLeaderFailure(t, raftEngine) }
func TestReplogPartitions4C(t *testing.T)       { replog.TestPartitions(t, raftEngine) }
func TestReplogConcurrentStarts4C(t *testing.T) { replog.TestConcurrentStarts(t, raftEngine) }
func TestReplogFollowerCatchUp4C(t *testing.T)  { replog.TestFollowerCatchUp(t, raftEngine) }
func TestReplogCrashRestart4C(t *testing.T)     { replog.TestCrashRestart(t, raftEngine) }
func TestReplogChurn4C(t *testing.T)            { replog.TestUnreliableChurn(t, raftEngine) }
func TestReplogSameSeedSameRun4C(t *testing.T)  { replog.TestSameSeedSameRun(t, raftEngine) }
func TestReplogSnapshots4D(t *testing.T)        { replog.TestSnapshots(t, raftEngineSnap) }
func TestReplogChurnSnapshots4D(t *testing.T)   { replog.TestUnreliableChurn(t, raftEngineSnap) }
