package ctrler

import (
	"fmt"
	"maps"
	"slices"
)

// configs is the controller's state, the same on every replica: the
// configs made so far (configs[i].Num == i) and the shards Move pinned.
// It knows nothing of the network or the log, so that the tests can hold
// a history to it as the sequential specification.
type configs struct {
	list   []Config
	pinned [NShards]bool
	choose chooser
}

func newConfigs() *configs {
	return &configs{list: []Config{{Num: 0, Groups: map[int][]int{}}}, choose: rendezvous}
}

// latest is the newest config (the state's own: copy it before changing).
func (c *configs) latest() Config { return c.list[len(c.list)-1] }

// apply applies one operation and returns its result.
func (c *configs) apply(op any) any {
	switch o := op.(type) {
	case JoinOp:
		if why := c.checkJoin(o.Groups); why != "" {
			return ChangeResult{Err: ErrRefused, Reason: why}
		}
		return c.join(o.Groups)
	case LeaveOp:
		if why := c.checkLeave(o.GIDs); why != "" {
			return ChangeResult{Err: ErrRefused, Reason: why}
		}
		return c.leave(o.GIDs)
	case MoveOp:
		if why := c.checkMove(o.Shard, o.GID); why != "" {
			return ChangeResult{Err: ErrRefused, Reason: why}
		}
		return c.move(o.Shard, o.GID)
	case QueryOp:
		return QueryResult{Config: c.query(o.Num)}
	}
	panic(fmt.Sprintf("ctrler: DoOp(%T): the controller applies JoinOp, LeaveOp, MoveOp and QueryOp only", op))
}

// join makes the next config: the groups added, the shards rebalanced.
func (c *configs) join(groups map[int][]int) ChangeResult {
	//lab:solution 7A
	next := c.latest().Copy()
	next.Num++
	var joined []int
	for gid, servers := range groups {
		next.Groups[gid] = slices.Clone(servers)
		joined = append(joined, gid)
	}
	slices.Sort(joined)
	next.Shards = rebalance(c.choose, next.Shards, next.GIDs(), joined, &c.pinned)
	c.list = append(c.list, next)
	return ChangeResult{Err: OK, Num: next.Num}
	//lab:stub
	// TODO(7A): make the next config from a copy of the latest (Copy: the
	// latest's Groups map must not change), with the groups added and the
	// shards rebalanced (rebalance, balance.go).
	//> return ChangeResult{Err: OK}
	//lab:end
}

// leave makes the next config: the groups removed, their shards placed on
// the others.
func (c *configs) leave(gids []int) ChangeResult {
	//lab:solution 7A
	next := c.latest().Copy()
	next.Num++
	for _, gid := range gids {
		delete(next.Groups, gid)
	}
	next.Shards = rebalance(c.choose, next.Shards, next.GIDs(), nil, &c.pinned)
	c.list = append(c.list, next)
	return ChangeResult{Err: OK, Num: next.Num}
	//lab:stub
	// TODO(7A): make the next config without the groups, their shards
	// rebalanced onto the others.
	//> return ChangeResult{Err: OK}
	//lab:end
}

// move makes the next config: shard on gid, pinned there; nothing else
// moves.
func (c *configs) move(shard, gid int) ChangeResult {
	//lab:solution 7A
	next := c.latest().Copy()
	next.Num++
	next.Shards[shard] = gid
	c.pinned[shard] = true
	c.list = append(c.list, next)
	return ChangeResult{Err: OK, Num: next.Num}
	//lab:stub
	// TODO(7A): make the next config with shard on gid, and pin it there.
	//> return ChangeResult{Err: OK}
	//lab:end
}

// query returns a copy of config num, or of the latest if num < 0 or past
// the latest.
func (c *configs) query(num int) Config {
	//lab:solution 7A
	if num < 0 || num >= len(c.list) {
		return c.latest().Copy()
	}
	return c.list[num].Copy()
	//lab:stub
	// TODO(7A): config num, or the latest; a copy, never the state's own.
	//> return Config{}
	//lab:end
}

// The checks: a request that cannot be applied is refused whole, with a
// reason that names the fix, and makes no config.

func (c *configs) checkJoin(groups map[int][]int) string {
	if len(groups) == 0 {
		return "Join of no groups: name at least one gid and its servers"
	}
	cur := c.latest()
	for _, gid := range slices.Sorted(maps.Keys(groups)) {
		switch {
		case gid <= 0:
			return fmt.Sprintf("Join of gid %d: a gid must be positive (0 means \"no group\")", gid)
		case cur.Groups[gid] != nil:
			return fmt.Sprintf("Join of gid %d: it is already in config %d; Leave it first, or pick another gid", gid, cur.Num)
		case len(groups[gid]) == 0:
			return fmt.Sprintf("Join of gid %d with no servers: list the world node ids of its servers", gid)
		}
	}
	return ""
}

func (c *configs) checkLeave(gids []int) string {
	if len(gids) == 0 {
		return "Leave of no groups: name at least one gid"
	}
	cur := c.latest()
	for i, gid := range gids {
		if cur.Groups[gid] == nil {
			return fmt.Sprintf("Leave of gid %d: it is not in config %d (its groups: %v)", gid, cur.Num, cur.GIDs())
		}
		if slices.Contains(gids[:i], gid) {
			return fmt.Sprintf("Leave of gid %d twice in one request: name each gid once", gid)
		}
	}
	return ""
}

func (c *configs) checkMove(shard, gid int) string {
	cur := c.latest()
	switch {
	case shard < 0 || shard >= NShards:
		return fmt.Sprintf("Move of shard %d: shards are 0 to %d (NShards-1)", shard, NShards-1)
	case cur.Groups[gid] == nil:
		return fmt.Sprintf("Move of shard %d to gid %d: it is not in config %d (its groups: %v); Join it first", shard, gid, cur.Num, cur.GIDs())
	}
	return ""
}
