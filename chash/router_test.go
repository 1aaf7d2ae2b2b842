package chash

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/tests"
)

// Part 2D: a sharded cache on the simulated network. Run with:
// go test ./chash -run 2D

func TestCacheHandoffs2D(t *testing.T) {
	view := func(epoch int, members ...int) placement {
		return newPlacement(Config{Epoch: epoch, Members: members})
	}
	empty, abc := view(0), view(1, 1, 2, 3)
	require.Empty(t, handoffs(empty, abc), "from the empty configuration nothing is handed off")
	require.Empty(t, handoffs(abc, view(2, 1, 2, 3)), "the same members hand nothing off")

	join := handoffs(abc, view(2, 1, 2, 3, 4))
	require.Equal(t, []handoff{{1, 4}, {2, 4}, {3, 4}}, join, "a join: every old member hands arcs to the newcomer, and only to it")
	leave := handoffs(abc, view(2, 1, 3))
	require.Equal(t, []handoff{{2, 1}, {2, 3}}, leave, "a leave: the leaver hands arcs to the others, and nobody else moves")
	swap := handoffs(view(1, 1, 2), view(2, 1, 3))
	require.Equal(t, []handoff{{1, 3}, {2, 1}, {2, 3}}, swap, "a swap: the newcomer takes arcs from both, the leaver gives to both")

	// Every key that changes owner moves along a listed pair, and every
	// listed pair carries some key: the test throws a million keys at it.
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		var before, after []int
		for id := 1; id <= 12; id++ {
			if rng.IntN(2) == 0 {
				before = append(before, id)
			}
			if rng.IntN(2) == 0 {
				after = append(after, id)
			}
		}
		if len(before) == 0 || len(after) == 0 {
			continue
		}
		was, now := view(1, before...), view(2, after...)
		pairs := handoffs(was, now)
		require.True(t, slices.IsSortedFunc(pairs, func(a, b handoff) int {
			if a.From != b.From {
				return a.From - b.From
			}
			return a.To - b.To
		}), "handoffs must be sorted: %v", pairs)
		listed := map[handoff]bool{}
		for _, hf := range pairs {
			listed[hf] = true
		}
		used := map[handoff]bool{}
		for _, h := range testKeys(1 << 16) {
			from, to := was.ownerHash(h), now.ownerHash(h)
			if hf := (handoff{from, to}); from != to && !listed[hf] {
				require.Failf(t, "a key moves along a pair handoffs does not list", "%v → %v: a key moves from n%d to n%d; handoffs lists %v", before, after, from, to, pairs)
			} else if from != to {
				used[hf] = true
			}
		}
		for _, hf := range pairs {
			// With 100 points a member, an arc is about 1/(100·N) of the
			// ring; a pair with no key among 65,536 would be a pair too many.
			require.True(t, used[hf], "%v → %v: handoffs lists n%d → n%d, but no key moves that way", before, after, hf.From, hf.To)
		}
	}
}

func TestCacheRouting2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 5, 4)
		keys := cacheKeys(400)
		c.load(keys, 4)

		// Every key sits at its ring owner, and only there.
		p := c.latest()
		for _, key := range keys {
			for id := 1; id <= 4; id++ {
				_, holds := c.cache(id).Value(key)
				require.Equal(t, p.owner(key) == id, holds, "key %q: its ring owner is n%d; does n%d hold it?", key, p.owner(key), id)
			}
		}
		require.Zero(t, c.readAll(keys), "no key may be missing: nothing crashed")
		r := c.router()
		_, err := r.Get("never-written")
		require.Equal(t, ErrNoKey, err)

		// A member refuses a key it does not own, and a client ahead of it.
		key := keys[0]
		other := p.Members[(slices.Index(p.Members, p.owner(key))+1)%len(p.Members)]
		clnt := c.w.NewClient()
		get := GetReply{}
		require.True(t, clnt.Call(other, "Cache.Get", &GetArgs{Key: key, Epoch: p.Epoch}, &get))
		require.Equal(t, ErrWrongOwner, get.Err, "n%d does not own %q", other, key)
		require.Equal(t, p.Epoch, get.Epoch, "a refusal says the member's epoch")
		put := PutReply{}
		require.True(t, clnt.Call(other, "Cache.Put", &PutArgs{Key: key, Value: "x", Epoch: p.Epoch}, &put))
		require.Equal(t, ErrWrongOwner, put.Err)
		ahead := GetReply{}
		require.True(t, clnt.Call(p.owner(key), "Cache.Get", &GetArgs{Key: key, Epoch: p.Epoch + 1}, &ahead))
		require.Equal(t, ErrWrongEpoch, ahead.Err, "a member behind the client's epoch must not answer it")
		v, err := r.Get(key)
		require.Equal(t, OK, err)
		require.Equal(t, c.writes[key].value, v, "a refused Put changes nothing")
	})
}

