package chash

import (
	"fmt"
	"slices"

	"protolab/labrpc"
)

// The Controller is the cache's configuration service: it numbers the
// member sets, and answers members and routers that ask for the newest.
// It is given, not part of the lab. In production it would be replicated
// (on Raft, lab 4, as etcd or ZooKeeper hold a cluster's membership); here
// it is one node that the tests never crash.
//
// Whoever runs the cache (the test, an operator) tells it of changes: a
// node joins, a node leaves (planned: it hands its keys off first), a node
// has failed (it crashed: its keys are lost). Each change makes the next
// configuration at once; the controller does not wait for the previous one
// to be in place, since members go through configurations in order anyway.
type Controller struct {
	env     labrpc.Env
	configs []Config    // configs[e].Epoch == e; configs[0] is empty
	done    map[int]int // node → the newest epoch it reports fully in place

	// The epoch in which each node joined, left or failed. They make the
	// changes idempotent (an admin that lost a reply asks again and gets the
	// same answer) and let a leaving node be dropped once it is done.
	joinedAt, leftAt, failedAt map[int]int
}

// MakeController starts the service with a first configuration of the
// given members (epoch 1), or with none if members is empty. It is the
// controller node's boot function:
//
//	w.Start(0, func(env labrpc.Env) any { return chash.MakeController(env, []int{1, 2, 3}) })
func MakeController(env labrpc.Env, members []int) *Controller {
	c := &Controller{env: env, configs: []Config{{}}, done: map[int]int{},
		joinedAt: map[int]int{}, leftAt: map[int]int{}, failedAt: map[int]int{}}
	if len(members) > 0 {
		for _, id := range members {
			c.joinedAt[id] = 1
		}
		c.append(Config{Members: slices.Sorted(slices.Values(members))})
	}
	return c
}

// Query returns the configurations after args.Known, and records how far
// the asking member has got.
func (c *Controller) Query(args *QueryArgs, reply *QueryReply) {
	if args.Member >= 0 && args.Done > c.done[args.Member] {
		c.done[args.Member] = args.Done
	}
	if k := max(args.Known, 0); k+1 < len(c.configs) {
		reply.Configs = slices.Clone(c.configs[k+1:])
	}
	cur := c.latest()
	reply.Done = map[int]int{}
	for _, id := range slices.Concat(cur.Members, cur.Leaving) {
		if e, ok := c.done[id]; ok {
			reply.Done[id] = e
		}
	}
}

// Join puts a node on the ring. A node id joins once: a cache machine that
// restarts comes back empty, under a new id, so that nothing it sent in its
// earlier life can be mistaken for what it sends now (etcd's removed member
// ids cannot rejoin either).
func (c *Controller) Join(args *ChangeArgs, reply *ChangeReply) {
	cur, id := c.latest(), args.Node
	_, joined := c.joinedAt[id]
	switch {
	case joined && slices.Contains(cur.Members, id):
		reply.Epoch = c.joinedAt[id] // asked again
	case joined:
		reply.Refused = fmt.Sprintf("n%d has been a member before; a restarted cache node joins under a new id", id)
	case id == c.env.Me():
		reply.Refused = "the controller cannot be a cache member"
	default:
		c.joinedAt[id] = len(c.configs)
		reply.Epoch = c.append(Config{Members: insertSorted(cur.Members, id), Leaving: cur.Leaving})
	}
}

// Leave takes a node off the ring in a planned way: it stays in Leaving
// until it reports the new configuration in place, that is, until it has
// handed off every key. Only then may it be stopped.
func (c *Controller) Leave(args *ChangeArgs, reply *ChangeReply) {
	cur, id := c.latest(), args.Node
	if e, ok := c.leftAt[id]; ok {
		reply.Epoch = e // asked again
		return
	}
	switch {
	case !slices.Contains(cur.Members, id):
		reply.Refused = fmt.Sprintf("n%d is not a member", id)
	case len(cur.Members) == 1:
		reply.Refused = fmt.Sprintf("n%d is the last member: its keys would have nowhere to go", id)
	default:
		c.leftAt[id] = len(c.configs)
		reply.Epoch = c.append(Config{Members: without(cur.Members, id), Leaving: insertSorted(cur.Leaving, id)})
	}
}

// Fail removes a node that crashed, member or leaving: it becomes gone, and
// the keys it held are lost. (A failure detector would call this; the tests
// do, right after they crash a node.)
func (c *Controller) Fail(args *ChangeArgs, reply *ChangeReply) {
	cur, id := c.latest(), args.Node
	if e, ok := c.failedAt[id]; ok {
		reply.Epoch = e // asked again
		return
	}
	if cur.gone(id) {
		reply.Refused = fmt.Sprintf("n%d is neither a member nor leaving", id)
		return
	}
	c.failedAt[id] = len(c.configs)
	reply.Epoch = c.append(Config{Members: without(cur.Members, id), Leaving: without(cur.Leaving, id)})
}

// append makes cfg the next configuration, first dropping from Leaving the
// nodes that have finished leaving, and returns its epoch.
func (c *Controller) append(cfg Config) int {
	cfg.Epoch = len(c.configs)
	cfg.Leaving = slices.DeleteFunc(slices.Clone(cfg.Leaving), func(id int) bool {
		return c.done[id] >= c.leftAt[id]
	})
	if len(cfg.Leaving) == 0 {
		cfg.Leaving = nil
	}
	c.configs = append(c.configs, cfg)
	c.env.Logf("config", "epoch %d: members %v, leaving %v", cfg.Epoch, cfg.Members, cfg.Leaving)
	return cfg.Epoch
}

func (c *Controller) latest() Config { return c.configs[len(c.configs)-1] }

func without(ids []int, id int) []int {
	return slices.DeleteFunc(slices.Clone(ids), func(x int) bool { return x == id })
}

func insertSorted(ids []int, id int) []int {
	out := append(slices.Clone(ids), id)
	slices.Sort(out)
	return out
}

// Latest is the newest configuration, for tests and tools.
func (c *Controller) Latest() Config { return c.latest() }

// History is every configuration so far, epoch 0 first.
func (c *Controller) History() []Config { return slices.Clone(c.configs) }

// DoneEpoch is the newest epoch node has reported fully in place.
func (c *Controller) DoneEpoch(node int) int { return c.done[node] }

// Settled reports whether the newest configuration is in place: every
// member has reported it, and every leaving node has finished its handoff.
func (c *Controller) Settled() bool {
	cur := c.latest()
	for _, id := range cur.Members {
		if c.done[id] < cur.Epoch {
			return false
		}
	}
	for _, id := range cur.Leaving {
		if c.done[id] < c.leftAt[id] {
			return false
		}
	}
	return true
}
