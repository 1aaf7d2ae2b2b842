package chash

import (
	"maps"
	"slices"
	"time"

	"protolab/labrpc"
)

// A Cache is one member of the sharded cache: a node of the simulated world
// that holds the keys the ring gives it. Its RPC handlers are Get and Put
// (from routers) and Migrate (handoffs from other members, migrate.go).
// Like every node it is a set of event handlers: the simulator runs one at
// a time, so it needs no lock.
type Cache struct {
	env  labrpc.Env
	me   int
	ctrl int // the controller's node id

	// cur is the configuration the member works in, prev the one before it:
	// a key's owner in prev is where the key comes from during the move to
	// cur. newest is the newest configuration the member knows of, which
	// says who is gone; queue holds the known ones after cur, in order.
	cur, prev placement
	newest    Config
	queue     []Config
	done      int // the newest epoch fully in place: cur.Epoch once the move to it is complete

	// data holds the keys the member serves. It only ever holds keys that
	// the member owns in cur.
	data map[string]string

	// waiting are the members whose keys for cur have not arrived yet: a
	// key whose owner in prev is one of them is not served. outbox holds,
	// for each new owner, the keys handed to it and not yet acknowledged.
	waiting map[int]bool
	outbox  map[int][]Entry

	stats CacheStats
}

// CacheStats counts a member's handoffs, for tests and benchmarks.
type CacheStats struct {
	KeysIn       int // keys received in handoffs and installed
	KeysOut      int // keys handed off and acknowledged
	KeysDropped  int // keys whose new owner was gone before it took them
	MigrateCalls int // Migrate RPCs sent, retries included
}

// How often a member asks the controller for news, how long it waits before
// offering a refused or lost handoff again, and how long a router pauses
// before it retries a member that asked it to.
const (
	pollInterval  = 25 * time.Millisecond
	retryInterval = 20 * time.Millisecond
	routerPause   = 10 * time.Millisecond
)

// MakeCache starts a cache member that learns its configurations from the
// controller at node ctrl. It starts in epoch 0, holding nothing, and goes
// through every configuration in order. It is the node's boot function:
//
//	w.Start(id, func(env labrpc.Env) any { return chash.MakeCache(env, 0) })
func MakeCache(env labrpc.Env, ctrl int) *Cache {
	c := &Cache{env: env, me: env.Me(), ctrl: ctrl, data: map[string]string{},
		waiting: map[int]bool{}, outbox: map[int][]Entry{}}
	c.cur, c.prev = newPlacement(Config{}), newPlacement(Config{})
	// After boot, not during it: the node's services are registered only
	// once MakeCache returns.
	env.After(0, c.poll)
	return c
}

// Get returns the key's value, if this member serves the key.
func (c *Cache) Get(args *GetArgs, reply *GetReply) {
	reply.Epoch = c.cur.Epoch
	//lab:solution 2D
	if reply.Err = c.check(args.Key, args.Epoch); reply.Err != OK {
		return
	}
	v, ok := c.data[args.Key]
	if !ok {
		reply.Err = ErrNoKey
		return
	}
	reply.Value = v
	//lab:stub
	// TODO(2D): refuse the key unless this member serves it (c.check); then
	// reply with its value, or ErrNoKey.
	//> reply.Err = ErrNoKey
	//lab:end
}

// Put stores the value, if this member serves the key. An OK is a promise:
// the value stays readable until it is overwritten, or until a member that
// holds it (or is about to receive it in a handoff) crashes.
func (c *Cache) Put(args *PutArgs, reply *PutReply) {
	reply.Epoch = c.cur.Epoch
	//lab:solution 2D
	if reply.Err = c.check(args.Key, args.Epoch); reply.Err != OK {
		return
	}
	c.data[args.Key] = args.Value
	//lab:stub
	// TODO(2D): refuse the key unless this member serves it (c.check); then
	// store the value.
	//> reply.Err = OK
	//lab:end
}

// check decides whether this member serves key for a client in
// configuration epoch: OK, or the error that tells the client what to do.
//
// The order matters. A client ahead of the member is told to wait
// (ErrWrongEpoch) even for a key the member owns: the member may be about
// to hand that key on, and a client that has seen a newer configuration
// must never read from an older one than it did before (its reads would go
// back in time). A member ahead of the client that does not own the key
// sends the client to fetch the newest configuration (ErrWrongOwner). And an
// owner whose key has not arrived yet makes the client wait
// (ErrMigrating): answering ErrNoKey, or storing a Put that the arriving
// handoff would then overwrite, is the bug.
func (c *Cache) check(key string, epoch int) Err {
	//lab:solution 2D
	switch {
	case epoch > c.cur.Epoch:
		return ErrWrongEpoch
	case c.cur.owner(key) != c.me:
		return ErrWrongOwner
	case !c.arrived(key):
		return ErrMigrating
	}
	return OK
	//lab:stub
	// TODO(2D): ErrWrongEpoch if the client is ahead of this member,
	// ErrWrongOwner if this member does not own key in c.cur, ErrMigrating
	// if the key is still on its way (c.arrived), else OK.
	//> return OK
	//lab:end
}

// Epoch is the configuration the member works in; Done the newest one fully
// in place. Tests and tools read them; they are not RPCs.
func (c *Cache) Epoch() int { return c.cur.Epoch }

// Done is the newest epoch fully in place at this member.
func (c *Cache) Done() int { return c.done }

// Keys returns the keys the member holds, sorted.
func (c *Cache) Keys() []string { return slices.Sorted(maps.Keys(c.data)) }

// Value returns the value the member holds for key, if any.
func (c *Cache) Value(key string) (string, bool) {
	v, ok := c.data[key]
	return v, ok
}

// Owns reports whether the member owns key in its configuration.
func (c *Cache) Owns(key string) bool { return c.cur.owner(key) == c.me }

// Stats returns the member's handoff counters.
func (c *Cache) Stats() CacheStats { return c.stats }
