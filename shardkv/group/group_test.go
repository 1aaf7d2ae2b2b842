package group

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/kvsrv"
	"protolab/replog"
	"protolab/shardkv/ctrler"
	"protolab/tests"
)

// Part 7B: groups that serve their shards, and move them.

// One group, then three: every key stays readable, each group serves
// exactly the shards its config gives it, and a group asked for another's
// key says ErrWrongGroup.
func TestStaticShards7B(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, "reliable")
		join(t, c, 1, 2, 3)
		ck := c.Clerk()
		keys := keysOverShards(30)
		for i, k := range keys {
			require.Equal(t, OK, ck.Put(k, fmt.Sprint(i), 0), "Put(%s)", k)
		}
		for i, k := range keys {
			v, ver, err := ck.Get(k)
			require.Equal(t, OK, err, "Get(%s)", k)
			require.Equal(t, fmt.Sprint(i), v)
			require.Equal(t, Tversion(1), ver)
		}
		cfg := c.Admin().Query(-1)
		for _, gid := range c.GIDs() {
			leader := c.Server(c.Leader(gid))
			for s := 0; s < ctrler.NShards; s++ {
				require.Equal(t, cfg.Shards[s] == gid, leader.Serving(s), "g%d serving shard %d: its config gives the shard to g%d", gid, s, cfg.Shards[s])
			}
		}
		// Ask a group directly for a key it does not serve.
		for _, k := range keys {
			s := ctrler.Key2Shard(k)
			for _, gid := range c.GIDs() {
				if cfg.Shards[s] == gid {
					continue
				}
				var reply GetReply
				ok := c.W.NewClient().Call(c.Leader(gid), MethodGet, &GetArgs{Key: k}, &reply)
				require.True(t, ok)
				require.Equal(t, ErrWrongGroup, reply.Err, "g%d asked for %s (shard %d, g%d's)", gid, k, s, cfg.Shards[s])
				return
			}
		}
	})
}

// Groups join and leave while clients write: the history is linearizable
// (porcupine, keys across shards), and every group ends in the last config.
func TestJoinLeave7B(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, "reliable")
		join(t, c, 1)
		h := tests.NewHistory(c.W)
		workload(c, h, 4, 4*time.Second, keysOverShards(12))
		for _, step := range []func() error{
			func() error { return c.Join(2) },
			func() error { return c.Join(3) },
			func() error { return c.Leave(1) },
			func() error { return c.Join(1) },
			func() error { return c.Leave(2) },
		} {
			c.W.Sleep(500 * time.Millisecond)
			require.NoError(t, step())
		}
		require.True(t, c.W.RunUntilDone(30*time.Second), "clients still running: %s", c.describe())
		settle(t, c, "the last change")
		require.Greater(t, h.Len(), 50)
		tests.CheckLinearizable(t, kvsrv.Model, h, 20*time.Second)
	})
}
