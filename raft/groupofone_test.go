package raft

import (
	"testing"

	"protolab/tests/replog"
)

// A group of one peer elects itself and commits alone, and applies each
// command in an event after Start, never inside it (tests/replog/groupofone.go).
func TestGroupOfOne4B(t *testing.T) { replog.TestGroupOfOne(t, Engine) }
