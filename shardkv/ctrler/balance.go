package ctrler

import (
	"fmt"
	"strconv"

	"protolab/chash"
)

// Placement: which group serves each shard in the next config.
//
// Why rendezvous hashing, and not lab 2's bounded-load ring (chash.Bounded):
// the controller is a replicated state machine, so its state must be what
// its configs say, and a snapshot must rebuild it. Rendezvous hashing is a
// pure function of the shard and the set of groups (no ring to rebuild, no
// history of arcs and overflows as a Bounded keeps), and its preference is
// defined over any subset of the groups, which is what "the first group with
// room" needs. A ring with 10 shards and a few groups also spreads them
// badly (a group's share of the ring varies by ±1/√vnodes); rendezvous gives
// each group a fair chance at each shard.
//
// The rules, each one deterministic (gids sorted, shards in order):
//
//  1. A shard keeps its group if that group is still in the config.
//     Consistent hashing's promise: nothing moves without a reason.
//  2. A Join takes, for each joining group, the shards it wins among all the
//     groups (rendezvous), as long as it has room and the group it takes
//     from holds more than it would: about NShards/k for the k-th group,
//     the ideal.
//  3. A shard without a group (its group left, or it is config 0's) goes to
//     the group that wins it among those with room.
//  4. A joining group that won fewer than its fair share ⌊NShards/groups⌋
//     takes the rest from the fullest groups: rendezvous over 10 shards is
//     lumpy, and a group that joins and gets nothing serves nothing.
//  5. A group above the capacity ⌈1.25·NShards/groups⌉ (capacity) sheds
//     shards, in shard order, each to the group that wins it among those
//     with room. With NShards = 10 this matters: a Join lowers the capacity
//     (two groups may hold 7 each, three only 5), and a group the joiner
//     did not take enough from must give shards up.
//
// A moved shard is pinned (Move): rules 2, 4 and 5 leave it where Move put it,
// so a later Join or Leave does not undo an administrator's decision, and
// its group may stay above capacity because of it. It is unpinned when its
// group leaves (rule 3 places it like any other) or by another Move.

// capacity is the most shards one group may hold when there are groups of
// them: ⌈1.25·NShards/groups⌉, in integers (5·NShards/(4·groups), rounded
// up), since 1.25·10/3 in floating point is not exact. With no groups
// there is no capacity.
func capacity(groups int) int {
	//lab:solution 7A
	if groups == 0 {
		return 0
	}
	return (5*NShards + 4*groups - 1) / (4 * groups)
	//lab:stub
	// TODO(7A): ⌈1.25·NShards/groups⌉ in integer arithmetic (lab 2B's capacity).
	//> return NShards
	//lab:end
}

// A chooser says which of gids (sorted, at least one) wins shard. The
// controller's is rendezvous; the benchmarks plug in lab 2's others.
type chooser func(shard int, gids []int) int

// groupName and shardName are the names lab 2's placement hashes.
func groupName(gid int) string   { return "gid-" + strconv.Itoa(gid) }
func shardName(shard int) string { return "shard-" + strconv.Itoa(shard) }

// rendezvous is the controller's chooser: the group with the highest
// rendezvous score for the shard (chash.Rendezvous, lab 2C).
func rendezvous(shard int, gids []int) int {
	names := make([]string, len(gids))
	for i, gid := range gids {
		names[i] = groupName(gid)
	}
	r, err := chash.NewRendezvous(names...)
	if err != nil {
		panic(fmt.Sprintf("ctrler: placing shard %d on groups %v: %v", shard, gids, err))
	}
	return gidOf(r.Lookup(shardName(shard)), names, gids)
}

// gidOf is the gid whose name lab 2's placement returned.
func gidOf(name string, names []string, gids []int) int {
	for i, n := range names {
		if n == name {
			return gids[i]
		}
	}
	panic(fmt.Sprintf("ctrler: the placement chose %q, which is none of the groups %v (lab 2's Lookup must return one of its members)", name, gids))
}

// fullestShard is the first unpinned shard of the group (not except) that
// holds the most shards, the lowest gid among equals; -1 if there is none.
func fullestShard(shards [NShards]int, gids []int, load map[int]int, pinned *[NShards]bool, except int) int {
	best, bestShard := -1, -1
	for _, gid := range gids {
		if gid == except || load[gid] <= best {
			continue
		}
		for s := range shards {
			if shards[s] == gid && !pinned[s] {
				best, bestShard = load[gid], s
				break
			}
		}
	}
	return bestShard
}

// rebalance returns the shards of the next config: prev's, changed by the
// rules above, over the groups gids (sorted) of which joined just joined.
// pinned marks the shards Move pinned; rebalance unpins those whose group
// is gone.
func rebalance(choose chooser, prev [NShards]int, gids, joined []int, pinned *[NShards]bool) [NShards]int {
	var shards [NShards]int
	//lab:solution 7A
	if len(gids) == 0 {
		*pinned = [NShards]bool{}
		return shards // every shard back to gid 0
	}
	capNow := capacity(len(gids))
	load := map[int]int{}
	present := map[int]bool{}
	for _, gid := range gids {
		present[gid] = true
	}
	// Rule 1: keep what can be kept.
	for s, gid := range prev {
		if present[gid] {
			shards[s] = gid
			load[gid]++
		} else {
			pinned[s] = false
		}
	}
	withRoom := func(except int) []int {
		var room []int
		for _, gid := range gids {
			if gid != except && load[gid] < capNow {
				room = append(room, gid)
			}
		}
		return room
	}
	assign := func(s, gid int) {
		if shards[s] != 0 {
			load[shards[s]]--
		}
		shards[s] = gid
		load[gid]++
	}
	// Rule 2: a joining group takes what it wins, from groups that hold
	// more than it would (taking a group's last shard helps nobody).
	isJoined := map[int]bool{}
	for _, gid := range joined {
		isJoined[gid] = true
	}
	if len(joined) > 0 {
		for s := range shards {
			w := choose(s, gids)
			if isJoined[w] && !pinned[s] && shards[s] != w && load[w] < capNow && (shards[s] == 0 || load[shards[s]] > load[w]+1) {
				assign(s, w)
			}
		}
	}
	// Rule 3: shards without a group.
	for s := range shards {
		if shards[s] == 0 {
			assign(s, choose(s, withRoom(0)))
		}
	}
	// Rule 4: a joining group short of its fair share ⌊NShards/groups⌋
	// (it won too few) takes the rest from the fullest groups.
	fair := NShards / len(gids)
	for _, gid := range joined {
		for load[gid] < fair {
			s := fullestShard(shards, gids, load, pinned, gid)
			if s < 0 || load[shards[s]] <= load[gid]+1 {
				break // nothing to take that would not just move the imbalance
			}
			assign(s, gid)
		}
	}
	// Rule 5: groups above capacity shed, in gid order.
	for _, gid := range gids {
		for s := range shards {
			if load[gid] <= capNow {
				break
			}
			if shards[s] == gid && !pinned[s] {
				assign(s, choose(s, withRoom(gid)))
			}
		}
	}
	//lab:stub
	// TODO(7A): keep each shard on its group if the group is still there;
	// give a joining group the shards it wins (choose) while it has room,
	// and then from the fullest groups up to ⌊NShards/groups⌋; place the
	// shards without a group; then move shards off any group
	// above capacity(len(gids)). Leave pinned shards where they are, and
	// unpin those whose group left. Iterate over gids and shards in order,
	// never over a map: every replica must compute the same config.
	//lab:end
	return shards
}
