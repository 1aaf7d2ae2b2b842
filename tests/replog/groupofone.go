package replog

import (
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// TestGroupOfOne: a group of one peer leads alone and commits alone, and
// hands each command to apply in an event of its own, after Start has
// returned: a service learns a command's index from Start and waits for
// that index, so an engine that applies inside Start (its own acceptance
// is already a majority of one) answers before anyone waits, and the
// service's request times out. A sharded store's groups of one server
// (lab 7) are such services.
func TestGroupOfOne(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 1})
		var peer replog.Peer
		inStart := false
		var applied []any
		var insideStart []int // the indexes applied while Start was running
		w.Start(0, func(env labrpc.Env) any {
			peer = e.Boot(env, env.Persister(), func(m replog.Msg) {
				if !m.CommandValid {
					return
				}
				if inStart {
					insideStart = append(insideStart, m.CommandIndex)
				}
				if _, ok := m.Command.(int); ok {
					applied = append(applied, m.Command)
				}
			})
			return peer
		})
		w.Sleep(2 * time.Second)
		if _, isLeader := peer.GetState(); !isLeader {
			t.Fatalf("a group of one peer has no leader after %v: with no one to ask, the peer's own vote (or promise) is a majority", w.Now())
		}
		for cmd := 1; cmd <= 5; cmd++ {
			inStart = true
			_, _, ok := peer.Start(cmd)
			inStart = false
			if !ok {
				t.Fatalf("Start(%d) on the only peer, which leads, returned false", cmd)
			}
			if len(insideStart) > 0 {
				t.Fatalf("the peer applied index %d inside Start(%d), before Start returned its index: apply must run in an event of its own (a group of one commits there), since the service waits for the index Start gives it", insideStart[0], cmd)
			}
			w.Sleep(100 * time.Millisecond)
			if len(applied) != cmd {
				t.Fatalf("after Start(%d) and 100ms, the only peer applied %d of the %d commands started: a group of one commits with its own acceptance", cmd, len(applied), cmd)
			}
		}
	})
}
