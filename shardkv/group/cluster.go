package group

import (
	"fmt"
	"slices"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/shardkv/ctrler"
)

// A Cluster is a sharded store in a world, as the tests, the benchmarks and
// the demo set it up: the controller on the first Ctrlers nodes, then
// groups of GroupSize servers each, gids 1, 2, 3, ... in node order. It
// starts every server but joins no group: the test says when each joins
// (Join), as an administrator would.
type Cluster struct {
	W      *labrpc.World
	Engine replog.Engine
	Ctrl   *ctrler.Cluster
	// Groups maps each gid to its servers' node ids.
	Groups map[int][]int
	// MaxStateSize is handed to each group server's rsm layer (-1: never).
	MaxStateSize int

	admin *ctrler.Clerk
}

// NewCluster lays out and starts a store over w's first
// ctrlers + groups*groupSize nodes.
func NewCluster(w *labrpc.World, engine replog.Engine, ctrlers, groups, groupSize, maxStateSize int) (*Cluster, error) {
	need := ctrlers + groups*groupSize
	if ctrlers < 1 || groups < 1 || groupSize < 1 || w.Nodes() < need {
		return nil, fmt.Errorf("group: a store of %d controller servers and %d groups of %d needs %d nodes; the world has %d: raise labrpc.Config.Nodes", ctrlers, groups, groupSize, need, w.Nodes())
	}
	var cs []int
	for i := 0; i < ctrlers; i++ {
		cs = append(cs, i)
	}
	ctl, err := ctrler.StartCluster(w, engine, cs, maxStateSize)
	if err != nil {
		return nil, err
	}
	c := &Cluster{W: w, Engine: engine, Ctrl: ctl, Groups: map[int][]int{}, MaxStateSize: maxStateSize}
	for g := 0; g < groups; g++ {
		for i := 0; i < groupSize; i++ {
			c.Groups[g+1] = append(c.Groups[g+1], ctrlers+g*groupSize+i)
		}
	}
	for _, gid := range c.GIDs() {
		for _, id := range c.Groups[gid] {
			c.StartServer(id)
		}
	}
	return c, nil
}

// GIDs lists the cluster's group ids, sorted.
func (c *Cluster) GIDs() []int {
	var gids []int
	for gid := range c.Groups {
		gids = append(gids, gid)
	}
	slices.Sort(gids)
	return gids
}

// GidOf is the group of server id (0 if it is none's).
func (c *Cluster) GidOf(id int) int {
	for gid, servers := range c.Groups {
		if slices.Contains(servers, id) {
			return gid
		}
	}
	return 0
}

// Servers lists every group server, in node order.
func (c *Cluster) Servers() []int {
	var all []int
	for _, gid := range c.GIDs() {
		all = append(all, c.Groups[gid]...)
	}
	return all
}

// StartServer starts (or, after a crash, restarts) group server id.
func (c *Cluster) StartServer(id int) {
	gid := c.GidOf(id)
	group, ctrlers := c.Groups[gid], c.Ctrl.Servers
	c.W.Start(id, func(env labrpc.Env) any {
		return StartServer(env, c.Engine, gid, group, ctrlers, c.MaxStateSize).Services()
	})
}

// Server is group server id (nil while it is down).
func (c *Cluster) Server(id int) *ShardKV {
	kv, _ := c.W.Service(id, Service).(*ShardKV)
	return kv
}

// Clerk returns a new client of the store, on a new client endpoint.
func (c *Cluster) Clerk() *Clerk { return MakeClerk(c.W.NewClient(), c.Ctrl.Servers) }

// Admin is the cluster's administrator: a controller clerk, made once.
func (c *Cluster) Admin() *ctrler.Clerk {
	if c.admin == nil {
		c.admin = c.Ctrl.Clerk()
	}
	return c.admin
}

// Join makes the groups gids join, in one config.
func (c *Cluster) Join(gids ...int) error {
	groups := map[int][]int{}
	for _, gid := range gids {
		servers, ok := c.Groups[gid]
		if !ok {
			return fmt.Errorf("group: Join(%d): the cluster's groups are %v", gid, c.GIDs())
		}
		groups[gid] = slices.Clone(servers)
	}
	return c.Admin().Join(groups)
}

// Leave makes the groups gids leave, in one config.
func (c *Cluster) Leave(gids ...int) error { return c.Admin().Leave(gids) }

// Settled reports whether every running server of every group has reached
// config num and settled in it (no shard on its way; in 7C, every move
// confirmed).
func (c *Cluster) Settled(num int) bool {
	for _, id := range c.Servers() {
		kv := c.Server(id)
		if kv == nil {
			continue
		}
		if kv.ConfigNum() < num || !kv.m.settled() {
			return false
		}
	}
	return true
}

// Leader is the server of group gid that believes it leads and is alive,
// or -1.
func (c *Cluster) Leader(gid int) int {
	for _, id := range c.Groups[gid] {
		if kv := c.Server(id); kv != nil && kv.isLeader() {
			return id
		}
	}
	return -1
}
