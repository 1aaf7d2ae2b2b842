package tests

import (
	"time"

	"github.com/anishathalye/porcupine"

	"protolab/tests/history"
	"protolab/tests/nemesis"
)

// The harness's pieces that need no *testing.T live in packages of their own,
// so that the course tool links them without linking testing: the nemesis
// (tests/nemesis) and client histories with their linearizability check
// (tests/history). A test spells them tests.X, as it spells the rest of the
// harness; these names are those packages' own.

type (
	Fault   = nemesis.Fault
	Step    = nemesis.Step
	Nemesis = nemesis.Nemesis
	History = history.History
	Op      = history.Op
)

// BlamePrefix starts a trace note that names an operation porcupine blames.
const BlamePrefix = history.BlamePrefix

var (
	Script         = nemesis.Script
	PartitionInto  = nemesis.PartitionInto
	HealAll        = nemesis.HealAll
	CrashNode      = nemesis.CrashNode
	RestartNode    = nemesis.RestartNode
	Unreliable     = nemesis.Unreliable
	LongReordering = nemesis.LongReordering
	PauseNode      = nemesis.PauseNode
	NewHistory     = history.New
	Linearizable   = history.Linearizable
)

// CheckLinearizable requires that the history is linearizable under model.
// A checker that runs out of time fails the test: an unknown verdict is
// never a pass. On a violation it writes porcupine's HTML visualisation and
// prints its path.
func CheckLinearizable(t *T, model porcupine.Model, h *History, limit time.Duration) {
	t.Helper()
	if err := h.Check(model, limit); err != nil {
		t.Fatalf("%v", err)
	}
}
