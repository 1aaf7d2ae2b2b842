package ctrler

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// Part 7A: the shard controller.

func TestCapacity7A(t *testing.T) {
	// ⌈1.25·10/groups⌉: the bound of lab 2B's bounded loads, with c = 1.25.
	want := map[int]int{0: 0, 1: 13, 2: 7, 3: 5, 4: 4, 5: 3, 6: 3, 7: 2, 8: 2, 9: 2, 10: 2, 12: 2, 13: 1, 20: 1}
	for groups, limit := range want {
		require.Equal(t, limit, capacity(groups), "capacity(%d) = ⌈1.25·%d/%d⌉", groups, NShards, groups)
	}
}

func TestKey2Shard7A(t *testing.T) {
	seen := map[int]int{}
	for i := 0; i < 1000; i++ {
		s := Key2Shard(fmt.Sprint("key", i))
		require.True(t, s >= 0 && s < NShards, "Key2Shard gave %d; shards are 0..%d", s, NShards-1)
		seen[s]++
	}
	for s := 0; s < NShards; s++ {
		require.Greater(t, seen[s], 50, "shard %d got %d of 1000 keys: the key hash should spread keys evenly", s, seen[s])
	}
	require.Equal(t, Key2Shard("a"), Key2Shard("a"))
}

func TestJoinLeaveQuery7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrl(t, e, 3, -1, "reliable")
		ck := c.Clerk()
		checkConfig(t, ck.Query(-1), 0, nil, nil)

		require.NoError(t, ck.Join(groups(1)))
		c1 := ck.Query(-1)
		checkConfig(t, c1, 1, []int{1}, nil)
		require.Equal(t, NShards, len(c1.ShardsOf(1)), "the only group serves every shard")

		require.NoError(t, ck.Join(groups(2)))
		c2 := ck.Query(-1)
		checkConfig(t, c2, 2, []int{1, 2}, nil)
		require.NotEmpty(t, c2.ShardsOf(2), "the second group got no shard: with two groups neither may hold more than 7")

		require.NoError(t, ck.Leave([]int{1}))
		c3 := ck.Query(-1)
		checkConfig(t, c3, 3, []int{2}, nil)

		require.NoError(t, ck.Join(groups(3, 4)))
		c4 := ck.Query(-1)
		checkConfig(t, c4, 4, []int{2, 3, 4}, nil)

		// The past does not change.
		for num, want := range []Config{{Groups: map[int][]int{}}, c1, c2, c3, c4} {
			got := ck.Query(num)
			require.True(t, sameConfig(got, want), "Query(%d) = %s, but it was %s when it was made: configs never change once made (a Join or Leave that changes the latest's Groups map in place changes the past; copy it: Config.Copy)",
				num, describe(got), describe(want))
		}
		require.True(t, sameConfig(ck.Query(100), c4), "Query(100), past the latest, must answer the latest (config 4)")
		require.True(t, sameConfig(ck.Query(-1), c4), "Query(-1) must answer the latest (config 4)")

		// Refused requests make no config.
		err := ck.Join(groups(2))
		require.ErrorContains(t, err, "already in config 4", "Join of a gid that is already in the config")
		require.ErrorContains(t, ck.Leave([]int{7}), "not in config 4")
		require.ErrorContains(t, ck.Move(NShards, 2), "shards are 0 to 9")
		require.ErrorContains(t, ck.Move(0, 9), "Join it first")
		require.ErrorContains(t, ck.Join(map[int][]int{0: {1}}), "must be positive")
		require.Equal(t, 4, ck.Query(-1).Num, "a refused request must not make a config")

		// Every group leaves: back to gid 0.
		require.NoError(t, ck.Leave([]int{2, 3, 4}))
		checkConfig(t, ck.Query(-1), 5, nil, nil)
		c.agree(ck)
	})
}

