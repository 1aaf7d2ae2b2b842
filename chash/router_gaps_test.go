package chash

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Scenarios found by mutation testing (issue 10): situations a learner's
// cache meets that the other 2D tests happened not to set up.

// A member's handoff counters are what an operator watches during a
// migration; they must agree with what the network carried. On a network
// that loses messages, handoffs are retried and refused, and every attempt
// counts once, every key acknowledged once.
func TestCacheStatsCount2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "lossy", 6, 3)
		keys := cacheKeys(300)
		c.load(keys, 4)
		c.join()
		c.settle("the join")
		c.leave(2)
		c.settle("the leave")
		s := c.stats()
		t.Logf("%d Migrate sent (%d seen on the network), %d keys handed off, %d installed", s.MigrateCalls, c.migrateMsgs, s.KeysOut, s.KeysIn)
		require.Equal(t, c.migrateMsgs, int64(s.MigrateCalls), "Stats().MigrateCalls must count every Migrate a member sends, retries included")
		require.Positive(t, s.KeysOut, "a join and a leave hand keys off")
		require.Equal(t, s.KeysIn, s.KeysOut, "with no crash, every key handed off (KeysOut, counted on the acknowledgement) is installed once at its new owner (KeysIn)")
	})
}

// Node ids are the world's, and node 0 is as good a cache member as any:
// here the controller runs on the last node and node 0 holds keys. A
// router that treats owner 0 as "no owner" never reaches it.
func TestCacheMemberZero2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const ctrl = 3
		w := t.NewWorld(labrpc.Config{Nodes: 4, Profile: labrpc.MustProfile("reliable")})
		w.Start(ctrl, func(env labrpc.Env) any { return MakeController(env, []int{0, 1, 2}) })
		for id := range 3 {
			w.Start(id, func(env labrpc.Env) any { return MakeCache(env, ctrl) })
		}
		controller := w.Service(ctrl, "Controller").(*Controller)
		require.True(t, w.WaitUntil(controller.Settled, 5*time.Millisecond, 10*time.Second), "the first configuration is not in place")
		p := newPlacement(controller.Latest())
		key := ""
		for i := 0; key == ""; i++ {
			if k := fmt.Sprintf("key-%d", i); p.owner(k) == 0 {
				key = k
			}
		}
		r := MakeRouter(w.NewClient(), ctrl)
		done, got, gotErr := false, "", Err("")
		w.Go("client", func() {
			r.Put(key, "v")
			got, gotErr = r.Get(key)
			done = true
		})
		require.True(t, w.WaitUntil(func() bool { return done }, time.Millisecond, time.Second),
			"a Put and a Get of %q, owned by node 0, did not finish in a simulated second: the router must route to node 0 like any other member", key)
		require.Equal(t, OK, gotErr)
		require.Equal(t, "v", got)
	})
}
