package chash

import (
	//lab:solution 2D
	"maps"
	"slices"
	//lab:end
)

// How a member moves from one configuration to the next.
//
// A member goes through the epochs in order, one move at a time. To move
// from prev to cur it
//
//  1. takes out of its store every key it does not own in cur, into an
//     outbox per new owner: from now on it serves none of them;
//  2. sends each member that gains arcs from it in the move one Migrate
//     with those keys (possibly none), retried until acknowledged;
//  3. waits for one Migrate from each member it gains arcs from: a key whose
//     owner in prev is one of those is not served until that Migrate is in;
//  4. when its outbox is empty and it waits for nobody, reports the epoch
//     in place to the controller, and takes up the next configuration.
//
// Who hands arcs to whom is a function of the two rings alone (handoffs,
// below), so sender and receiver agree on it without talking. A member that
// is gone (crashed, or done leaving) in the newest configuration known is
// neither waited for nor sent to: the keys it held, or was about to
// receive, are lost with it. That is how a crash costs the crashed member's
// keys and no more, and why no move can wait forever on a dead node.

// A handoff says that some arc of the ring passes from one member to
// another in a change of configuration.
type handoff struct{ From, To int }

// handoffs lists the (from, to) pairs of members between which some arc of
// the ring changes owner when the configuration goes from prev to cur, in
// increasing order, each pair once. Keys move only along these pairs.
//
// The arcs to look at are those between consecutive points of either ring:
// within such an arc no point of either ring intervenes, so every key in it
// has one owner in prev and one in cur, those of the arc's upper end. An
// empty ring (epoch 0) hands nothing.
func handoffs(prev, cur placement) []handoff {
	//lab:solution 2D
	seen := map[handoff]bool{}
	var out []handoff
	for _, points := range [][]uint64{prev.ring.points, cur.ring.points} {
		for _, h := range points {
			from, to := prev.ownerHash(h), cur.ownerHash(h)
			if from < 0 || to < 0 || from == to {
				continue
			}
			if hf := (handoff{from, to}); !seen[hf] {
				seen[hf] = true
				out = append(out, hf)
			}
		}
	}
	slices.SortFunc(out, func(a, b handoff) int {
		if a.From != b.From {
			return a.From - b.From
		}
		return a.To - b.To
	})
	return out
	//lab:stub
	// TODO(2D): for every point h of either ring, the arc that ends at h
	// goes from prev's owner of h to cur's. Collect the pairs that differ
	// (ignore an empty ring's -1), once each, sorted.
	//> return nil
	//lab:end
}

// poll asks the controller for configurations newer than the newest this
// member knows, reporting how far it has got, and runs again every
// pollInterval.
func (c *Cache) poll() {
	c.query()
	c.env.After(pollInterval, c.poll)
}

// query is one poll. A member that has just put an epoch in place queries
// at once, so that the controller (and a node waiting to stop) hears of it
// without waiting for the next poll.
func (c *Cache) query() {
	args := QueryArgs{Member: c.me, Known: c.newest.Epoch, Done: c.done}
	reply := QueryReply{}
	c.env.Call(c.ctrl, "Controller.Query", &args, &reply, func(ok bool) {
		if ok {
			c.learn(reply.Configs, reply.Done)
		}
	})
}

// learn takes in configurations from the controller, and how far each node
// has got. A reply to an older query may bring some the member already has.
func (c *Cache) learn(configs []Config, done map[int]int) {
	for _, cfg := range configs {
		if cfg.Epoch > c.newest.Epoch {
			c.newest = cfg
			c.queue = append(c.queue, cfg)
		}
	}
	//lab:solution 2D
	c.forgetGone()
	c.forgetDelivered(done)
	c.advance()
	//lab:stub
	// TODO(2D): stop waiting for, and sending to, members that are gone in
	// c.newest (forgetGone); stop sending to members that have put the
	// current epoch in place (forgetDelivered); then move on if the current
	// move is complete (advance).
	//lab:end
}