// Several clerks Join at once, on a lossy network: Query(-1) must show
// every group, in a config numbered by the Joins (each applied once), and
// the replicas must agree on every config.
func TestConcurrentJoins7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrlAt(t, e, 2, 3, -1, "unreliable")
		const clerks = 5
		for i := 0; i < clerks; i++ {
			ck := c.Clerk()
			c.w.Go(fmt.Sprint("joiner", i), func() {
				require.NoError(t, ck.Join(groups(i+1)))
				require.NoError(t, ck.Join(groups(i+11)))
			})
		}
		require.True(t, c.w.RunUntilDone(20*time.Second), "the Joins did not all complete")
		ck := c.Clerk()
		latest := ck.Query(-1)
		var want []int
		for i := 0; i < clerks; i++ {
			want = append(want, i+1)
		}
		for i := 0; i < clerks; i++ {
			want = append(want, i+11)
		}
		checkConfig(t, latest, 2*clerks, want, nil)
		for num := 1; num <= latest.Num; num++ {
			prev, cur := ck.Query(num-1), ck.Query(num)
			require.Equal(t, len(prev.Groups)+1, len(cur.Groups), "config %d: each of the %d Joins adds one group, once", num, 2*clerks)
			checkConfig(t, cur, num, cur.GIDs(), nil)
		}

		for i := 0; i < clerks; i++ {
			ck := c.Clerk()
			c.w.Go(fmt.Sprint("leaver", i), func() { require.NoError(t, ck.Leave([]int{i + 1})) })
		}
		require.True(t, c.w.RunUntilDone(20*time.Second), "the Leaves did not all complete")
		checkConfig(t, ck.Query(-1), 3*clerks, want[clerks:], nil)
		c.agree(ck)
	})
}

// Balance and movement: groups join one by one, then leave one by one.
// Every config is balanced; a Join of the k-th group moves about
// NShards/k shards (the ideal: the newcomer's fair share), and a Leave
// moves exactly the shards the group held.
func TestBalanceAndMovement7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrl(t, e, 3, -1, "reliable")
		ck := c.Clerk()
		const most = 12
		var gids []int
		prev := ck.Query(-1)
		totalMoved, totalIdeal := 0, 0.0
		for k := 1; k <= most; k++ {
			require.NoError(t, ck.Join(groups(k)))
			gids = append(gids, k)
			cur := ck.Query(-1)
			checkConfig(t, cur, k, gids, nil)
			m := moved(prev, cur)
			// What balance forces beyond the newcomer's share: shards on
			// groups now above the lower capacity must move too.
			forced := 0
			for _, gid := range prev.GIDs() {
				forced += max(0, len(prev.ShardsOf(gid))-capacity(k))
			}
			ideal := float64(NShards) / float64(k)
			share := (NShards + k - 1) / k // ⌈NShards/k⌉
			require.LessOrEqual(t, m, share+forced,
				"the Join of group %d moved %d shards (%v → %v): at most the newcomer's share ⌈%d/%d⌉ = %d plus what the lower capacity forces off the others (%d); move only what must move",
				k, m, prev.Shards, cur.Shards, NShards, k, share, forced)
			require.GreaterOrEqual(t, len(cur.ShardsOf(k)), NShards/k,
				"the Join of group %d gave it %d shards %v; it should get at least its fair share ⌊%d/%d⌋ = %d", k, len(cur.ShardsOf(k)), cur.ShardsOf(k), NShards, k, NShards/k)
			totalMoved += m
			totalIdeal += ideal
			t.Logf("join of group %2d: moved %d shards (ideal %.2f), loads %v", k, m, ideal, loads(cur))
			prev = cur
		}
		require.LessOrEqual(t, float64(totalMoved), 1.1*totalIdeal,
			"%d groups joined one by one moved %d shards in all, against an ideal of %.1f (Σ NShards/k): consistent placement moves about the newcomer's share, not more", most, totalMoved, totalIdeal)

		for len(gids) > 0 {
			leaving := gids[len(gids)/2] // from the middle, not always the newest
			held := len(prev.ShardsOf(leaving))
			require.NoError(t, ck.Leave([]int{leaving}))
			gids = remove(gids, leaving)
			cur := ck.Query(-1)
			checkConfig(t, cur, prev.Num+1, gids, nil)
			if len(gids) > 0 {
				require.Equal(t, held, moved(prev, cur),
					"the Leave of group %d moved %d shards (%v → %v); it held %d, and only those need to move (the capacity can only grow on a Leave)",
					leaving, moved(prev, cur), prev.Shards, cur.Shards, held)
			}
			prev = cur
		}
	})
}

