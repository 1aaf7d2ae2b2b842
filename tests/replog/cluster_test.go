package replog

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// The harness's own checks and helpers are tested in replog/harness; here,
// that a scenario's cluster fails its test, with the failure in the trace.

// lone is an engine whose peer 0 alone leads, in term 1, and takes commands
// that never commit.
type lone struct{ me int }

func (l *lone) Start(any) (int, int, bool)   { return 1, 1, l.me == 0 }
func (l *lone) GetState() (int, bool)        { return 1, l.me == 0 }
func (l *lone) Snapshot(index int, _ []byte) {}

var lones = replog.Engine{Name: "lone", Boot: func(env labrpc.Env, _ *labrpc.Persister, _ func(replog.Msg)) replog.Peer {
	return &lone{env.Me()}
}}

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
		c = NewCluster(st, lones, 3, reliable)
		require.Equal(t, 0, c.CheckOneLeader())
		c.One("x", 1, false)
	})
	defer c.w.Close()
	require.True(t, failed, "a command that never commits must fail One")
	var note string
	for _, l := range c.w.Tail(50) {
		if s := fmt.Sprint(l); strings.Contains(s, "test fails: ") {
			note = s
		}
	}
	require.Contains(t, note, `one("x"): 0 of the 1 expected peers applied index 1 within 2s`)
}
