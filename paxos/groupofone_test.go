package paxos

import (
	"testing"

	"protolab/tests/replog"
)

// A group of one peer leads with its own promise and chooses each slot with
// its own acceptance, and applies each command in an event after Start,
// never inside it (tests/replog/groupofone.go).
func TestGroupOfOne5B(t *testing.T) { replog.TestGroupOfOne(t, Engine) }