// Move puts a shard where the administrator says, and it stays there
// (pinned) through later Joins and Leaves, until its group leaves.
func TestMove7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrl(t, e, 3, -1, "reliable")
		ck := c.Clerk()
		require.NoError(t, ck.Join(groups(1, 2, 3)))
		before := ck.Query(-1)
		shard := 0
		for before.Shards[shard] == 3 {
			shard++
		}
		require.NoError(t, ck.Move(shard, 3))
		after := ck.Query(-1)
		require.Equal(t, before.Num+1, after.Num, "a Move makes the next config")
		require.Equal(t, 3, after.Shards[shard], "Move(%d, 3) was not honoured: %v", shard, after.Shards)
		require.Equal(t, 1, moved(before, after), "Move(%d, 3) moved other shards too: %v → %v", shard, before.Shards, after.Shards)

		// Pile shards on gid 1 by Move: above capacity, as asked.
		pinned := map[int]int{shard: 3}
		for s := 0; s < NShards; s++ {
			if _, ok := pinned[s]; !ok && len(pinned) < 7 {
				require.NoError(t, ck.Move(s, 1))
				pinned[s] = 1
			}
		}
		for _, change := range []func() error{
			func() error { return ck.Join(groups(4)) },
			func() error { return ck.Join(groups(5, 6)) },
			func() error { return ck.Leave([]int{2}) },
		} {
			require.NoError(t, change())
			cur := ck.Query(-1)
			checkConfig(t, cur, cur.Num, cur.GIDs(), pinned)
			for s, gid := range pinned {
				require.Equal(t, gid, cur.Shards[s], "config %d moved shard %d off gid %d, where Move put it: a moved shard stays pinned through later Joins and Leaves (%v)", cur.Num, s, gid, cur.Shards)
			}
		}

		// Its group leaves: the pinned shards go like any other, and are
		// no longer pinned.
		require.NoError(t, ck.Leave([]int{1}))
		cur := ck.Query(-1)
		for s, gid := range pinned {
			if gid == 1 {
				delete(pinned, s)
			}
		}
		checkConfig(t, cur, cur.Num, []int{3, 4, 5, 6}, pinned)
		gids := []int{3, 4, 5, 6}
		for _, gid := range []int{7, 8, 9, 10} {
			require.NoError(t, ck.Join(groups(gid)))
			gids = append(gids, gid)
			cur := ck.Query(-1)
			checkConfig(t, cur, cur.Num, gids, pinned)
			require.GreaterOrEqual(t, len(cur.ShardsOf(gid)), NShards/len(gids),
				"config %d: the newcomer %d got %v, less than its fair share ⌊%d/%d⌋: were the shards gid 1 left behind still pinned? (%v)", cur.Num, gid, cur.ShardsOf(gid), NShards, len(gids), cur.Shards)
		}
		c.agree(ck)
	})
}

// Exactly once: on a lossy network a clerk's requests are retried, and the
// duplicate table must answer each retry with its first application's
// result. A Join applied twice would be refused the second time (the gid
// is there), a Leave applied twice too, and either would add a config.
func TestExactlyOnce7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrl(t, e, 3, -1, "unreliable")
		ck := c.Clerk()
		const rounds = 12
		for i := 0; i < rounds; i++ {
			require.NoError(t, ck.Join(groups(i%3+1)), "Join %d: a retried Join must get its first answer, not a refusal from applying twice", i)
			require.NoError(t, ck.Leave([]int{i%3 + 1}), "Leave %d", i)
		}
		require.Equal(t, 2*rounds, ck.Query(-1).Num, "%d Joins and %d Leaves, each applied once", rounds, rounds)
	})
}

