package chash

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Helpers for the 2D tests: a cache cluster (the controller at node 0,
// members from node 1 on, spare node ids for joins), a ledger of
// acknowledged writes with the rule that says when one may be lost, and the
// continuous ownership check.

const ctrlNode = 0

type cacheCluster struct {
	t testing.TB
	w *labrpc.World

	admin *Admin
	next  int // the next node id never used: joins take it

	crashed map[int]bool
	stopped map[int]bool // members that left and were stopped
	retired CacheStats   // the counters of stopped members, taken before they stopped

	// writes is the ledger: each key's last acknowledged write. Every key
	// has one writer at a time, so "last" is well defined.
	writes map[string]write
	views  []placement // the controller's configurations, with their rings

	migrateMsgs, migrateBytes int64 // Migrate requests sent, bytes both ways

	// The ownership check (checkOwnership) re-reads only the members whose
	// trace says they changed.
	dirty  map[int]bool
	holds  map[int][]string // member → the keys it held at its last check
	holder map[string]int   // key → the member that holds it
}

// A write is an acknowledged Put: its value, and the router's epoch when
// the member accepted it (the member's was that or newer).
type write struct {
	value string
	epoch int
}

func newCacheCluster(t *tests.T, profile string, nodes, members int) *cacheCluster {
	return startCache(t, t.NewWorld(labrpc.Config{Nodes: nodes, Profile: labrpc.MustProfile(profile)}), members)
}

// startCache starts the controller and members 1..members in w.
func startCache(t testing.TB, w *labrpc.World, members int) *cacheCluster {
	c := &cacheCluster{t: t, w: w, next: members + 1, crashed: map[int]bool{}, stopped: map[int]bool{},
		writes: map[string]write{}, dirty: map[int]bool{}, holds: map[int][]string{}, holder: map[string]int{}}
	var initial []int
	for id := 1; id <= members; id++ {
		initial = append(initial, id)
	}
	w.OnTrace(c.observe)
	w.Check(c.checkOwnership)
	w.Start(ctrlNode, func(env labrpc.Env) any { return MakeController(env, initial) })
	for _, id := range initial {
		w.Start(id, bootCache)
	}
	c.admin = MakeAdmin(w.NewClient(), ctrlNode)
	c.settle("the first configuration")
	return c
}

func bootCache(env labrpc.Env) any { return MakeCache(env, ctrlNode) }

func (c *cacheCluster) controller() *Controller {
	return c.w.Service(ctrlNode, "Controller").(*Controller)
}

// cache is member id's Cache, or nil while it is down.
func (c *cacheCluster) cache(id int) *Cache {
	if s, ok := c.w.Service(id, "Cache").(*Cache); ok {
		return s
	}
	return nil
}

func (c *cacheCluster) router() *Router { return MakeRouter(c.w.NewClient(), ctrlNode) }

// view is configuration epoch with its ring.
func (c *cacheCluster) view(epoch int) placement {
	for len(c.views) <= epoch {
		hist := c.controller().History()
		require.Less(c.t, len(c.views), len(hist), "no configuration %d yet", epoch)
		c.views = append(c.views, newPlacement(hist[len(c.views)]))
	}
	return c.views[epoch]
}

func (c *cacheCluster) latest() placement { return c.view(c.controller().Latest().Epoch) }

// settle waits until the newest configuration is in place everywhere.
func (c *cacheCluster) settle(what string) {
	c.t.Helper()
	ok := c.w.WaitUntil(c.controller().Settled, 5*time.Millisecond, 10*time.Second)
	require.True(c.t, ok, "%s is not in place after 10s: epoch %d, members report %s%s",
		what, c.controller().Latest().Epoch, c.doneEpochs(), c.leavingDone())
}

// leavingDone lists the nodes still leaving in the newest configuration, with
// the epoch each must report and what the controller has from it.
func (c *cacheCluster) leavingDone() string {
	var out []string
	ctl := c.controller()
	for _, id := range ctl.Latest().Leaving {
		out = append(out, fmt.Sprintf("n%d (controller has done %d)", id, ctl.DoneEpoch(id)))
	}
	if len(out) == 0 {
		return ""
	}
	return "; still leaving: " + strings.Join(out, ", ")
}

func (c *cacheCluster) doneEpochs() string {
	var out []string
	for id := 1; id < c.w.Nodes(); id++ {
		if m := c.cache(id); m != nil {
			out = append(out, fmt.Sprintf("n%d at %d (done %d)", id, m.Epoch(), m.Done()))
		}
	}
	return strings.Join(out, ", ")
}

// join starts the next spare node and puts it on the ring.
func (c *cacheCluster) join() int {
	id := c.next
	c.next++
	c.w.Start(id, bootCache)
	_, err := c.admin.Join(id)
	require.NoError(c.t, err)
	return id
}

// leave takes id off the ring, waits until it has handed everything off,
// and stops it.
func (c *cacheCluster) leave(id int) {
	c.t.Helper()
	epoch, err := c.admin.Leave(id)
	require.NoError(c.t, err)
	ok := c.w.WaitUntil(func() bool { return c.controller().DoneEpoch(id) >= epoch }, time.Millisecond, 10*time.Second)
	require.True(c.t, ok, "n%d left in epoch %d but has not finished its handoff after 10s", id, epoch)
	c.stop(id)
}

// stop stops a member that has finished leaving, keeping its counters.
func (c *cacheCluster) stop(id int) {
	if m := c.cache(id); m != nil {
		s := m.Stats()
		c.retired.KeysIn += s.KeysIn
		c.retired.KeysOut += s.KeysOut
		c.retired.KeysDropped += s.KeysDropped
		c.retired.MigrateCalls += s.MigrateCalls
	}
	c.stopped[id] = true
	c.w.Note("n%d has handed off its keys; stop it", id)
	c.w.Crash(id)
}

// crash crashes id and tells the controller.
func (c *cacheCluster) crash(id int) {
	c.crashed[id] = true
	c.w.Crash(id)
	_, err := c.admin.Fail(id)
	require.NoError(c.t, err)
}

// stats sums the handoff counters of every member, stopped ones included
// (crashed ones are lost with them).
func (c *cacheCluster) stats() CacheStats {
	s := c.retired
	for id := 1; id < c.w.Nodes(); id++ {
		if m := c.cache(id); m != nil {
			ms := m.Stats()
			s.KeysIn += ms.KeysIn
			s.KeysOut += ms.KeysOut
			s.KeysDropped += ms.KeysDropped
			s.MigrateCalls += ms.MigrateCalls
		}
	}
	return s
}

// keysIn is each live member's KeysIn counter.
func (c *cacheCluster) keysIn() map[int]int {
	in := map[int]int{}
	for id := 1; id < c.w.Nodes(); id++ {
		if m := c.cache(id); m != nil {
			in[id] = m.Stats().KeysIn
		}
	}
	return in
}

func cacheKeys(n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
	}
	return keys
}

