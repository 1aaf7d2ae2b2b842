package replog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/raft"
	"protolab/tests"
)

// The harness's own checks and helpers are tested in replog/harness, on toy
// engines; here, that a scenario's cluster fails its test, with the failure
// in the trace.

// failure runs body on a fake testing.T, as tests.Run would run a scenario,
// and reports whether it failed. A world stopped for another reason (a
// misuse) is an error of the self-test.
func failure(t *testing.T, body func(st *tests.T)) bool {
	t.Helper()
	ft := &testing.T{}
	var stopped any
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { stopped = recover() }()
		body(&tests.T{T: ft, Seed: 1})
	}()
	<-done
	require.Nil(t, stopped, "the scenario stopped for another reason than the rule under test")
	return ft.Failed()
}

func TestClusterFailsTheTest(t *testing.T) {
	var c *Cluster
	failed := failure(t, func(st *tests.T) {
		c = NewCluster(st, raft.Engine, 3, reliable)
		leader := c.CheckOneLeader()
		c.Disconnect((leader + 1) % 3)
		c.Disconnect((leader + 2) % 3)
		c.One("x", 3, false) // the leader takes it, and no majority can commit it
	})
	defer c.w.Close()
	require.True(t, failed, "a command that cannot commit must fail One")
	var note string
	for _, l := range c.w.Tail(50) {
		if s := fmt.Sprint(l); strings.Contains(s, "test fails: ") {
			note = s
		}
	}
	require.Contains(t, note, `one("x"): 0 of the 3 expected peers applied index 1 within 2s`)
}