// Snapshots: a controller restarted whole comes back with every config and
// every pin, and goes on exactly as one that never crashed.
func TestSnapshotRestart7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		const maxSize = 1500
		c := newCtrl(t, e, 3, maxSize, "reliable")
		ck := c.Clerk()
		spec := newConfigs() // the same operations, applied in order here
		do := func(op any) {
			var err error
			switch o := op.(type) {
			case JoinOp:
				err = ck.Join(o.Groups)
			case LeaveOp:
				err = ck.Leave(o.GIDs)
			case MoveOp:
				err = ck.Move(o.Shard, o.GID)
			}
			require.NoError(t, err)
			spec.apply(op)
		}
		for i := 1; i <= 8; i++ {
			do(JoinOp{Groups: groups(i)})
		}
		do(MoveOp{Shard: 3, GID: 8})
		do(MoveOp{Shard: 4, GID: 8})
		for i := 0; i < 10; i++ {
			do(LeaveOp{GIDs: []int{i%7 + 1}})
			do(JoinOp{Groups: groups(i%7 + 1)})
		}
		for s := 0; s < 3; s++ {
			require.Greater(t, c.w.Persister(s).SnapshotSize(), 0, "n%d made no snapshot with maxStateSize %d", s, maxSize)
			c.w.Crash(s)
		}
		for s := 0; s < 3; s++ {
			c.w.Restart(s)
		}
		do(JoinOp{Groups: groups(9)})
		do(LeaveOp{GIDs: []int{1, 2}})
		for num := range spec.list {
			got := ck.Query(num)
			require.True(t, sameConfig(got, spec.list[num]), "after a restart from snapshots, config %d is %s; applying the same operations in order gives %s (a snapshot must hold every config, and the pins)",
				num, describe(got), describe(spec.list[num]))
		}
	})
}

func loads(c Config) []int {
	var l []int
	for _, gid := range c.GIDs() {
		l = append(l, len(c.ShardsOf(gid)))
	}
	return l
}

func remove(gids []int, gid int) []int {
	var out []int
	for _, g := range gids {
		if g != gid {
			out = append(out, g)
		}
	}
	return out
}

// A Join lowers the capacity, and a group the newcomer took little from
// may be above the new one: it must shed, and only what it must. Groups 1
// and 2 hold 5 shards each and group 3 none (as after Leaves and Moves);
// with group 4 joining, the capacity is ⌈1.25·10/4⌉ = 4, and group 4 wins
// its share from group 2 alone, so group 1 must give one up.
func TestJoinShedsAboveCapacity7A(t *testing.T) {
	prev := [NShards]int{1, 1, 2, 2, 1, 2, 2, 1, 1, 2}
	var pinned [NShards]bool
	next := rebalance(rendezvous, prev, []int{1, 2, 3, 4}, []int{4}, &pinned)
	c := Config{Num: 1, Shards: next, Groups: groups(1, 2, 3, 4)}
	checkConfig(t, c, 1, []int{1, 2, 3, 4}, nil)
	require.GreaterOrEqual(t, len(c.ShardsOf(4)), NShards/4, "the newcomer's fair share: %v", next)
	require.LessOrEqual(t, moved(Config{Shards: prev}, c), 1+NShards/4,
		"%v → %v: the newcomer's share (%d) and the one shard group 1 holds above capacity, no more", prev, next, NShards/4)
}

// pollNode is node code that follows the controller's configs with a
// Poller, as a lab 7B group server does: it polls every 50 ms and keeps the
// newest config it has heard of.
type pollNode struct {
	env               labrpc.Env
	p                 *Poller
	latest            Config
	answers, failures int
}

func startPollNode(env labrpc.Env, servers []int) *pollNode {
	n := &pollNode{env: env, p: NewPoller(env, servers)}
	n.poll()
	return n
}

func (n *pollNode) poll() {
	n.p.Query(-1, func(cfg Config, ok bool) {
		if ok {
			n.answers++
			if cfg.Num > n.latest.Num {
				n.latest = cfg
			}
		} else {
			n.failures++
		}
		n.env.After(50*time.Millisecond, n.poll)
	})
}

