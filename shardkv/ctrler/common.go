// Package ctrler is lab 7A: the shard controller of the sharded key/value
// store. The key space is cut into NShards shards (Key2Shard); the data of
// each shard lives on one replica group (lab 7B, protolab/shardkv/group); and
// the controller says which group serves which shard. It keeps a numbered
// sequence of configurations: config 0 has no groups, and every Join, Leave
// or Move makes the next one. Groups and clients Query it for the latest.
//
// The controller is a replicated service of lab 6: a state machine on the
// replicated state machine layer (protolab/services/rsm), on Raft or
// Multi-Paxos, with the layer's duplicate table making every Join, Leave and
// Move take effect exactly once however often a clerk retries it.
//
// Placement is lab 2's: a shard goes to the group that wins it by
// rendezvous hashing (chash.Rendezvous) among the groups with room, and no
// group holds more than ⌈1.25·NShards/groups⌉ shards, the bound of
// consistent hashing with bounded loads (balance.go says why rendezvous,
// and how few shards each change moves).
//
// The handout is docs/lab7-shardkv.md.
package ctrler

import (
	"maps"
	"slices"

	//lab:solution 7A
	"protolab/chash"
	//lab:end
	"protolab/labgob"
	"protolab/services/rsm"
)

// NShards is the number of shards in the key space: a constant every group
// and client relies on.
const NShards = 10

// Key2Shard maps a key to its shard: lab 2's key hash (chash.HashKey) mod
// NShards. It is fixed forever, unlike the placement, which maps shards to
// groups and changes with every configuration.
func Key2Shard(key string) int {
	//lab:solution 7A
	return int(chash.HashKey(key) % NShards)
	//lab:stub
	// TODO(7A): hash the key with lab 2's chash.HashKey, mod NShards.
	//> return 0
	//lab:end
}

// A Config is one numbered configuration: which group serves each shard,
// and which servers make up each group.
//
// Config 0 is the initial one: no groups, every shard assigned to gid 0,
// which means "no group". A Config that came from Query is the caller's own
// copy; a Config kept while others are made from it must be copied (Copy):
// Groups is a map, and two configs sharing it would change together.
type Config struct {
	Num    int           // the config number: 0, 1, 2, ...
	Shards [NShards]int  // shard → gid (0: unassigned)
	Groups map[int][]int // gid → the world node ids of the group's servers
}

// Copy returns a deep copy of c: its own Groups map and server lists.
func (c Config) Copy() Config {
	d := Config{Num: c.Num, Shards: c.Shards, Groups: make(map[int][]int, len(c.Groups))}
	for gid, servers := range c.Groups {
		d.Groups[gid] = slices.Clone(servers)
	}
	return d
}

// GIDs returns the config's group ids, sorted: iterate over this, never over
// the Groups map, whenever the order matters.
func (c Config) GIDs() []int { return slices.Sorted(maps.Keys(c.Groups)) }

// ShardsOf returns the shards the config assigns to gid, in order.
func (c Config) ShardsOf(gid int) []int {
	var shards []int
	for s, g := range c.Shards {
		if g == gid {
			shards = append(shards, s)
		}
	}
	return shards
}

// Err says how a request ended.
type Err string

const (
	OK Err = "OK"
	// ErrWrongLeader: this server cannot answer; the clerk tries another.
	ErrWrongLeader = Err(rsm.ErrWrongLeader)
	// ErrTimeout: the request was not applied in time; the clerk tries again.
	ErrTimeout = Err(rsm.ErrTimeout)
	// ErrRefused: the request was applied and refused, for the reason the
	// reply gives (a gid joined twice, a Leave of a gid that is not in the
	// config, a Move to an unknown group...). No config was made.
	ErrRefused Err = "ErrRefused"
)

// The service and its methods, for callers that name them: clients through
// a Clerk, and group servers (node code) through their labrpc.Env (Poller).
const (
	Service     = "ShardCtrler"
	MethodJoin  = Service + ".Join"
	MethodLeave = Service + ".Leave"
	MethodMove  = Service + ".Move"
	MethodQuery = Service + ".Query"
)

// JoinArgs adds groups: gid → the group's servers. ClientId and Seq name
// the request for the duplicate table (rsm.Request): a retry sends the very
// same args.
type JoinArgs struct {
	Groups   map[int][]int
	ClientId int64
	Seq      int64
}

// LeaveArgs removes the groups GIDs; their shards go to the others.
type LeaveArgs struct {
	GIDs     []int
	ClientId int64
	Seq      int64
}

// MoveArgs assigns Shard to the group GID, and pins it there (balance.go).
type MoveArgs struct {
	Shard    int
	GID      int
	ClientId int64
	Seq      int64
}

// QueryArgs asks for config Num; -1 (any negative number), or a number
// past the latest, asks for the latest.
type QueryArgs struct {
	Num int
}

// JoinReply, LeaveReply and MoveReply say how a change ended; Reason says
// why it was refused (Err == ErrRefused).
type JoinReply struct {
	Err    Err
	Reason string
}

type LeaveReply struct {
	Err    Err
	Reason string
}

type MoveReply struct {
	Err    Err
	Reason string
}

// QueryReply carries the config asked for.
type QueryReply struct {
	Config Config
	Err    Err
}

// The operations the controller puts in the log, and what applying them
// returns (kept in the duplicate table, so in snapshots).
type JoinOp struct{ Groups map[int][]int }
type LeaveOp struct{ GIDs []int }
type MoveOp struct{ Shard, GID int }
type QueryOp struct{ Num int }

// ChangeResult is what a Join, Leave or Move returns: OK with the number of
// the config it made, or ErrRefused and the reason.
type ChangeResult struct {
	Err    Err
	Reason string
	Num    int
}

// QueryResult is what a Query returns.
type QueryResult struct {
	Config Config
}

func init() {
	labgob.Register(JoinOp{})
	labgob.Register(LeaveOp{})
	labgob.Register(MoveOp{})
	labgob.Register(QueryOp{})
	labgob.Register(ChangeResult{})
	labgob.Register(QueryResult{})
}
