package kvsrv

import (
	"protolab/labrpc"
	"protolab/tests"
)

// cluster is one server (node 0) and the clerks that talk to it.
type cluster struct {
	t *tests.T
	w *labrpc.World
}

func newCluster(t *tests.T, profile string) *cluster {
	w := t.NewWorld(labrpc.Config{Nodes: 1, Profile: labrpc.MustProfile(profile)})
	w.Start(0, func(env labrpc.Env) any { return MakeKVServer(env) })
	return &cluster{t: t, w: w}
}

// clerk returns a clerk with its own network endpoint.
func (c *cluster) clerk() *Clerk { return MakeClerk(c.w.NewClient(), 0) }
