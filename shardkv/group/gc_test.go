package group

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/replog"
	"protolab/shardkv/ctrler"
	"protolab/tests"
)

// Part 7C: bounded storage, and shards served through a migration.

// After many moves, each group stores the keys of the shards it owns, and
// nothing else: every copy it handed off was deleted once its receiver had
// it. Without the deletes, each group keeps a copy of every shard it ever
// lost.
func TestDeleteHandedOffShards7C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, 3000, "reliable")
		join(t, c, 1, 2, 3)
		ck := c.Clerk()
		keys := keysOverShards(30)
		perShard := map[int]int{}
		value := strings.Repeat("v", 100)
		for _, k := range keys {
			require.Equal(t, OK, ck.Put(k, value, 0))
			perShard[ctrler.Key2Shard(k)]++
		}
		owned := func(cfg ctrler.Config, gid int) (n int) {
			for _, s := range cfg.ShardsOf(gid) {
				n += perShard[s]
			}
			return n
		}
		most := 0
		for round, gid := range []int{1, 2, 3, 1, 2, 3} {
			leave(t, c, gid)
			join(t, c, gid)
			cfg := c.Admin().Query(-1)
			bounded := func() bool {
				for _, id := range c.Servers() {
					if kv := c.Server(id); kv != nil {
						if n, _ := kv.Stored(); n > owned(cfg, kv.Gid()) {
							return false
						}
					}
				}
				return true
			}
			if !c.W.WaitUntil(bounded, 10*time.Millisecond, 2*time.Second) {
				for _, id := range c.Servers() {
					n, b := c.Server(id).Stored()
					t.Logf("n%d (g%d): %d keys, %d bytes stored; it owns %d keys in config %d", id, c.Server(id).Gid(), n, b, owned(cfg, c.Server(id).Gid()), cfg.Num)
				}
				t.Fatalf("round %d (g%d left and joined again): a group stores more keys than its shards hold, 2s after every group settled in config %d: the copies it handed off were not deleted", round, gid, cfg.Num)
			}
			for _, id := range c.Servers() {
				n, _ := c.Server(id).Stored()
				most = max(most, n)
			}
		}
		t.Logf("after 12 changes, at most %d of the %d keys stored by one server", most, len(keys))
		for _, k := range keys {
			v, ver, err := ck.Get(k)
			require.Equal(t, OK, err)
			require.Equal(t, value, v)
			require.Equal(t, Tversion(1), ver)
		}
	})
}

// served notes when the operations on each key complete.
type served struct {
	at map[string][]time.Duration
}

// hammer runs a client per key that Gets and Puts its key until until, an
// operation every 10ms or so, noting in sv when each one completes.
func hammer(c *Cluster, keys []string, until time.Duration) *served {
	sv := &served{at: map[string][]time.Duration{}}
	for i, k := range keys {
		ck := c.Clerk()
		c.W.Go(fmt.Sprint("hammer", i), func() {
			for j := 0; ck.Client().Now() < until; j++ {
				_, ver, _ := ck.Get(k)
				sv.at[k] = append(sv.at[k], ck.Client().Now())
				ck.Client().Sleep(10 * time.Millisecond)
				ck.Put(k, fmt.Sprint(j), ver)
				sv.at[k] = append(sv.at[k], ck.Client().Now())
				ck.Client().Sleep(10 * time.Millisecond)
			}
		})
	}
	return sv
}

// buckets counts the completions on key in each slice of width step of
// [from, to).
func (sv *served) buckets(key string, from, to, step time.Duration) []int {
	n := make([]int, int((to-from+step-1)/step))
	for _, at := range sv.at[key] {
		if at >= from && at < to {
			n[int((at-from)/step)]++
		}
	}
	return n
}

// A shard that does not move is served while another shard migrates: g2
// gains a shard from g1, which it cannot reach for 1.5s; g2's other shards,
// and g1's, must be served all along.
func TestUnaffectedShardsServedDuringMigration7C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 2, -1, "reliable")
		join(t, c, 1, 2)
		cfg := c.Admin().Query(-1)
		moving := cfg.ShardsOf(1)[0]
		stay1, stay2 := cfg.ShardsOf(1)[1:], cfg.ShardsOf(2)
		keys := []string{keyIn(stay1[0]), keyIn(stay2[0]), keyIn(stay2[1])} // shards that stay on g1, on g2
		t.Logf("keys %v in shards %d (g1), %d and %d (g2)", keys, stay1[0], stay2[0], stay2[1])
		c.W.Partition(c.Groups[1], c.Groups[2])
		start := c.W.Now()
		window := 1500 * time.Millisecond
		sv := hammer(c, keys, start+window+500*time.Millisecond)
		require.NoError(t, c.Admin().Move(moving, 2))
		from := c.W.Now() + 300*time.Millisecond // the groups reach the new config
		c.W.Sleep(from + window - c.W.Now())
		require.Equal(t, "pulling", c.Server(c.Leader(2)).ShardStates()[moving], "the scenario needs shard %d still on its way to g2: %s", moving, c.describe())
		for _, k := range keys {
			b := sv.buckets(k, from, from+window, 100*time.Millisecond)
			t.Logf("shard %d on its way from g1 to g2, cut off from each other; operations completed on %s (shard %d), per 100ms: %v", moving, k, ctrler.Key2Shard(k), b)
			for i, n := range b {
				require.Greater(t, n, 0, "no operation on %s (shard %d, not moving) completed in [%v, %v) of the migration: shards that stay must be served while another one migrates", k, ctrler.Key2Shard(k), time.Duration(i)*100*time.Millisecond, time.Duration(i+1)*100*time.Millisecond)
			}
		}
		c.W.Heal()
		require.True(t, c.W.RunUntilDone(20*time.Second))
		settle(t, c, "the heal")
	})
}