// A change is what a membership change moved.
type change struct {
	moved     int // keys installed at their new owners
	mustMove  int // keys whose owner differs between the two rings
	ideal     float64
	migrates  int64
	bytes     int64
	receivers map[int]int // member → keys it received
}

func (ch change) ratio() float64 { return float64(ch.moved) / ch.ideal }

// measure runs act (a membership change) and returns what it moved. It
// lets 100ms pass before and after, so that clients running meanwhile
// meet the change with routers of the old configuration.
func (c *cacheCluster) measure(keys []string, ideal float64, act func()) change {
	c.w.Sleep(100 * time.Millisecond)
	before, in0 := c.latest(), c.keysIn()
	stats0, msgs0, bytes0 := c.stats(), c.migrateMsgs, c.migrateBytes
	act()
	c.settle("the change")
	after, in1 := c.latest(), c.keysIn()
	c.w.Sleep(100 * time.Millisecond)
	ch := change{ideal: ideal, moved: c.stats().KeysIn - stats0.KeysIn,
		migrates: c.migrateMsgs - msgs0, bytes: c.migrateBytes - bytes0, receivers: map[int]int{}}
	for _, key := range keys {
		if before.owner(key) != after.owner(key) {
			ch.mustMove++
		}
	}
	for id, n := range in1 {
		if d := n - in0[id]; d > 0 {
			ch.receivers[id] = d
		}
	}
	return ch
}

// The ideal for K keys is K/(N+1) for a join and K/N for a leave. A ring
// move is exactly the newcomer's (or the leaver's) share of the keys, so the
// ratio to the ideal is that member's share over its mean: with 100 points
// per member a share is within about ±10% (1/√V) of the mean, and the
// sampling noise of K keys adds some 5% (√((1-p)/(K·p)) for a share p).
// The keys and member names of these tests are fixed, so the ratios are
// fixed numbers (0.875 for the join, 0.938 and 1.064 for the leaves, 1.058
// for the crash; -v logs them); 0.7 to 1.3 is some 2.7 standard
// deviations either way.
func requireNearIdeal(t testing.TB, ratio float64, what string) {
	t.Helper()
	require.GreaterOrEqual(t, ratio, 0.7, "%s: %.3f× the ideal", what, ratio)
	require.LessOrEqual(t, ratio, 1.3, "%s: %.3f× the ideal", what, ratio)
}

func TestCacheJoin2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, k = 4, 2000
		c := newCacheCluster(t, "reliable", n+2, n)
		keys := cacheKeys(k)
		c.load(keys, 8)

		stop := c.churn(keys, 4)
		var newcomer int
		ch := c.measure(keys, float64(k)/(n+1), func() { newcomer = c.join() })
		stop()

		t.Logf("join: %d keys moved, ideal %.0f: %.3f× ideal; %d Migrate messages (%.3f per key), %d bytes (%.1f per key)",
			ch.moved, ch.ideal, ch.ratio(), ch.migrates, float64(ch.migrates)/float64(ch.moved), ch.bytes, float64(ch.bytes)/float64(ch.moved))
		require.Equal(t, ch.mustMove, ch.moved, "a join must move exactly the keys whose ring owner changed")
		require.Equal(t, map[int]int{newcomer: ch.moved}, ch.receivers, "every moved key goes to the newcomer n%d", newcomer)
		requireNearIdeal(t, ch.ratio(), "keys moved by a join over K/(N+1)")
		// One Migrate from each old member, and now and then a second when it
		// reaches the newcomer before the newcomer has heard of the join.
		require.GreaterOrEqual(t, ch.migrates, int64(n), "every old member must hand off to the newcomer")
		require.LessOrEqual(t, ch.migrates, int64(3*n), "a reliable network needs few retries")
		require.Zero(t, c.readAll(keys), "every key must still be readable after a join")
	})
}

