package ctrler

import (
	"bytes"
	"fmt"

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/rsm"
)

// ShardCtrler is one replica of the controller: its configs (the state
// machine the layer replicates) and the RPC handlers clerks and groups call.
// The handlers answer later (labrpc's deferred replies), once the layer has
// applied the request or said that this server cannot.
type ShardCtrler struct {
	rsm *rsm.RSM
	cfg *configs
}

// MakeShardCtrler boots one replica of the controller on engine: the layer,
// its engine peer, and the configs. maxStateSize bounds the engine's
// persisted state before the layer snapshots (-1: never). The node's boot
// function returns its Services():
//
//	w.Start(i, func(env labrpc.Env) any {
//		return ctrler.MakeShardCtrler(env, raft.Engine, -1).Services()
//	})
//
// StartCluster (cluster.go) does that for a whole controller.
func MakeShardCtrler(env labrpc.Env, engine replog.Engine, maxStateSize int) *ShardCtrler {
	sc := &ShardCtrler{cfg: newConfigs()}
	sc.rsm = rsm.Make(env, engine, maxStateSize, sc)
	return sc
}

// Services is what the node's boot function returns: the layer's engine
// peer and the controller's handlers.
func (sc *ShardCtrler) Services() []any { return append(sc.rsm.Services(), sc) }

// RSM is the layer under the controller.
func (sc *ShardCtrler) RSM() *rsm.RSM { return sc.rsm }

// Latest is this replica's newest config, as applied so far (for tests and
// the demo: a client asks with Query).
func (sc *ShardCtrler) Latest() Config { return sc.cfg.latest().Copy() }

// NumConfigs is how many configs this replica has applied, config 0 included.
func (sc *ShardCtrler) NumConfigs() int { return len(sc.cfg.list) }

// Join adds the groups args names.
func (sc *ShardCtrler) Join(args *JoinArgs, reply *JoinReply, respond func()) {
	sc.change(rsm.Request{ClientId: args.ClientId, Seq: args.Seq, Op: JoinOp{Groups: args.Groups}}, &reply.Err, &reply.Reason, respond)
}

// Leave removes the groups args names.
func (sc *ShardCtrler) Leave(args *LeaveArgs, reply *LeaveReply, respond func()) {
	sc.change(rsm.Request{ClientId: args.ClientId, Seq: args.Seq, Op: LeaveOp{GIDs: args.GIDs}}, &reply.Err, &reply.Reason, respond)
}

// Move puts a shard on a group.
func (sc *ShardCtrler) Move(args *MoveArgs, reply *MoveReply, respond func()) {
	sc.change(rsm.Request{ClientId: args.ClientId, Seq: args.Seq, Op: MoveOp{Shard: args.Shard, GID: args.GID}}, &reply.Err, &reply.Reason, respond)
}

// change submits a Join, Leave or Move and answers with its result.
func (sc *ShardCtrler) change(req rsm.Request, err *Err, reason *string, respond func()) {
	//lab:solution 7A
	sc.rsm.Submit(req, func(result any, e rsm.Err) {
		r, ok := result.(ChangeResult)
		switch {
		case e != rsm.OK:
			*err = Err(e)
		case !ok:
			// A request older than the client's last: the client has
			// moved on and does not read this answer.
			*err = ErrWrongLeader
		default:
			*err, *reason = r.Err, r.Reason
		}
		respond()
	})
	//lab:stub
	// TODO(7A): submit req to the layer (it carries the client's id and
	// Seq, so a retry is applied once), and answer with the result.
	//> *err = ErrWrongLeader
	//> respond()
	//lab:end
}

// Query answers config args.Num (the latest if -1), through the log.
func (sc *ShardCtrler) Query(args *QueryArgs, reply *QueryReply, respond func()) {
	//lab:solution 7A
	sc.rsm.Submit(rsm.Request{Op: QueryOp{Num: args.Num}}, func(result any, e rsm.Err) {
		r, ok := result.(QueryResult)
		switch {
		case e != rsm.OK:
			reply.Err = Err(e)
		case !ok:
			reply.Err = ErrWrongLeader
		default:
			reply.Config, reply.Err = r.Config, OK
		}
		respond()
	})
	//lab:stub
	// TODO(7A): submit a QueryOp (no Seq: a read may apply twice) and
	// answer with the config.
	//> reply.Err = ErrWrongLeader
	//> respond()
	//lab:end
}

// The state machine (rsm.StateMachine).

// DoOp applies a JoinOp, LeaveOp, MoveOp or QueryOp.
func (sc *ShardCtrler) DoOp(op any) any { return sc.cfg.apply(op) }

// ctrlerState is the controller's snapshot. Groups go in gid order (a
// map's order would give the same state different bytes).
type ctrlerState struct {
	Configs []configState
	Pinned  [NShards]bool
}

type configState struct {
	Num     int
	Shards  [NShards]int
	GIDs    []int
	Servers [][]int
}

// Snapshot encodes the configs and the pins.
func (sc *ShardCtrler) Snapshot() []byte {
	var s ctrlerState
	//lab:solution 7A
	s.Pinned = sc.cfg.pinned
	for _, c := range sc.cfg.list {
		cs := configState{Num: c.Num, Shards: c.Shards, GIDs: c.GIDs()}
		for _, gid := range cs.GIDs {
			cs.Servers = append(cs.Servers, c.Groups[gid])
		}
		s.Configs = append(s.Configs, cs)
	}
	//lab:stub
	// TODO(7A): put every config (and what else a replica needs to make
	// the same next config) in s.
	//lab:end
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(s); err != nil {
		panic(fmt.Sprintf("ctrler: cannot encode the controller's snapshot: %v", err))
	}
	return b.Bytes()
}

// Restore replaces the configs with a snapshot's.
func (sc *ShardCtrler) Restore(data []byte) {
	var s ctrlerState
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		panic(fmt.Sprintf("ctrler: cannot decode a snapshot of %d bytes: %v (was it made by ShardCtrler.Snapshot?)", len(data), err))
	}
	//lab:solution 7A
	sc.cfg = newConfigs()
	sc.cfg.list = nil
	sc.cfg.pinned = s.Pinned
	for _, cs := range s.Configs {
		c := Config{Num: cs.Num, Shards: cs.Shards, Groups: map[int][]int{}}
		for i, gid := range cs.GIDs {
			c.Groups[gid] = cs.Servers[i]
		}
		sc.cfg.list = append(sc.cfg.list, c)
	}
	//lab:stub
	// TODO(7A): replace the configs with s's.
	//lab:end
}