// put writes through r and records the acknowledged write.
func (c *cacheCluster) put(r *Router, key, value string) {
	r.Put(key, value)
	c.writes[key] = write{value, r.Epoch()}
}

// load writes every key once, the keys dealt out to clients writers in
// parallel, and waits until they are all acknowledged.
func (c *cacheCluster) load(keys []string, clients int) {
	c.t.Helper()
	for i := 0; i < clients; i++ {
		r := c.router()
		c.w.Go(fmt.Sprint("loader", i), func() {
			for j := i; j < len(keys); j += clients {
				c.put(r, keys[j], "v0."+keys[j])
			}
		})
	}
	require.True(c.t, c.w.RunUntilDone(time.Minute), "loading %d keys took over a minute", len(keys))
}

// churn starts clients that overwrite and read their own share of keys
// until stop is called; every read is checked against the ledger. The
// returned stop waits until they have finished.
func (c *cacheCluster) churn(keys []string, clients int) (stop func()) {
	done := false
	for i := 0; i < clients; i++ {
		r := c.router()
		rng := r.clnt.Rand()
		var mine []string
		for j := i; j < len(keys); j += clients {
			mine = append(mine, keys[j])
		}
		c.w.Go(fmt.Sprint("client", i), func() {
			for n := 1; !done; n++ {
				key := mine[rng.IntN(len(mine))]
				if rng.IntN(2) == 0 {
					c.put(r, key, fmt.Sprintf("v%d.c%d.%s", n, i, key))
					continue
				}
				v, err := r.Get(key)
				if msg := c.badRead(key, v, err); msg != "" {
					c.w.Fail(fmt.Errorf("client%d: %s", i, msg))
					return
				}
			}
		})
	}
	return func() {
		done = true
		require.True(c.t, c.w.RunUntilDone(time.Minute), "clients did not finish within a minute of being stopped")
	}
}

