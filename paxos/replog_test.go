package paxos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests/replog"
)

// Part 5B runs the replicated-log suite (tests/replog), the same scenarios
// and invariants as Raft's, on Multi-Paxos.

func bootMultiPaxos(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
	return Make(env, p, func(m ApplyMsg) { apply(replog.Msg(m)) })
}

var (
	multiPaxos     = replog.Engine{Name: "multipaxos", Boot: bootMultiPaxos}
	multiPaxosSnap = replog.Engine{Name: "multipaxos", Boot: bootMultiPaxos, SnapshotEvery: 10}
)

func TestReplogBasicAgreement5B(t *testing.T)   { replog.TestBasicAgreement(t, multiPaxos) }
func TestReplogLeaderFailure5B(t *testing.T)    { replog.TestLeaderFailure(t, multiPaxos) }
func TestReplogPartitions5B(t *testing.T)       { replog.TestPartitions(t, multiPaxos) }
func TestReplogConcurrentStarts5B(t *testing.T) { replog.TestConcurrentStarts(t, multiPaxos) }
func TestReplogFollowerCatchUp5B(t *testing.T)  { replog.TestFollowerCatchUp(t, multiPaxos) }
func TestReplogCrashRestart5B(t *testing.T)     { replog.TestCrashRestart(t, multiPaxos) }
func TestReplogChurn5B(t *testing.T)            { replog.TestUnreliableChurn(t, multiPaxos) }
func TestReplogChurnSnapshots5B(t *testing.T)   { replog.TestUnreliableChurn(t, multiPaxosSnap) }
func TestReplogSnapshots5B(t *testing.T)        { replog.TestSnapshots(t, multiPaxosSnap) }
func TestReplogSameSeedSameRun5B(t *testing.T)  { replog.TestSameSeedSameRun(t, multiPaxos) }

// Steady-state Multi-Paxos: phase 1 ran once, when the leader was elected,
// so each command needs one round trip of phase 2 to a majority: 20ms on a
// network of 10ms messages, and one Accept and its reply for each of the
// other peers, 2 × (peers − 1) messages. Virtual time makes both exact.
func TestSteadyStateOneRoundTrip5B(t *testing.T) {
	const n = 5
	m, err := replog.Measure(multiPaxos, n, 50, 1)
	require.NoError(t, err)
	t.Log(m)
	require.Equal(t, float64(2*(n-1)), m.MsgsPerCommit, "messages per command in steady state: one Accept and its reply per follower")
	require.Equal(t, 20*time.Millisecond, m.P50, "one round trip per command")
	require.Equal(t, 20*time.Millisecond, m.P99, "one round trip per command, every time")
}
