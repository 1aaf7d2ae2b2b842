package ctrler

import (
	"fmt"
	"slices"

	"protolab/labrpc"
	"protolab/replog"
)

// A Cluster is a controller running in a world, as the tests, the demo and
// lab 7B's tests set it up: one replica on each of Servers, on Engine.
// Crash and restart its servers through the world (w.Crash, w.Restart): a
// restarted server boots the same way.
type Cluster struct {
	W       *labrpc.World
	Engine  replog.Engine
	Servers []int
	// MaxStateSize is handed to each replica's rsm layer (-1: no snapshots).
	MaxStateSize int
}

// StartCluster boots a controller replica on each of the world nodes
// servers, on engine. The replicas take the servers alone as their peers
// (GroupEnv), so the world may hold other nodes: shard groups, clients.
func StartCluster(w *labrpc.World, engine replog.Engine, servers []int, maxStateSize int) (*Cluster, error) {
	if len(servers) == 0 {
		return nil, fmt.Errorf("ctrler: StartCluster with no servers: name the world nodes to run the controller on")
	}
	for i, id := range servers {
		if id < 0 || id >= w.Nodes() {
			return nil, fmt.Errorf("ctrler: StartCluster on node %d: the world's nodes are 0..%d; raise labrpc.Config.Nodes", id, w.Nodes()-1)
		}
		if slices.Contains(servers[:i], id) {
			return nil, fmt.Errorf("ctrler: StartCluster lists node %d twice; name each server once", id)
		}
	}
	c := &Cluster{W: w, Engine: engine, Servers: slices.Clone(servers), MaxStateSize: maxStateSize}
	for _, id := range c.Servers {
		w.Start(id, func(env labrpc.Env) any {
			return MakeShardCtrler(GroupEnv(env, c.Servers), engine, c.MaxStateSize).Services()
		})
	}
	return c, nil
}

// Clerk returns a new clerk of the controller, on a new client endpoint.
func (c *Cluster) Clerk() *Clerk { return MakeClerk(c.W.NewClient(), c.Servers) }

// Server is the replica on node id (nil while it is down).
func (c *Cluster) Server(id int) *ShardCtrler {
	sc, _ := c.W.Service(id, Service).(*ShardCtrler)
	return sc
}

// GroupEnv is the Env to give the consensus engine (through rsm.Make) of
// one replicated group whose servers are the world nodes group, in any
// order and anywhere in the world: the engines take their peers to be
// 0..n-1 with Me an index among them (Raft keeps its followers' progress
// in a slice by peer), so GroupEnv renumbers. Me is env.Me()'s index in
// group, Peers is 0..len(group)-1, and Call(i, ...) goes to world node
// group[i]; everything else (clock, timers, randomness, Persister, trace)
// is env's. Trace lines the engine writes name its peers by these indexes;
// the world tags every line with the real node.
//
// Only the engine and the layer may use it: a service that calls other
// nodes by their world ids (a shard group calling the controller or another
// group) keeps env for that. Lab 7B's groups use it too.
func GroupEnv(env labrpc.Env, group []int) labrpc.Env {
	me := slices.Index(group, env.Me())
	if me < 0 {
		panic(fmt.Sprintf("ctrler: GroupEnv: node %d is not in its group %v; list every server of the group, this one included", env.Me(), group))
	}
	return groupEnv{Env: env, group: slices.Clone(group), me: me}
}

type groupEnv struct {
	labrpc.Env
	group []int
	me    int
}

func (e groupEnv) Me() int { return e.me }

func (e groupEnv) Peers() []int {
	peers := make([]int, len(e.group))
	for i := range peers {
		peers[i] = i
	}
	return peers
}

func (e groupEnv) Call(to int, method string, args, reply any, done func(ok bool)) {
	if to < 0 || to >= len(e.group) {
		panic(fmt.Sprintf("ctrler: GroupEnv: Call(%d, %q): the group's peers are 0..%d", to, method, len(e.group)-1))
	}
	e.Env.Call(e.group[to], method, args, reply, done)
}