// badRead says what is wrong with a read of key, or "" if nothing is. A
// read must return the last acknowledged write; it may find nothing only if
// that write may have been lost, that is, if some member that owned the key
// in the write's epoch or later has crashed.
func (c *cacheCluster) badRead(key, value string, err Err) string {
	wr, written := c.writes[key]
	switch {
	case !written && err == ErrNoKey:
		return ""
	case !written:
		return fmt.Sprintf("Get(%q) = %q, %s: the key was never written", key, value, err)
	case err == OK && value == wr.value:
		return ""
	case err == ErrNoKey && c.mayBeLost(key, wr.epoch):
		return ""
	}
	got := fmt.Sprintf("%q", value)
	if err != OK {
		got = string(err)
	}
	return fmt.Sprintf("Get(%q) = %s, but Put(%q, %q) was acknowledged in epoch %d and no member that owned the key since has crashed (owners: %v): an acknowledged write was lost or overwritten",
		key, got, key, wr.value, wr.epoch, c.ownersSince(key, wr.epoch))
}

// mayBeLost reports whether a member that owned key in epoch or later has
// crashed.
func (c *cacheCluster) mayBeLost(key string, epoch int) bool {
	for _, id := range c.ownersSince(key, epoch) {
		if c.crashed[id] {
			return true
		}
	}
	return false
}

func (c *cacheCluster) ownersSince(key string, epoch int) []int {
	var owners []int
	for e := max(epoch, 1); e <= c.controller().Latest().Epoch; e++ {
		if o := c.view(e).owner(key); !slices.Contains(owners, o) {
			owners = append(owners, o)
		}
	}
	return owners
}

// readAll reads every key with a fresh router and checks it against the
// ledger. It returns how many were lost (allowed, after crashes).
func (c *cacheCluster) readAll(keys []string) (lost int) {
	c.t.Helper()
	r := c.router()
	for _, key := range keys {
		v, err := r.Get(key)
		if msg := c.badRead(key, v, err); msg != "" {
			require.Fail(c.t, "a read after the last change is wrong", "%s", msg)
		}
		if err == ErrNoKey {
			lost++
		}
	}
	return lost
}

// observe watches the trace: a member that handled a Put or a Migrate, or
// logged (it logs every move), or started or crashed, may have changed.
func (c *cacheCluster) observe(l labrpc.Line) {
	if l.Method == "Cache.Migrate" {
		switch l.Kind {
		case labrpc.KindSend:
			c.migrateMsgs++
			c.migrateBytes += int64(l.Bytes)
		case labrpc.KindReply:
			c.migrateBytes += int64(l.Bytes)
		}
	}
	if l.Node <= ctrlNode || l.Node >= c.w.Nodes() {
		return
	}
	switch l.Kind {
	case labrpc.KindRecv:
		if l.Method == "Cache.Put" || l.Method == "Cache.Migrate" {
			c.dirty[l.Node] = true
		}
	case labrpc.KindLog, labrpc.KindStart, labrpc.KindCrash:
		c.dirty[l.Node] = true
	}
}

// checkOwnership is the continuous check: a member holds only keys that it
// owns in its configuration, and (until a crash) no key is at two members.
// A crash can legitimately leave two copies for a while: a member that has
// not caught up still holds a key that a newer owner, no longer waiting for
// the crashed one, has started afresh; the older copy is dropped when its
// holder catches up (see docs/lab2-chash.md).
func (c *cacheCluster) checkOwnership() error {
	if len(c.dirty) == 0 {
		return nil
	}
	ids := slices.Sorted(maps.Keys(c.dirty))
	clear(c.dirty)
	for _, id := range ids {
		for _, k := range c.holds[id] {
			if c.holder[k] == id {
				delete(c.holder, k)
			}
		}
		c.holds[id] = nil
	}
	for _, id := range ids {
		m := c.cache(id)
		if m == nil {
			continue
		}
		keys := m.Keys()
		for _, k := range keys {
			if !m.Owns(k) {
				return fmt.Errorf("n%d holds key %q, which it does not own in its epoch %d (a member must hand off the keys it no longer owns)", id, k, m.Epoch())
			}
			if other, ok := c.holder[k]; ok && other != id && len(c.crashed) == 0 {
				return fmt.Errorf("key %q is held by both n%d and n%d: one of them should have handed it off, or not taken it yet", k, other, id)
			}
			c.holder[k] = id
		}
		c.holds[id] = keys
	}
	return nil
}
