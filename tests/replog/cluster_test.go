package replog

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// The invariants must be able to fail: liar engines break each one, and the
// cluster's check must stop the run with a message that names the rule.

// liar is an engine whose peers apply whatever script says, with no
// agreement at all.
type liar struct {
	env    labrpc.Env
	script func(me int, apply func(replog.Msg))
}

func (l *liar) Start(any) (int, int, bool)   { return -1, 0, false }
func (l *liar) GetState() (int, bool)        { return 0, false }
func (l *liar) Snapshot(index int, _ []byte) {}

func liarEngine(script func(me int, apply func(replog.Msg))) replog.Engine {
	return replog.Engine{Name: "liar", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		env.After(10*time.Millisecond, func() { script(env.Me(), apply) })
		return &liar{env: env}
	}}
}

// runLiar runs the script on three peers for a second and returns the error
// that stopped the run.
func runLiar(t *testing.T, script func(me int, apply func(replog.Msg))) error {
	c := newCluster(&tests.T{T: t, Seed: 1}, liarEngine(script), 3, reliable, 0)
	defer c.w.Close()
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := labrpc.IsStopped(r); !ok {
					panic(r)
				}
			}
		}()
		c.w.Sleep(time.Second)
	}()
	return c.w.Err()
}

func cmd(index int, command any) replog.Msg {
	return replog.Msg{CommandValid: true, Command: command, CommandIndex: index}
}

func TestInvariantDifferentCommandsAtOneIndex(t *testing.T) {
	err := runLiar(t, func(me int, apply func(replog.Msg)) { apply(cmd(1, 100+me)) })
	require.ErrorContains(t, err, "two commands committed at one index")
}

func TestInvariantGapAndRepeat(t *testing.T) {
	err := runLiar(t, func(me int, apply func(replog.Msg)) { apply(cmd(2, "x")) })
	require.ErrorContains(t, err, "right after index 0 (a gap)")
	err = runLiar(t, func(me int, apply func(replog.Msg)) { apply(cmd(1, "x")); apply(cmd(1, "x")) })
	require.ErrorContains(t, err, "right after index 1 (a repeat)")
}

func TestInvariantSnapshotMustMatchCommits(t *testing.T) {
	err := runLiar(t, func(me int, apply func(replog.Msg)) {
		if me == 0 {
			apply(cmd(1, "x"))
			return
		}
		apply(replog.Msg{SnapshotValid: true, Snapshot: replog.EncodeSnapshot(1, 12345), SnapshotIndex: 1})
	})
	require.ErrorContains(t, err, "whose state is not that of the commands committed")
	err = runLiar(t, func(me int, apply func(replog.Msg)) {
		apply(replog.Msg{SnapshotValid: true, Snapshot: []byte("junk"), SnapshotIndex: 3})
	})
	require.ErrorContains(t, err, "whose data is not the service's")
}

func TestSummarize(t *testing.T) {
	var lat []time.Duration
	for i := 100; i >= 1; i-- {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	m := Summarize(lat, 400, 20000)
	require.Equal(t, 100, m.Commits)
	require.Equal(t, 8.0, m.MsgsPerCommit, "each RPC is a request and a reply")
	require.Equal(t, 200.0, m.BytesPerCommit)
	require.Equal(t, 50*time.Millisecond, m.P50)
	require.Equal(t, 99*time.Millisecond, m.P99)
}