func TestCacheLeave2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		// Messages are lost both ways, and clients keep writing while the
		// members leave: a handoff must be retried until acknowledged, and
		// no acknowledged write may be lost.
		const n, k = 5, 2000
		c := newCacheCluster(t, "unreliable", n+1, n)
		keys := cacheKeys(k)
		c.load(keys, 8)

		stop := c.churn(keys, 4)
		for i, leaver := range []int{2, 4} {
			members := n - i
			before := c.latest()
			ch := c.measure(keys, float64(k)/float64(members), func() { c.leave(leaver) })
			t.Logf("leave of n%d: %d keys moved, ideal %.0f: %.3f× ideal; %d Migrate messages (%.3f per key)",
				leaver, ch.moved, ch.ideal, ch.ratio(), ch.migrates, float64(ch.migrates)/float64(ch.moved))
			require.Equal(t, ch.mustMove, ch.moved, "a leave must move exactly the keys the leaver owned")
			for _, key := range keys {
				if before.owner(key) != c.latest().owner(key) {
					require.Equal(t, leaver, before.owner(key), "key %q moved, but it was not the leaver's", key)
				}
			}
			requireNearIdeal(t, ch.ratio(), "keys moved by a leave over K/N")
		}
		stop()
		require.Zero(t, c.readAll(keys), "no acknowledged write may be lost across a planned leave")
	})
}

func TestCacheCrash2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		const n, k = 5, 2000
		c := newCacheCluster(t, "reliable", n+1, n)
		keys := cacheKeys(k)
		c.load(keys, 8)
		before := c.latest()

		const victim = 3
		c.crash(victim)
		c.settle("the configuration without n3")

		// A crash loses the victim's keys, and only those: every other key
		// reads as it was written.
		r := c.router()
		lost := 0
		for _, key := range keys {
			v, err := r.Get(key)
			if before.owner(key) == victim {
				require.Equal(t, ErrNoKey, err, "key %q was on n%d, which crashed", key, victim)
				lost++
				continue
			}
			require.Equal(t, OK, err, "key %q was on n%d, which did not crash: it must survive n%d's crash", key, before.owner(key), victim)
			require.Equal(t, c.writes[key].value, v)
		}
		t.Logf("crash of n%d: %d keys lost, ideal %d/%d = %d: %.3f×", victim, lost, k, n, k/n, float64(lost)/(k/n))
		requireNearIdeal(t, float64(lost)/(float64(k)/n), "keys lost with the victim over K/N")

		// The cache goes on: the lost keys can be written again.
		for _, key := range keys {
			if before.owner(key) == victim {
				c.put(r, key, "again."+key)
			}
		}
		require.Zero(t, c.readAll(keys))
	})
}

