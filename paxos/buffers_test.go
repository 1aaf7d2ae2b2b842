package paxos

import (
	"testing"

	"protolab/tests/replog"
)

// A service that reuses its buffers: a Multi-Paxos peer must keep its own copy
// of the bytes it is handed (a snapshot, a []byte command), or the caller's
// next use of the buffer changes what the peer persists, sends and applies.
// The scenarios are the replicated-log suite's (tests/replog/buffers.go),
// shared with lab 4; they leave a new leader's no-ops out of what is applied.

func TestSnapshotKeepsItsOwnCopy5B(t *testing.T) { replog.TestSnapshotKeepsItsOwnCopy(t, Engine) }
func TestStartKeepsItsOwnCopy5B(t *testing.T)    { replog.TestStartKeepsItsOwnCopy(t, Engine) }
