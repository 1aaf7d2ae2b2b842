// Package group is lab 7B and 7C: the replica groups of the sharded
// key/value store. The key space is cut into ctrler.NShards shards; the
// controller of 7A (protolab/shardkv/ctrler) says, in numbered
// configurations, which group serves each shard; and each group is a lab 6
// key/value store (a state machine on the rsm layer, on Raft or Multi-Paxos)
// that serves the shards its current configuration gives it and refuses the
// others with ErrWrongGroup.
//
// When the configuration changes, shards move. A group moves from one
// configuration to the next one number at a time, through its log (so that
// its replicas agree on the point, among the operations, where it happened);
// it stops serving the shards it lost at that point, keeping them frozen for
// their new owners; and it pulls the shards it gained from their previous
// owners, with their duplicate-detection state, so that a Put retried after
// its shard moved is still applied once. Installing a shard goes through
// the log too. Part 7C adds what a production system needs: a group deletes
// a shard it handed off once the receiver confirms it has it (bounded
// storage), and serves each shard as soon as it is in place, so shards that
// do not move are served all through a migration.
//
// The values and versions are lab 1's (kvsrv.Err, kvsrv.Tversion, the
// porcupine model kvsrv.Model), as in lab 6's store.
//
// The handout is docs/lab7-shardkv.md (sections 7B and 7C).
package group

import (
	"protolab/kvsrv"
	"protolab/labgob"
	"protolab/services/kv"
	"protolab/services/rsm"
	"protolab/shardkv/ctrler"
)

// Err says how an operation ended: lab 1's errors, the layer's two, and
// the groups' own.
type Err = kvsrv.Err

const (
	OK         = kvsrv.OK
	ErrNoKey   = kvsrv.ErrNoKey
	ErrVersion = kvsrv.ErrVersion
	// ErrWrongLeader: this server cannot answer; the clerk tries another
	// server of the group.
	ErrWrongLeader = Err(rsm.ErrWrongLeader)
	// ErrTimeout: the request was not applied in time; the clerk tries again.
	ErrTimeout = Err(rsm.ErrTimeout)
	// ErrWrongGroup: this group does not serve the key's shard now (its
	// config gives the shard to another group, or the shard has not yet
	// arrived). The clerk asks the controller for the latest config and
	// tries again.
	ErrWrongGroup Err = "ErrWrongGroup"
	// ErrNotReady: a PullShard or DeleteShard asked about a config this
	// group has not reached (or a shard it does not hold for that config).
	// The asking group tries again later.
	ErrNotReady Err = "ErrNotReady"
)

// Tversion is a key's version, as in lab 1.
type Tversion = kvsrv.Tversion

// The RPCs of a group server, by name.
const (
	Service      = "ShardKV"
	MethodGet    = Service + ".Get"
	MethodPut    = Service + ".Put"
	MethodPull   = Service + ".PullShard"
	MethodDelete = Service + ".DeleteShard"
)

// The clients' RPCs are lab 6's store's (services/kv): a Put names itself
// by ClientId and Seq, and a retry, to this group or to the group the shard
// has moved to, sends the very same args.
type (
	PutArgs  = kv.PutArgs
	PutReply = kv.PutReply
	GetArgs  = kv.GetArgs
	GetReply = kv.GetReply
)

// PullArgs asks a group for the shard it handed off when it reached config
// ConfigNum: the receiver gained Shard in that config.
type PullArgs struct {
	ConfigNum int
	Shard     int
}

// PullReply carries the shard: its keys and its duplicate table.
type PullReply struct {
	Err  Err
	Data ShardData
}

// DeleteArgs tells the group that handed Shard off at config ConfigNum
// that the receiver has installed it: the sender may delete its copy (7C).
type DeleteArgs struct {
	ConfigNum int
	Shard     int
}

type DeleteReply struct {
	Err Err
}

// ShardData is one shard as it travels and as it is snapshotted: its keys
// and its clients' last Puts, each sorted (the same shard always gives the
// same bytes).
type ShardData struct {
	Keys    []KeyValue
	Clients []LastPut
}

// KeyValue is one key of a shard.
type KeyValue struct {
	Key     string
	Value   string
	Version Tversion
}

// LastPut is one client's row of a shard's duplicate table: the Seq of its
// last Put applied to the shard, and that Put's answer.
type LastPut struct {
	ClientId int64
	Seq      int64
	Err      Err
}

// The operations a group puts in its log, and what applying them returns.
type (
	// GetOp and PutOp are the clients'.
	GetOp struct{ Key string }
	PutOp struct {
		Key      string
		Value    string
		Version  Tversion
		ClientId int64
		Seq      int64
	}
	// ConfigOp moves the group to Config, whose Num must be one past the
	// group's current config.
	ConfigOp struct{ Config ctrler.Config }
	// InstallOp installs Shard, pulled from its previous owner, in config
	// ConfigNum.
	InstallOp struct {
		ConfigNum int
		Shard     int
		Data      ShardData
	}
	// DeleteOp deletes the copy of Shard handed off at ConfigNum (7C, at the
	// old owner); AckOp records that the old owner has deleted it (7C, at
	// the receiver).
	DeleteOp struct{ ConfigNum, Shard int }
	AckOp    struct{ ConfigNum, Shard int }

	// GetResult is a GetOp's result; Result every other op's.
	GetResult struct {
		Value   string
		Version Tversion
		Err     Err
	}
	Result struct{ Err Err }
)

func init() {
	labgob.Register(GetOp{})
	labgob.Register(PutOp{})
	labgob.Register(ConfigOp{})
	labgob.Register(InstallOp{})
	labgob.Register(DeleteOp{})
	labgob.Register(AckOp{})
	labgob.Register(GetResult{})
	labgob.Register(Result{})
}
