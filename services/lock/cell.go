package lock

import (
	"fmt"
	"slices"

	"protolab/labrpc"
	"protolab/replog"
)

// A Cell is a lock service in a world, as the tests, the demo and the
// handout's story set it up (Chubby calls one deployment a cell): lock
// servers on nodes 0..Servers-1, the storage server on the next node, and
// client nodes after it. NewCell installs the safety checks (check.go),
// which run after every event of the world.
type Cell struct {
	W       *labrpc.World
	Engine  replog.Engine
	Cfg     Config
	Servers []int
	Storage int
	Clients []int
	// MaxStateSize is handed to each server's rsm layer (-1: no snapshots).
	MaxStateSize int
	// App, if set, runs on each client node when it starts, after the
	// library: the application that uses the locks, in event style.
	App func(env labrpc.Env, cl *Client)

	check *checker
}

// NewCell lays out a cell over w's nodes: servers lock servers, one storage
// node, and the rest client nodes. w must have at least servers+2 nodes.
func NewCell(w *labrpc.World, engine replog.Engine, servers int, cfg Config) (*Cell, error) {
	if servers < 1 || w.Nodes() < servers+2 {
		return nil, fmt.Errorf("lock: a cell of %d servers needs at least %d nodes (servers, a storage node, a client); the world has %d: raise labrpc.Config.Nodes", servers, servers+2, w.Nodes())
	}
	if cfg.Lease <= 0 || cfg.Rho < 0 || cfg.Rho >= 1 {
		return nil, fmt.Errorf("lock: Config{Lease: %v, Rho: %v}: the lease must be positive and the drift bound in [0, 1)", cfg.Lease, cfg.Rho)
	}
	c := &Cell{W: w, Engine: engine, Cfg: cfg, Storage: servers, MaxStateSize: -1}
	for i := 0; i < servers; i++ {
		c.Servers = append(c.Servers, i)
	}
	for i := servers + 1; i < w.Nodes(); i++ {
		c.Clients = append(c.Clients, i)
	}
	c.check = newChecker(c)
	w.Check(c.check.afterEvent)
	return c, nil
}

// StartAll starts every server, the storage node and every client node.
func (c *Cell) StartAll() {
	for _, id := range c.Servers {
		c.StartServer(id)
	}
	c.W.Start(c.Storage, func(env labrpc.Env) any { return StartStorage(env) })
	for _, id := range c.Clients {
		c.StartClient(id)
	}
}

// StartServer starts (or, after a crash, restarts) lock server id.
func (c *Cell) StartServer(id int) {
	c.W.Start(id, func(env labrpc.Env) any {
		return StartServer(groupEnv{env, c.Servers}, c.Engine, c.MaxStateSize, c.Cfg, c.check.applied)
	})
}

// groupEnv is a lock server's Env with the servers alone as its peers: the
// world's other nodes (the storage, the clients) take no part in consensus.
type groupEnv struct {
	labrpc.Env
	group []int
}

func (e groupEnv) Peers() []int { return append([]int(nil), e.group...) }

// StartClient starts client node id, which opens a session at once.
func (c *Cell) StartClient(id int) {
	c.W.Start(id, func(env labrpc.Env) any {
		cl := StartClient(env, c.Servers, c.Cfg)
		if c.App != nil {
			c.App(env, cl)
		}
		return cl
	})
}

// Client is client node id's library (nil while the node is down).
func (c *Cell) Client(id int) *Client {
	cl, _ := c.W.Service(id, "Client").(*Client)
	return cl
}

// Server is lock server id (nil while it is down).
func (c *Cell) Server(id int) *LockServer {
	ls, _ := c.W.Service(id, "LockServer").(*LockServer)
	return ls
}

// Store is the storage server (nil while it is down).
func (c *Cell) Store() *Storage {
	st, _ := c.W.Service(c.Storage, "Storage").(*Storage)
	return st
}

// Holders lists the client nodes that believe they hold lock name now.
func (c *Cell) Holders(name string) []int {
	var ids []int
	for _, id := range c.Clients {
		if cl := c.Client(id); cl != nil {
			if _, ok := cl.Holds(name); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// lockNames lists the locks some client has been granted, sorted.
func (c *Cell) lockNames() []string {
	var names []string
	for _, id := range c.Clients {
		if cl := c.Client(id); cl != nil {
			for name := range cl.held {
				if !slices.Contains(names, name) {
					names = append(names, name)
				}
			}
		}
	}
	slices.Sort(names)
	return names
}
