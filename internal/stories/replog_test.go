package stories

import (
	"strings"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/replog"
)

// splitBrain is an engine whose peers each apply their own number at index
// 1: no agreement at all.
type splitBrain struct{}

func (*splitBrain) Start(any) (int, int, bool)   { return -1, 0, false }
func (*splitBrain) GetState() (int, bool)        { return 0, false }
func (*splitBrain) Snapshot(index int, _ []byte) {}

// The runner's checks can fail: an engine that applies two commands at one
// index is caught at that step, and the run fails that check.
func TestRunReplogCatchesTwoCommandsAtOneIndex(t *testing.T) {
	engine := replog.Engine{Name: "splitbrain", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		env.After(10*time.Millisecond, func() { apply(replog.Msg{CommandValid: true, Command: env.Me(), CommandIndex: 1}) })
		return &splitBrain{}
	}}
	rn := Runner{Name: "splitbrain", Summary: "disagrees", Nodes: 3, Load: 10,
		Run: func(r *Run) error { return runReplog(r, engine) }}
	r := rn.Execute(labrpc.Config{Seed: 1, Nodes: 3}, time.Second, Config{Load: 10})
	for _, c := range r.Checks {
		if c.Name == "log and election safety" {
			if c.OK || !strings.Contains(c.Error, "splitbrain: n1 applied 1 at index 1, but n0 applied 0 there") {
				t.Errorf("the check is %+v", c)
			}
			return
		}
	}
	t.Errorf("no log safety check among %+v", r.Checks)
}
