package paxos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/replog/harness"
	"protolab/tests/replog"
)

// Part 5B runs the replicated-log suite (tests/replog), the same scenarios
// and invariants as Raft's, on Multi-Paxos.

var (
	// multiPaxos is the engine that paxos's own replicated-log tests run
	// (multipaxos_test.go); snapshotting is it with the service
	// snapshotting every 10 indexes.
	multiPaxos   = Engine
	snapshotting = Engine.WithSnapshots(10)
)

func TestReplogBasicAgreement5B(t *testing.T)   { replog.TestBasicAgreement(t, Engine) }
func TestReplogLeaderFailure5B(t *testing.T)    { replog.TestLeaderFailure(t, Engine) }
func TestReplogPartitions5B(t *testing.T)       { replog.TestPartitions(t, Engine) }
func TestReplogConcurrentStarts5B(t *testing.T) { replog.TestConcurrentStarts(t, Engine) }
func TestReplogFollowerCatchUp5B(t *testing.T)  { replog.TestFollowerCatchUp(t, Engine) }
func TestReplogCrashRestart5B(t *testing.T)     { replog.TestCrashRestart(t, Engine) }
func TestReplogChurn5B(t *testing.T)            { replog.TestUnreliableChurn(t, Engine) }
func TestReplogChurnSnapshots5B(t *testing.T)   { replog.TestUnreliableChurn(t, snapshotting) }
func TestReplogSnapshots5B(t *testing.T)        { replog.TestSnapshots(t, snapshotting) }
func TestReplogSameSeedSameRun5B(t *testing.T)  { replog.TestSameSeedSameRun(t, Engine) }

// Steady-state Multi-Paxos: phase 1 ran once, when the leader was elected,
// so each command needs one round trip of phase 2 to a majority: 20ms on a
// network of 10ms messages, and one Accept and its reply for each of the
// other peers, 2 × (peers − 1) messages. Virtual time makes both exact.
func TestSteadyStateOneRoundTrip5B(t *testing.T) {
	const n = 5
	m, err := harness.Measure(Engine, n, 50, 1)
	require.NoError(t, err)
	t.Log(m)
	require.Equal(t, float64(2*(n-1)), m.MsgsPerCommit, "messages per command in steady state: one Accept and its reply per follower")
	require.Equal(t, 20*time.Millisecond, m.P50, "one round trip per command")
	require.Equal(t, 20*time.Millisecond, m.P99, "one round trip per command, every time")
}

// Reads without a log entry (readindex.go, part 6B): Multi-Paxos's ReadIndex
// through the replicated-log contract's Reader, the scenarios lab 6B's
// key/value store relies on (and runs on both engines from services/kv).
// Here so that paxos's mutants of ReadIndex are checked by its own tests.
func TestReplogReadIndex6B(t *testing.T)          { replog.TestReadIndexBasic(t, Engine) }
func TestReplogReadIndexDeposed6B(t *testing.T)   { replog.TestReadIndexDeposedLeader(t, Engine) }
func TestReplogReadIndexBatching6B(t *testing.T)  { replog.TestReadIndexBatching(t, Engine) }
func TestReplogReadIndexChurn6B(t *testing.T)     { replog.TestReadIndexChurn(t, Engine) }
func TestReplogReadIndexNewLeader6B(t *testing.T) { replog.TestReadIndexNewLeader(t, Engine) }
