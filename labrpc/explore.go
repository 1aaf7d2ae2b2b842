package labrpc

import "hash/fnv"

// What a search (package explore) may ask of the world at a choice, besides
// the choice itself.

// A StateHasher is a node that can describe its state in one number: two
// nodes whose states are the same (the same term, vote, log, role, ...) must
// give the same hash. A bounded search that can hash every node's state
// skips a choice it has already tried from the same state (docs/explore.md);
// without it the search is stateless. Implementing it is optional, and a
// lab's tests may do it in a _test.go file.
type StateHasher interface {
	StateHash() uint64
}

// StateHash is a hash of the world's state just before this choice: each
// node's StateHash (whether it is up, and what its services say), and the
// messages in flight by kind, link and method (not their contents), and the
// timers set, per node. Virtual time is left out, so that two schedules
// reaching the same state at different times count as one. ok is false if a
// node that is up has a service that is not a StateHasher.
func (c *Choice) StateHash() (h uint64, ok bool) {
	w := c.w
	h = mix(uint64(len(w.ends)))
	for i := 0; i < w.cfg.Nodes; i++ {
		n := w.ends[i].node
		if n == nil || !n.alive {
			h = mix(h ^ 0xdead)
			continue
		}
		for _, name := range sortedKeys(n.services) {
			s, isHasher := n.services[name].Interface().(StateHasher)
			if !isHasher {
				return 0, false
			}
			h = mix(h ^ s.StateHash())
		}
	}
	var pending uint64 // a sum, so that the queue's order does not matter
	for _, k := range w.q.keys {
		ev := &w.q.slab[k.idx]
		if w.stale(ev) {
			continue
		}
		switch ev.kind {
		case evDeliver, evReply, evLost:
			pending += mix(uint64(ev.kind)<<40 ^ uint64(ev.c.from)<<20 ^ uint64(ev.c.to) ^ methodHash(ev.c.route.method))
		case evTimer:
			pending += mix(uint64(ev.kind)<<40 ^ uint64(uint32(ev.node)))
		}
	}
	return mix(h ^ pending), true
}

func methodHash(m string) uint64 {
	f := fnv.New64a()
	f.Write([]byte(m))
	return f.Sum64()
}

// Refuse stops the run with err, from a chooser that cannot go on (a
// choices file that no longer fits the run).
func (c *Choice) Refuse(err error) {
	c.w.Fail(err)
}
