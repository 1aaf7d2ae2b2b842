package raft

import (
	"testing"

	"protolab/tests/replog"
)

// The replicated-log suite (tests/replog) runs the same scenarios and
// invariants on Raft as on lab 5B's Multi-Paxos: two engines, one contract.
// They need persistence, hence part 4C; the snapshot scenario needs 4D.

// snapshotting is the engine with the service snapshotting every 10 indexes.
var snapshotting = Engine.WithSnapshots(10)

func TestReplogBasicAgreement4C(t *testing.T)   { replog.TestBasicAgreement(t, Engine) }
func TestReplogLeaderFailure4C(t *testing.T)    { replog.TestLeaderFailure(t, Engine) }
func TestReplogPartitions4C(t *testing.T)       { replog.TestPartitions(t, Engine) }
func TestReplogConcurrentStarts4C(t *testing.T) { replog.TestConcurrentStarts(t, Engine) }
func TestReplogFollowerCatchUp4C(t *testing.T)  { replog.TestFollowerCatchUp(t, Engine) }
func TestReplogCrashRestart4C(t *testing.T)     { replog.TestCrashRestart(t, Engine) }
func TestReplogChurn4C(t *testing.T)            { replog.TestUnreliableChurn(t, Engine) }
func TestReplogSameSeedSameRun4C(t *testing.T)  { replog.TestSameSeedSameRun(t, Engine) }
func TestReplogSnapshots4D(t *testing.T)        { replog.TestSnapshots(t, snapshotting) }
func TestReplogChurnSnapshots4D(t *testing.T)   { replog.TestUnreliableChurn(t, snapshotting) }

// Reads without a log entry (ReadIndex, part 4E) through the replicated-log
// contract's Reader, the scenarios lab 6B's key/value store relies on (and
// runs on both engines from services/kv).
func TestReplogReadIndex4E(t *testing.T)          { replog.TestReadIndexBasic(t, Engine) }
func TestReplogReadIndexDeposed4E(t *testing.T)   { replog.TestReadIndexDeposedLeader(t, Engine) }
func TestReplogReadIndexBatching4E(t *testing.T)  { replog.TestReadIndexBatching(t, Engine) }
func TestReplogReadIndexChurn4E(t *testing.T)     { replog.TestReadIndexChurn(t, Engine) }
func TestReplogReadIndexNewLeader4E(t *testing.T) { replog.TestReadIndexNewLeader(t, Engine) }
