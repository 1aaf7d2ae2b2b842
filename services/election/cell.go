package election

import (
	"fmt"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/lock"
)

// A Cell is an election service in a world: lock servers carrying the
// election state on nodes 0..Servers-1, the storage server (6C's, which
// fences writes by revision) on the next node, and client nodes after it,
// each with a lock client and the handle of one election, Name. NewCell
// installs the safety checks, which run after every event.
type Cell struct {
	W       *labrpc.World
	Engine  replog.Engine
	Cfg     lock.Config
	Name    string // the election the clients take part in
	Servers []int
	Storage int
	Clients []int
	// MaxStateSize is handed to each server's rsm layer (-1: no snapshots).
	MaxStateSize int
	// App, if set, runs on each client node when it starts: the
	// application that campaigns, in event style.
	App func(env labrpc.Env, e *Election)

	check *checker
}

// NewCell lays out a cell over w's nodes: servers servers, one storage
// node, the rest client nodes. w must have at least servers+2 nodes.
func NewCell(w *labrpc.World, engine replog.Engine, servers int, cfg lock.Config) (*Cell, error) {
	if servers < 1 || w.Nodes() < servers+2 {
		return nil, fmt.Errorf("election: a cell of %d servers needs at least %d nodes (servers, a storage node, a client); the world has %d: raise labrpc.Config.Nodes", servers, servers+2, w.Nodes())
	}
	if cfg.Lease <= 0 || cfg.Rho < 0 || cfg.Rho >= 1 {
		return nil, fmt.Errorf("election: lock.Config{Lease: %v, Rho: %v}: the lease must be positive and the drift bound in [0, 1)", cfg.Lease, cfg.Rho)
	}
	c := &Cell{W: w, Engine: engine, Cfg: cfg, Name: "leader", Storage: servers, MaxStateSize: -1}
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
	c.W.Start(c.Storage, func(env labrpc.Env) any { return lock.StartStorage(env) })
	for _, id := range c.Clients {
		c.StartClient(id)
	}
}

// StartServer starts (or, after a crash, restarts) server id.
func (c *Cell) StartServer(id int) {
	c.W.Start(id, func(env labrpc.Env) any {
		m := NewMachine()
		c.check.machines[id] = m
		return lock.StartServerWith(groupEnv{env, c.Servers}, c.Engine, c.MaxStateSize, c.Cfg,
			func(ls *lock.LockServer) { c.check.applied(id, ls, m) }, m)
	})
}

// groupEnv is a server's Env with the servers alone as its peers.
type groupEnv struct {
	labrpc.Env
	group []int
}

func (e groupEnv) Peers() []int { return append([]int(nil), e.group...) }

// StartClient starts client node id: its lock client (which opens a
// session at once) and its handle of the election.
func (c *Cell) StartClient(id int) {
	c.W.Start(id, func(env labrpc.Env) any {
		lc := lock.StartClient(env, c.Servers, c.Cfg)
		e := New(lc, c.Name)
		if c.App != nil {
			c.App(env, e)
		}
		return []any{lc, e}
	})
}

// Election is client node id's handle (nil while the node is down).
func (c *Cell) Election(id int) *Election {
	e, _ := c.W.Service(id, "Election").(*Election)
	return e
}

// Store is the storage server (nil while it is down).
func (c *Cell) Store() *lock.Storage {
	st, _ := c.W.Service(c.Storage, "Storage").(*lock.Storage)
	return st
}

// Machine is server id's election state (nil while it is down).
func (c *Cell) Machine(id int) *Machine {
	if c.W.Service(id, "LockServer") == nil {
		return nil
	}
	return c.check.machines[id]
}

// Leaders lists the client nodes that believe they lead now.
func (c *Cell) Leaders() []int {
	var leaders []int
	for _, id := range c.Clients {
		if e := c.Election(id); e != nil {
			if _, ok := e.Leads(); ok {
				leaders = append(leaders, id)
			}
		}
	}
	return leaders
}

// allOpen reports whether every running client has a session.
func (c *Cell) allOpen() bool {
	for _, id := range c.Clients {
		if e := c.Election(id); e != nil && e.lc.Session() == 0 {
			return false
		}
	}
	return true
}

// The safety checks, after every event.
type checker struct {
	c        *Cell
	machines map[int]*Machine // each server's election state, this boot's
	// newest: the greatest revision a client has believed it leads with,
	// and which client.
	newest    uint64
	newestBy  int
	believed  map[int]uint64 // per client: the revision it believed it led with after the last event
	digests   map[[2]uint64]digestAt
	fenced    uint64 // the greatest revision the storage accepted a write with
	seenWrite int
	err       error
}

type digestAt struct {
	digest  uint64
	replica int
}

func newChecker(c *Cell) *checker {
	return &checker{c: c, machines: map[int]*Machine{}, believed: map[int]uint64{}, digests: map[[2]uint64]digestAt{}}
}

// applied is each server's OnApply: replicas that have applied as many lock
// and election operations must be in the same state.
func (k *checker) applied(id int, ls *lock.LockServer, m *Machine) {
	key := [2]uint64{ls.Machine().Ops(), m.Ops()}
	d := ls.Machine().Digest() ^ m.Digest()
	if first, ok := k.digests[key]; !ok {
		k.digests[key] = digestAt{d, id}
	} else if first.digest != d && k.err == nil {
		k.err = fmt.Errorf("servers n%d and n%d differ after applying %d lock and %d election operations: the election state must change only by the operations in the log", first.replica, id, key[0], key[1])
	}
}

func (k *checker) afterEvent() error {
	if k.err != nil {
		return k.err
	}
	c := k.c
	// At most one client believes it leads at any moment of true time.
	if l := c.Leaders(); len(l) > 1 {
		a, _ := c.Election(l[0]).Leads()
		b, _ := c.Election(l[1]).Leads()
		return fmt.Errorf("clients %s (rev %d) and %s (rev %d) both believe they lead election %q at %v: a client must stop believing when it resigns or its local lease ends, and must not believe before its candidacy heads the queue",
			c.W.Name(l[0]), a.Rev, c.W.Name(l[1]), b.Rev, c.Name, c.W.Now())
	}
	// Revisions only grow, and one belongs to one client: a client that
	// comes to believe it leads does so with a greater revision than any
	// other client believed before.
	for _, id := range c.Clients {
		var now uint64
		if e := c.Election(id); e != nil {
			if l, ok := e.Leads(); ok {
				now = l.Rev
			}
		}
		if now != 0 && now != k.believed[id] {
			// The same client may believe again in the same term: a
			// KeepAlive's answer came after its local lease ran out,
			// and the session lived on (the servers answered OK).
			if now < k.newest || now == k.newest && k.newestBy != id {
				return fmt.Errorf("%s believes it leads election %q with revision %d, but %s led with revision %d before: every term must carry a greater revision than the last (it is the term's fencing token)",
					c.W.Name(id), c.Name, now, c.W.Name(k.newestBy), k.newest)
			}
			k.newest, k.newestBy = now, id
		}
		k.believed[id] = now
	}
	// The storage never accepts a write with an older revision than one
	// it has accepted.
	if st := c.Store(); st != nil {
		for ; k.seenWrite < len(st.Accepted); k.seenWrite++ {
			w := st.Accepted[k.seenWrite]
			if w.Seq.Gen < k.fenced {
				return fmt.Errorf("the storage accepted a write of %q under revision %d after one under revision %d: a deposed leader overwrote its successor's data; the storage must refuse an older token", w.Key, w.Seq.Gen, k.fenced)
			}
			k.fenced = max(k.fenced, w.Seq.Gen)
		}
	}
	return nil
}
