package replog

import (
	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
	"protolab/tests"
)

// A Cluster is the scenarios' cluster: the cluster harness (replog/harness)
// in a test's world, with every node started and connected. Its helpers
// (CheckOneLeader, One, NCommitted, Wait, Crash, Restart, Disconnect, ...)
// are the harness's, and fail the test; its checker checks the contract's
// invariants after every event. An engine's own tests can use it too:
//
//	c := replog.NewCluster(t, paxos.Engine, 5, labrpc.MustProfile("reliable"))
//	leader := c.CheckOneLeader()
//	index := c.One(42, 5, true)
type Cluster struct {
	*harness.Cluster
	w *labrpc.World
}

// NewCluster starts n peers of engine e on a network with the given profile.
// The service snapshots every e.SnapshotEvery indexes, if that is positive.
func NewCluster(t *tests.T, e replog.Engine, n int, profile labrpc.Profile) *Cluster {
	w := t.NewWorld(labrpc.Config{Nodes: n, Profile: profile})
	c := &Cluster{Cluster: harness.New(w, e, t), w: w}
	t.CountCommitted(c.LastCommitted) // -v's closing line
	for i := 0; i < n; i++ {
		c.StartNode(i)
	}
	return c
}

// StartNode starts node i (again, after Crash), from its Persister, and
// connects it.
func (c *Cluster) StartNode(i int) {
	c.Start(i)
	c.Connect(i)
}
