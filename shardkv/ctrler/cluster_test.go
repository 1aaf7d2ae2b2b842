package ctrler

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/tests"
)

// The 7A tests run the controller on both engines, as lab 6's services do:
// go test ./shardkv/ctrler -run 'TestLinearizable7A/paxos'.

var engines = []replog.Engine{raft.Engine, paxos.Engine}

func forEngine(t *testing.T, body func(t *tests.T, e replog.Engine)) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) { tests.Run(t, func(t *tests.T) { body(t, e) }) })
	}
}

// ctrl is a controller in a world of its own: its servers on nodes
// 0..n-1, and, when asked, a few nodes before them that are not its (so
// that GroupEnv's renumbering is exercised).
type ctrl struct {
	t *tests.T
	w *labrpc.World
	*Cluster
}

func newCtrl(t *tests.T, e replog.Engine, n, maxSize int, profile string) *ctrl {
	return newCtrlAt(t, e, 0, n, maxSize, profile)
}

// newCtrlAt puts the controller's n servers on nodes first..first+n-1.
func newCtrlAt(t *tests.T, e replog.Engine, first, n, maxSize int, profile string) *ctrl {
	w := t.NewWorld(labrpc.Config{Nodes: first + n, Profile: labrpc.MustProfile(profile)})
	var servers []int
	for i := first; i < first+n; i++ {
		servers = append(servers, i)
	}
	c, err := StartCluster(w, e, servers, maxSize)
	require.NoError(t, err)
	return &ctrl{t: t, w: w, Cluster: c}
}

// group is the server list the tests give gid: made up, the controller
// only records it.
func group(gid int) []int { return []int{100 + 3*gid, 101 + 3*gid, 102 + 3*gid} }

func groups(gids ...int) map[int][]int {
	m := map[int][]int{}
	for _, gid := range gids {
		m[gid] = group(gid)
	}
	return m
}

// checkConfig requires what every config must hold: its Num, each shard on
// one of its groups (or every shard on gid 0 when there are none), and no
// group above ⌈1.25·NShards/groups⌉ except by shards pinned there.
func checkConfig(t testing.TB, c Config, num int, wantGIDs []int, pinned map[int]int) {
	t.Helper()
	require.Equal(t, num, c.Num, "config number: every Join, Leave and Move makes the next config, numbered one more")
	require.Equal(t, wantGIDs, c.GIDs(), "config %d's groups", c.Num)
	for gid, servers := range c.Groups {
		require.Equal(t, group(gid), servers, "config %d: the servers of gid %d", c.Num, gid)
	}
	if len(wantGIDs) == 0 {
		require.Equal(t, [NShards]int{}, c.Shards, "config %d has no groups: every shard on gid 0", c.Num)
		return
	}
	load := make(map[int]int)
	for s, gid := range c.Shards {
		require.Contains(t, wantGIDs, gid, "config %d: shard %d on gid %d, which is not one of its groups %v", c.Num, s, gid, wantGIDs)
		if _, isPinned := pinned[s]; !isPinned {
			load[gid]++
		}
	}
	limit := (5*NShards + 4*len(wantGIDs) - 1) / (4 * len(wantGIDs)) // ⌈1.25·NShards/groups⌉
	for _, gid := range wantGIDs {
		require.LessOrEqual(t, load[gid], limit, "config %d: gid %d holds %d shards %v; with %d groups none may hold more than ⌈1.25·%d/%d⌉ = %d",
			c.Num, gid, load[gid], c.ShardsOf(gid), len(wantGIDs), NShards, len(wantGIDs), limit)
	}
}

// moved counts the shards whose group differs between two configs.
func moved(a, b Config) int {
	n := 0
	for s := range a.Shards {
		if a.Shards[s] != b.Shards[s] {
			n++
		}
	}
	return n
}

// agree requires that every live replica has applied the same configs, as
// the clerk saw them: a controller whose replicas compute different
// placements (a map iterated where the order matters) gives each group its
// own idea of who owns what.
func (c *ctrl) agree(ck *Clerk) {
	c.t.Helper()
	latest := ck.Query(-1)
	ok := c.w.WaitUntil(func() bool {
		for _, id := range c.Servers {
			if sc := c.Server(id); sc != nil && sc.NumConfigs() <= latest.Num {
				return false
			}
		}
		return true
	}, 10*time.Millisecond, 5*time.Second)
	require.True(c.t, ok, "a live replica did not apply config %d within 5s", latest.Num)
	for num := 0; num <= latest.Num; num++ {
		want := ck.Query(num)
		for _, id := range c.Servers {
			sc := c.Server(id)
			if sc == nil {
				continue
			}
			got := sc.cfg.query(num)
			require.True(c.t, sameConfig(got, want), "replica n%d's config %d is %s, the controller answered %s: replicas that apply the same operations must compute the same configs (iterate gids sorted, never a map)",
				id, num, describe(got), describe(want))
		}
	}
}

func sameConfig(a, b Config) bool {
	if a.Num != b.Num || a.Shards != b.Shards || len(a.Groups) != len(b.Groups) {
		return false
	}
	for gid, servers := range a.Groups {
		if other, ok := b.Groups[gid]; !ok || !slices.Equal(servers, other) {
			return false
		}
	}
	return true
}

func describe(c Config) string {
	return fmt.Sprintf("{Num %d, Shards %v, gids %v}", c.Num, c.Shards, c.GIDs())
}