// A shard is served as soon as it arrives: a joining group gains shards
// from two groups, one of which it cannot reach; the shards that arrived
// from the other are served at once, not after the whole config is in.
func TestShardServedAsSoonAsItArrives7C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, "reliable")
		join(t, c, 1, 2)
		before := c.Admin().Query(-1)
		c.W.Partition(c.Groups[2], c.Groups[3])
		require.NoError(t, c.Join(3))
		after := c.Admin().Query(-1)
		var fromG1, fromG2 []int
		for _, s := range after.ShardsOf(3) {
			if before.Shards[s] == 1 {
				fromG1 = append(fromG1, s)
			} else {
				fromG2 = append(fromG2, s)
			}
		}
		require.True(t, len(fromG1) > 0 && len(fromG2) > 0, "the scenario needs g3 to gain shards from g1 and g2 (config %v → %v)", before.Shards, after.Shards)
		ck := c.Clerk()
		var done []string
		c.W.Go("reader", func() {
			for _, s := range fromG1 {
				_, _, err := ck.Get(keyIn(s))
				done = append(done, fmt.Sprint(s, ":", err))
			}
		})
		ok := c.W.WaitUntil(func() bool { return len(done) == len(fromG1) }, 10*time.Millisecond, 1500*time.Millisecond)
		require.True(t, ok, "g3's shards %v from g1 were not served within 1.5s of the join, while its shards %v from g2 (cut off) were still on their way: a shard must be served as soon as it arrives. %s", fromG1, fromG2, c.describe())
		leader := c.Server(c.Leader(3))
		for _, s := range fromG2 {
			require.False(t, leader.Serving(s), "g3 serves shard %d, which cannot have arrived", s)
		}
		t.Logf("g3 served shards %v (from g1) by %v; shards %v (from g2) still on their way: %v", fromG1, c.W.Now(), fromG2, slices.Clone(done))
		c.W.Heal()
		settle(t, c, "the heal")
	})
}

// The old owner keeps its copy until the receiver has it, then deletes it:
// g2 pulls a shard from g1, and g1's answers are lost for 500ms (the pulls
// reach g1, the replies never reach g2). An old owner that deleted its copy
// on answering a pull has nothing left to send once the replies get
// through.
func TestCopyKeptUntilReceived7C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 2, -1, "reliable")
		join(t, c, 1, 2)
		s := c.Admin().Query(-1).ShardsOf(1)[0]
		k := keyIn(s)
		ck := c.Clerk()
		require.Equal(t, OK, ck.Put(k, "kept", 0))
		cut := func(on bool) {
			for _, from := range c.Groups[1] {
				for _, to := range c.Groups[2] {
					if on {
						c.W.Cut(from, to)
					} else {
						c.W.Uncut(from, to)
					}
				}
			}
		}
		cut(true)
		require.NoError(t, c.Admin().Move(s, 2))
		c.W.Sleep(500 * time.Millisecond) // g2 pulls at every tick; g1's answers are lost
		require.Equal(t, "pulling", c.Server(c.Leader(2)).ShardStates()[s], "the scenario needs shard %d still on its way", s)
		cut(false)
		settle(t, c, "g1's answers got through")
		v, ver, err := ck.Get(k)
		require.Equal(t, OK, err, "Get(%s) after its shard %d moved", k, s)
		require.Equal(t, "kept", v)
		require.Equal(t, Tversion(1), ver)
		deleted := func() bool {
			for _, id := range c.Groups[1] {
				if kv := c.Server(id); kv != nil && kv.m.out[s] != nil {
					return false
				}
			}
			return true
		}
		require.True(t, c.W.WaitUntil(deleted, 10*time.Millisecond, 2*time.Second), "g1 still holds its copy of shard %d 2s after g2 settled with it", s)
	})
}