// A member crashes, and before anyone notices, a new member joins: the
// newcomer waits for the crashed member's keys. The test plays the crashed
// member's part by hand, to check the rules for handoffs one at a time.
func TestCacheMigrateOnce2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 4, 2)
		keys := cacheKeys(200)
		c.load(keys, 2)
		c.w.Crash(2) // the controller is not told
		newcomer := c.join()
		c.w.Sleep(200 * time.Millisecond)
		before, after := c.view(1), c.view(2)

		var fromN1, fromN2 string // a key moving to the newcomer from each old member
		for _, key := range keys {
			if after.owner(key) == newcomer {
				switch before.owner(key) {
				case 1:
					fromN1 = key
				case 2:
					fromN2 = key
				}
			}
		}
		require.NotEmpty(t, fromN1)
		require.NotEmpty(t, fromN2)
		clnt := c.w.NewClient()
		get := func(key string) GetReply {
			reply := GetReply{}
			require.True(t, clnt.Call(newcomer, "Cache.Get", &GetArgs{Key: key, Epoch: 2}, &reply))
			return reply
		}
		migrate := func(epoch int, entries ...Entry) Err {
			reply := MigrateReply{}
			require.True(t, clnt.Call(newcomer, "Cache.Migrate", &MigrateArgs{Epoch: epoch, From: 2, Entries: entries}, &reply))
			return reply.Err
		}

		require.Equal(t, 1, c.cache(newcomer).Done(), "n%d waits for n2's keys: its move to epoch 2 cannot be complete", newcomer)
		require.Equal(t, GetReply{Err: OK, Value: c.writes[fromN1].value, Epoch: 2}, get(fromN1), "a key that has arrived from n1 is served")
		require.Equal(t, ErrMigrating, get(fromN2).Err, "a key still on its way from n2 must not be served: not even as ErrNoKey")
		putErr := func(key, value string) Err {
			reply := PutReply{}
			require.True(t, clnt.Call(newcomer, "Cache.Put", &PutArgs{Key: key, Value: value, Epoch: 2}, &reply))
			return reply.Err
		}
		require.Equal(t, ErrMigrating, putErr(fromN2, "too early"), "nor may a Put of it be stored: the handoff would overwrite it")

		require.Equal(t, ErrWrongEpoch, migrate(3, Entry{fromN2, "from the future"}), "a handoff for an epoch the member has not reached is refused")
		require.Equal(t, OK, migrate(2, Entry{fromN2, "old"}), "n2's handoff")
		require.Equal(t, "old", get(fromN2).Value)
		require.Equal(t, OK, putErr(fromN2, "new"))
		require.Equal(t, OK, migrate(2, Entry{fromN2, "old"}), "a duplicate of the handoff is acknowledged")
		require.Equal(t, "new", get(fromN2).Value, "a duplicate handoff must not bring the old value back over a newer write")
		require.True(t, c.w.WaitUntil(func() bool { return c.cache(newcomer).Done() == 2 }, time.Millisecond, time.Second),
			"with both handoffs in, n%d's move to epoch 2 is complete", newcomer)
	})
}

// The same, but the crashed member never hands off: once the controller
// hears of the crash, the newcomer must stop waiting for it, and the keys
// it held are lost, those alone.
func TestCacheCrashDuringMove2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 4, 2)
		keys := cacheKeys(400)
		c.load(keys, 4)
		before := c.latest()
		c.crashed[2] = true
		c.w.Crash(2) // the controller is not told yet
		newcomer := c.join()
		c.w.Sleep(500 * time.Millisecond)
		require.Equal(t, 1, c.cache(newcomer).Done(), "n%d waits for n2, which has crashed but is not known to have", newcomer)

		_, err := c.admin.Fail(2)
		require.NoError(t, err)
		c.settle("the configuration without n2")
		r := c.router()
		for _, key := range keys {
			v, err := r.Get(key)
			if before.owner(key) == 2 {
				require.Equal(t, ErrNoKey, err, "key %q was on n2, which crashed", key)
			} else {
				require.Equal(t, OK, err, "key %q was on n1, which did not crash", key)
				require.Equal(t, c.writes[key].value, v)
			}
		}
	})
}

// A leaver's handoff is installed, but the receiver's acknowledgement is
// lost; then the receiver leaves in turn, hands everything on and is
// stopped. No one is left to acknowledge the first leaver's retries, and no
// configuration calls the receiver gone until the next change, which does
// not come: the first leaver must learn from the controller that the
// receiver has put the epoch in place (it could not have without the
// handoff) and finish its leave.
func TestCacheLostAckReceiverLeft2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCacheCluster(t, "reliable", 5, 4)
		keys := cacheKeys(400)
		c.load(keys, 4)
		before, after := c.latest(), newPlacement(Config{Members: []int{2, 3, 4}})
		receiver := -1
		for _, key := range keys {
			if before.owner(key) == 1 {
				receiver = after.owner(key)
				break
			}
		}
		require.Positive(t, receiver, "some key is on n1")

		c.w.Cut(receiver, 1) // n1 never hears the receiver's acknowledgement
		epoch, err := c.admin.Leave(1)
		require.NoError(t, err)
		require.True(t, c.w.WaitUntil(func() bool { return c.controller().DoneEpoch(receiver) >= epoch }, time.Millisecond, 5*time.Second),
			"n%d has n1's handoff and puts epoch %d in place", receiver, epoch)
		require.Less(t, c.cache(1).Done(), epoch, "n1 has not heard the acknowledgement, so its leave is not done yet")

		c.leave(receiver)
		c.w.Uncut(receiver, 1)
		c.settle("n1's leave, after the node that took its keys has left")
		c.stop(1)
		require.Zero(t, c.readAll(keys), "no acknowledged write may be lost across the two leaves")
	})
}