// advance finishes the current move if it is complete, and starts the next
// one, for as long as there is one to start.
func (c *Cache) advance() {
	//lab:solution 2D
	finished := false
	for {
		if c.done < c.cur.Epoch {
			if len(c.outbox) > 0 || len(c.waiting) > 0 {
				break // the move to cur is still under way
			}
			c.done = c.cur.Epoch
			finished = true
			c.env.Logf("config", "epoch %d in place: %d keys", c.done, len(c.data))
		}
		if len(c.queue) == 0 {
			break
		}
		next := c.queue[0]
		c.queue = c.queue[1:]
		c.adopt(next)
	}
	if finished {
		c.query()
	}
	//lab:stub
	// TODO(2D): while the current move is complete (nothing in the outbox,
	// nobody waited for), record it in c.done and tell the controller
	// (c.query); then adopt the next queued configuration, if any.
	//lab:end
}

// adopt starts the move to cfg, the configuration after c.cur.
func (c *Cache) adopt(cfg Config) {
	c.prev, c.cur = c.cur, newPlacement(cfg)
	//lab:solution 2D
	c.waiting, c.outbox = map[int]bool{}, map[int][]Entry{}
	for _, h := range handoffs(c.prev, c.cur) {
		switch {
		case h.To == c.me && !c.newest.gone(h.From):
			c.waiting[h.From] = true
		case h.From == c.me && !c.newest.gone(h.To):
			// Every member that gains arcs from us hears from us, even if
			// none of our keys lie on them: that is how it knows the arcs
			// are complete.
			c.outbox[h.To] = []Entry{}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(c.data)) {
		if to := c.cur.owner(key); to != c.me {
			if _, ok := c.outbox[to]; ok {
				c.outbox[to] = append(c.outbox[to], Entry{key, c.data[key]})
			} else {
				c.stats.KeysDropped++ // its new owner is already gone
			}
			delete(c.data, key)
		}
	}
	out := 0
	for _, to := range slices.Sorted(maps.Keys(c.outbox)) {
		out += len(c.outbox[to])
		c.handOff(to)
	}
	c.env.Logf("config", "epoch %d: members %v; hand %d keys to %v, wait for %v",
		cfg.Epoch, cfg.Members, out, slices.Sorted(maps.Keys(c.outbox)), slices.Sorted(maps.Keys(c.waiting)))
	//lab:stub
	// TODO(2D): start the move (see the steps at the top of this file):
	// whom to wait for and whom to send to (handoffs, skipping members gone
	// in c.newest); move every key this member no longer owns from c.data
	// to the outbox of its new owner; hand each outbox off.
	//lab:end
}

// handOff sends the outbox of member to, and sends it again after
// retryInterval for as long as it is neither acknowledged nor abandoned.
func (c *Cache) handOff(to int) {
	//lab:solution 2D
	epoch := c.cur.Epoch
	args := MigrateArgs{Epoch: epoch, From: c.me, Entries: c.outbox[to]}
	reply := MigrateReply{}
	c.stats.MigrateCalls++
	c.env.Call(to, "Cache.Migrate", &args, &reply, func(ok bool) {
		if _, pending := c.outbox[to]; !pending || c.cur.Epoch != epoch {
			return // abandoned: to is gone
		}
		if ok && reply.Err == OK {
			// Only now are the keys safe at their new owner. Forgetting
			// them before this point (or reporting the epoch in place) is
			// how a planned leave loses writes: the Migrate may be lost,
			// or refused by a receiver that is not at this epoch yet.
			c.stats.KeysOut += len(args.Entries)
			delete(c.outbox, to)
			c.advance()
			return
		}
		c.env.After(retryInterval, func() {
			if _, pending := c.outbox[to]; pending && c.cur.Epoch == epoch {
				c.handOff(to)
			}
		})
	})
	//lab:stub
	// TODO(2D): send "Cache.Migrate" with the outbox of `to`. When it is
	// acknowledged (OK), drop the outbox and see whether the move is
	// complete (advance); otherwise offer it again after retryInterval,
	// unless it has been abandoned meanwhile.
	//lab:end
}

// Migrate receives a handoff.
//
// Keys for an epoch this member has not reached are refused: it cannot
// tell yet whether it owns them. A handoff it is waiting for is installed,
// once. Any other is acknowledged and ignored: a duplicate of one already
// installed, or one from a member it has stopped waiting for because the
// member is gone. Installing those would bring back old values over newer
// writes.
func (c *Cache) Migrate(args *MigrateArgs, reply *MigrateReply) {
	//lab:solution 2D
	switch {
	case args.Epoch > c.cur.Epoch:
		reply.Err = ErrWrongEpoch
	case args.Epoch == c.cur.Epoch && c.waiting[args.From]:
		for _, e := range args.Entries {
			c.data[e.Key] = e.Value
		}
		delete(c.waiting, args.From)
		c.stats.KeysIn += len(args.Entries)
		c.env.Logf("migrate", "epoch %d: %d keys from n%d", args.Epoch, len(args.Entries), args.From)
		reply.Err = OK
		c.advance()
	default:
		reply.Err = OK
	}
	//lab:stub
	// TODO(2D): refuse (ErrWrongEpoch) a handoff for an epoch after c.cur;
	// install one that c.waiting expects, then stop waiting for its sender
	// and see whether the move is complete; acknowledge any other without
	// installing it.
	//> reply.Err = OK
	//lab:end
}

// arrived reports whether key, which this member owns in cur, is here: it
// came from this member itself, or from a member that is no longer waited
// for (its handoff is in, or it is gone and the key with it).
func (c *Cache) arrived(key string) bool {
	//lab:solution 2D
	from := c.prev.owner(key)
	return from == c.me || from < 0 || !c.waiting[from]
	//lab:stub
	// TODO(2D): the key's owner in c.prev is this member, or nobody, or a
	// member c.waiting no longer lists.
	//> return true
	//lab:end
}

// forgetGone stops waiting for members that are gone in the newest
// configuration, and abandons the handoffs to them. Their keys are lost:
// the cache's price for a crash.
func (c *Cache) forgetGone() {
	//lab:solution 2D
	for _, from := range slices.Sorted(maps.Keys(c.waiting)) {
		if c.newest.gone(from) {
			delete(c.waiting, from)
			c.env.Logf("migrate", "epoch %d: n%d is gone; its keys are lost", c.cur.Epoch, from)
		}
	}
	for _, to := range slices.Sorted(maps.Keys(c.outbox)) {
		if c.newest.gone(to) {
			c.stats.KeysDropped += len(c.outbox[to])
			delete(c.outbox, to)
			c.env.Logf("migrate", "epoch %d: n%d is gone; the keys for it are lost", c.cur.Epoch, to)
		}
	}
	//lab:stub
	// TODO(2D): drop from c.waiting and from c.outbox every member that
	// c.newest says is gone.
	//lab:end
}

// forgetDelivered drops the outbox of every member that the controller says
// has put the current epoch, or a later one, in place. That member waited
// for this handoff, so it has installed it: only the acknowledgement was
// lost. Without this, a lost acknowledgement can stall the move for good: if
// the receiver then leaves, finishes and is stopped, nothing is left to
// answer the retries, and it is not gone in any configuration until the
// next change comes, which may be never.
func (c *Cache) forgetDelivered(done map[int]int) {
	//lab:solution 2D
	for _, to := range slices.Sorted(maps.Keys(c.outbox)) {
		if done[to] >= c.cur.Epoch {
			c.stats.KeysOut += len(c.outbox[to])
			delete(c.outbox, to)
			c.env.Logf("migrate", "epoch %d: n%d has put it in place; its acknowledgement was lost", c.cur.Epoch, to)
		}
	}
	//lab:stub
	// TODO(2D): drop from c.outbox every member whose done epoch is at
	// least c.cur.Epoch: it has the handoff already.
	//lab:end
}