// A Poller lets node code Query without blocking: it finds the leader, and
// moves on when a server is down; cut off from every server, it says so.
func TestPoller7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		w := t.NewWorld(labrpc.Config{Nodes: 4, Profile: labrpc.MustProfile("reliable")})
		c, err := StartCluster(w, e, []int{1, 2, 3}, -1)
		require.NoError(t, err)
		var node *pollNode
		w.Start(0, func(env labrpc.Env) any { node = startPollNode(env, c.Servers); return node })
		ck := c.Clerk()
		require.NoError(t, ck.Join(groups(1)))
		require.True(t, w.WaitUntil(func() bool { return node.latest.Num == 1 }, 10*time.Millisecond, 2*time.Second), "the polling node did not hear of config 1 within 2s")
		require.True(t, sameConfig(node.latest, ck.Query(1)), "the Poller's config 1 is %s", describe(node.latest))

		for _, id := range c.Servers { // the leader crashes: the Poller moves on
			if sc := c.Server(id); sc != nil {
				if _, isLeader := sc.RSM().Peer().GetState(); isLeader {
					w.Crash(id)
				}
			}
		}
		require.NoError(t, ck.Join(groups(2)))
		require.True(t, w.WaitUntil(func() bool { return node.latest.Num == 2 }, 10*time.Millisecond, 3*time.Second), "the polling node did not hear of config 2 within 3s of the leader's crash")

		w.Partition([]int{0}, c.Servers)
		before := node.failures
		require.True(t, w.WaitUntil(func() bool { return node.failures > before }, 10*time.Millisecond, 5*time.Second), "a Poller cut off from every server must report failure (done(_, false)), not wait for good")
	})
}

// TestJoinTakesTheShardsItWins7A is rule 2 of the placement (docs/lab7-shardkv.md): a
// joining group takes the shards it wins among all groups (rendezvous), in shard order,
// while the group it takes from holds more than it would. With every shard on group a,
// a joining b therefore takes its first winners, up to half of the shards; only if it
// wins fewer does rule 4 give it others. A controller that skips rule 2 and tops the
// newcomer up from the fullest group alone (rule 4) balances as well and moves as
// little, but moves the wrong shards: not the ones consistent hashing gives b, so the
// placement no longer follows the hash.
func TestJoinTakesTheShardsItWins7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrl(t, e, 3, -1, "reliable")
		ck := c.Clerk()
		for _, pair := range [][2]int{{1, 2}, {3, 7}, {9, 4}, {5, 6}} {
			a, b := pair[0], pair[1]
			require.NoError(t, ck.Join(groups(a)))
			require.NoError(t, ck.Join(groups(b)))
			cur := ck.Query(-1)
			ab := []int{min(a, b), max(a, b)}
			var wins []int
			for s := range NShards {
				if rendezvous(s, ab) == b {
					wins = append(wins, s)
				}
			}
			t.Logf("gids %d then %d: %d wins %v; config %v", a, b, b, wins, cur.Shards)
			for _, s := range wins[:min(len(wins), NShards/2)] {
				require.Equal(t, b, cur.Shards[s],
					"every shard was on gid %d; gid %d joined and wins shards %v among the two (rendezvous), so it takes the first of them up to %d (rule 2), shard %d among them; config %d has %v",
					a, b, wins, NShards/2, s, cur.Num, cur.Shards)
			}
			require.NoError(t, ck.Leave([]int{a, b}))
		}
	})
}

// TestJoinWhenEveryShardIsPinned7A: an administrator moved every shard onto one group,
// and then a group joins. Every shard is pinned, so the newcomer can take none (rules
// 2 and 4 leave pinned shards alone); the Join must still make its config, with the
// newcomer holding nothing, rather than fail looking for a shard to take.
func TestJoinWhenEveryShardIsPinned7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrl(t, e, 3, -1, "reliable")
		ck := c.Clerk()
		require.NoError(t, ck.Join(groups(1)))
		pinned := map[int]int{}
		for s := range NShards {
			require.NoError(t, ck.Move(s, 1))
			pinned[s] = 1
		}
		require.NoError(t, ck.Join(groups(2)))
		cur := ck.Query(-1)
		checkConfig(t, cur, NShards+2, []int{1, 2}, pinned)
		require.Equal(t, [NShards]int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, cur.Shards,
			"every shard was moved (pinned) to gid 1 before gid 2 joined; pinned shards stay where Move put them")
	})
}