// cacheNemesis runs clients on keys while joins, planned leaves, crashes
// and bouts of message loss come in random order: in each round two joins,
// two leaves and one toggle of loss, and every other round a crash (each
// crash loses a member's share of the keys, and the check can only vouch
// for the keys no crash touched). Between them it waits an
// exponential time of mean every, short enough that changes often overlap
// (a move takes some 25 to 50ms). A leaving node is stopped once
// it has handed off, unless it is crashed first. Then it lets the last
// change settle and reads every key.
func cacheNemesis(t *tests.T, rounds int, every time.Duration) {
	c := newCacheCluster(t, "reliable", 7+2*rounds, 6)
	keys := cacheKeys(500)
	c.load(keys, 4)
	stop := c.churn(keys, 6)

	rng := c.w.Rand()
	var actions []string
	for i := range rounds {
		actions = append(actions, "join", "join", "leave", "leave", "loss")
		if i%2 == 0 {
			actions = append(actions, "crash")
		}
	}
	rng.Shuffle(len(actions), func(i, j int) { actions[i], actions[j] = actions[j], actions[i] })
	leaving := map[int]bool{}
	for _, act := range actions {
		c.w.Sleep(time.Duration(rng.ExpFloat64() * float64(every)))
		members := c.controller().Latest().Members
		switch {
		case act == "join":
			c.w.Note("nemesis: n%d joins", c.next)
			c.join()
		case act == "leave" && len(members) > 3:
			id := members[rng.IntN(len(members))]
			c.w.Note("nemesis: n%d leaves", id)
			epoch, err := c.admin.Leave(id)
			require.NoError(t, err)
			leaving[id] = true
			c.w.Go(fmt.Sprint("stop n", id), func() {
				c.w.WaitUntil(func() bool { return c.crashed[id] || c.controller().DoneEpoch(id) >= epoch }, time.Millisecond, time.Minute)
				if !c.crashed[id] {
					c.stop(id)
				}
			})
		case act == "crash" && len(members) > 3:
			// Any member, or a node still handing off as it leaves.
			var candidates []int
			candidates = append(candidates, members...)
			for _, id := range slices.Sorted(maps.Keys(leaving)) {
				if !c.stopped[id] && !c.crashed[id] {
					candidates = append(candidates, id)
				}
			}
			id := candidates[rng.IntN(len(candidates))]
			c.w.Note("nemesis: crash n%d", id)
			c.crash(id)
		case act == "loss":
			on := c.w.Profile().DropRequest == 0
			c.w.Note("nemesis: unreliable %v", on)
			c.w.SetReliable(!on)
		}
	}
	c.w.SetReliable(true)
	stop()
	c.settle("the last configuration")
	lost := c.readAll(keys)
	exposed := 0
	for _, key := range keys {
		if c.mayBeLost(key, c.writes[key].epoch) {
			exposed++
		}
	}
	t.Logf("%d changes to epoch %d, %d crashes: %d of %d keys were on a member that crashed since their last write, %d of them lost",
		len(actions), c.controller().Latest().Epoch, len(c.crashed), exposed, len(keys), lost)
}

func TestCacheNemesis2D(t *testing.T) {
	tests.Run(t, func(t *tests.T) { cacheNemesis(t, 6, 150*time.Millisecond) })
}

func TestCacheSameSeedSameRun2D(t *testing.T) {
	tests.RunTwice(t, func(t *tests.T) { cacheNemesis(t, 2, 150*time.Millisecond) })
}
