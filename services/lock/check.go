package lock

import (
	"fmt"
)

// The safety checks a Cell runs after every event of the world. Each one
// guards a rule of the handout, and says which in its message.
type checker struct {
	c *Cell

	// newest[lock]: the greatest generation a client has believed it held,
	// and which client believed it.
	newest map[string]belief
	// believed[client][lock]: the generation the client believed it held
	// after the last event (0: none).
	believed map[int]map[string]uint64
	// digests[n]: the state digest of the first replica to apply n operations.
	digests map[uint64]digestAt
	// fenced[lock]: the greatest generation the storage has accepted a write with.
	fenced map[string]uint64
	seen   int // storage writes checked
	// err is a violation found outside afterEvent (in a replica's apply).
	err error
}

type belief struct {
	gen    uint64
	client int
}

type digestAt struct {
	digest  uint64
	replica int
}

func newChecker(c *Cell) *checker {
	return &checker{c: c, newest: map[string]belief{}, believed: map[int]map[string]uint64{},
		digests: map[uint64]digestAt{}, fenced: map[string]uint64{}}
}

// applied is every replica's OnApply: replicas that have applied the same
// number of operations must be in the same state. A replica that expires
// sessions by its own clock while applying breaks this first.
func (k *checker) applied(ls *LockServer) {
	n, d := ls.m.Ops(), ls.m.Digest()
	me := ls.env.Me()
	if first, ok := k.digests[n]; !ok {
		k.digests[n] = digestAt{d, me}
	} else if first.digest != d && k.err == nil {
		k.err = fmt.Errorf("lock servers n%d and n%d differ after applying %d operations: replicas must apply the same operations to the same state, so time may enter only through the log (an Expire the leader proposes), never through a replica's own clock while it applies", first.replica, me, n)
	}
}

func (k *checker) afterEvent() error {
	if k.err != nil {
		return k.err
	}
	c := k.c
	for _, name := range c.lockNames() {
		// At most one client believes it holds a lock at any moment of
		// true time: the client's lease ends before the server can expire
		// its session, whatever the clocks' rates within the bound.
		if h := c.Holders(name); len(h) > 1 {
			return fmt.Errorf("clients %s and %s both believe they hold lock %q at %v: a client must stop believing when its local lease ends, and that lease must end before the server's (ClientLease: lease·(1-ρ)/(1+ρ), measured from the KeepAlive's send; Chubby §2.8)",
				c.W.Name(h[0]), c.W.Name(h[1]), name, c.W.Now())
		}
	}
	// Sequencers only grow: a client that comes to believe it holds a lock
	// holds a generation no older than any believed before, and one
	// generation belongs to one client.
	for _, id := range c.Clients {
		cl := c.Client(id)
		prev := k.believed[id]
		now := map[string]uint64{}
		if cl != nil {
			for _, name := range c.lockNames() {
				if seq, ok := cl.Holds(name); ok {
					now[name] = seq.Gen
				}
			}
		}
		for _, name := range c.lockNames() {
			gen, ok := now[name]
			if !ok || prev[name] == gen {
				continue
			}
			n := k.newest[name]
			if gen < n.gen || (gen == n.gen && n.client != id) {
				return fmt.Errorf("%s believes it holds lock %q with generation %d, but %s held generation %d before: every grant must carry a greater sequencer than the last (Chubby §2.4)",
					c.W.Name(id), name, gen, c.W.Name(n.client), n.gen)
			}
			k.newest[name] = belief{gen, id}
		}
		k.believed[id] = now
	}
	// The storage never accepts a write carrying an older sequencer than
	// one it has accepted a write with: fencing (Chubby §2.4).
	if st := c.Store(); st != nil {
		if k.seen > len(st.Accepted) {
			k.seen = 0 // the storage restarted, empty (it keeps nothing on disk)
		}
		for ; k.seen < len(st.Accepted); k.seen++ {
			w := st.Accepted[k.seen]
			if f := k.fenced[w.Seq.Lock]; w.Seq.Gen < f {
				return fmt.Errorf("the storage server accepted a write of %q=%q with sequencer %v after one with generation %d: a holder that lost the lock overwrote its successor's data; the storage must refuse a sequencer older than the newest it has seen (fencing, Chubby §2.4)",
					w.Key, w.Value, w.Seq, f)
			}
			k.fenced[w.Seq.Lock] = max(k.fenced[w.Seq.Lock], w.Seq.Gen)
		}
	}
	return nil
}
