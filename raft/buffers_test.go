package raft

import (
	"testing"

	"protolab/tests/replog"
)

// A service that reuses its buffers: Raft must keep its own copy of the bytes
// it is handed (a snapshot, a []byte command), or the caller's next use of the
// buffer changes what Raft persists, sends and applies. The scenarios are the
// replicated-log suite's (tests/replog/buffers.go), shared with lab 5B.

func TestSnapshotKeepsItsOwnCopy4D(t *testing.T) { replog.TestSnapshotKeepsItsOwnCopy(t, Engine) }
func TestStartKeepsItsOwnCopy4B(t *testing.T)    { replog.TestStartKeepsItsOwnCopy(t, Engine) }
