package group

import (
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/rsm"
	"protolab/shardkv/ctrler"
)

// ShardKV is one server of a replica group: the state machine (machine.go)
// on the rsm layer, the RPC handlers clients and other groups call, and the
// leader's background work, on a timer (poll.go): asking the controller for
// the next config, pulling the shards the group gained (migrate.go), and in
// 7C telling old owners they may delete what they handed off (gc.go).
type ShardKV struct {
	env    labrpc.Env
	rsm    *rsm.RSM
	m      *machine
	poller *ctrler.Poller

	// The leader's calls in flight, so that a tick does not send a second
	// one while the first is out ("query", "pull 3", "delete 3").
	busy map[string]bool
	// next, by the same names, is which server of the other group to try
	// next: the one that answered last, or the one after a failure.
	next map[string]int
}

// PollEvery is how often a group's leader asks the controller for the next
// config, and retries the pulls (and, in 7C, the deletes) still to do.
const PollEvery = 100 * time.Millisecond

// StartServer boots one server of group gid, whose servers are the world
// nodes group (this one among them): an engine peer, the rsm layer, and the
// group's state machine. ctrlers are the controller's servers. The engine
// and the layer see the group alone (ctrler.GroupEnv); the server keeps
// env, with world node ids, to call the controller and other groups.
// maxStateSize bounds the engine's persisted state before the layer
// snapshots (-1: never). The node's boot function returns kv.Services()
// (Cluster.StartServer does it all).
func StartServer(env labrpc.Env, engine replog.Engine, gid int, group, ctrlers []int, maxStateSize int) *ShardKV {
	kv := &ShardKV{env: env, m: newMachine(gid), poller: ctrler.NewPoller(env, ctrlers),
		busy: map[string]bool{}, next: map[string]int{}}
	kv.rsm = rsm.Make(ctrler.GroupEnv(env, group), engine, maxStateSize, kv)
	kv.env.After(PollEvery, kv.tick)
	return kv
}

// Services is what the node's boot function returns: the engine's peer and
// the group's handlers.
func (kv *ShardKV) Services() []any { return append(kv.rsm.Services(), kv) }

// RSM is the layer under the group's state machine.
func (kv *ShardKV) RSM() *rsm.RSM { return kv.rsm }

// Gid is the server's group.
func (kv *ShardKV) Gid() int { return kv.m.gid }

// ConfigNum is the config this server has applied.
func (kv *ShardKV) ConfigNum() int { return kv.m.config.Num }

// Serving reports whether this server's state serves shard s now.
func (kv *ShardKV) Serving(s int) bool { return kv.m.canServe(s) }

// ShardStates describes each shard's state in this server, for tests and
// the demo: "serving", "pulling" or "absent" (a handed-off copy is kept
// apart: Stored counts it).
func (kv *ShardKV) ShardStates() [ctrler.NShards]string {
	var st [ctrler.NShards]string
	for s := range kv.m.shards {
		st[s] = kv.m.shards[s].State.String()
	}
	return st
}

// Stored is how many keys, and bytes of keys and values, this server
// holds, in shards of every state.
func (kv *ShardKV) Stored() (keys, bytes int) { return kv.m.stored() }

// Peek is a key's version in this server's state, whatever the shard's
// state (0 if it holds no such key): for tests that check what was applied.
func (kv *ShardKV) Peek(key string) Tversion {
	return kv.m.shards[ctrler.Key2Shard(key)].data[key].Version
}

// isLeader reports whether this server's engine peer believes it leads.
func (kv *ShardKV) isLeader() bool {
	_, isLeader := kv.rsm.Peer().GetState()
	return isLeader
}

// Get answers the key's value and version, through the log: the group's
// answer is only good if, at that point in the log, it served the shard.
func (kv *ShardKV) Get(args *GetArgs, reply *GetReply, respond func()) {
	//lab:solution 7B
	if kv.isLeader() && !kv.m.canServe(ctrler.Key2Shard(args.Key)) {
		reply.Err = ErrWrongGroup // early; the check that counts is at apply time
		respond()
		return
	}
	kv.rsm.Submit(rsm.Request{Op: GetOp{Key: args.Key}}, func(result any, err rsm.Err) {
		r, ok := result.(GetResult)
		switch {
		case err != rsm.OK:
			reply.Err = Err(err)
		case !ok:
			reply.Err = ErrWrongLeader
		default:
			reply.Value, reply.Version, reply.Err = r.Value, r.Version, r.Err
		}
		respond()
	})
	//lab:stub
	// TODO(7B): submit a GetOp (no Seq: the group's state machine keeps
	// its own duplicate tables, one per shard) and answer with its result.
	//> reply.Err = ErrWrongLeader
	//> respond()
	//lab:end
}

// Put sets the key if its version is args.Version, once per client and Seq.
func (kv *ShardKV) Put(args *PutArgs, reply *PutReply, respond func()) {
	//lab:solution 7B
	if kv.isLeader() && !kv.m.canServe(ctrler.Key2Shard(args.Key)) {
		reply.Err = ErrWrongGroup
		respond()
		return
	}
	op := PutOp{Key: args.Key, Value: args.Value, Version: args.Version, ClientId: args.ClientId, Seq: args.Seq}
	kv.rsm.Submit(rsm.Request{Op: op}, func(result any, err rsm.Err) {
		r, ok := result.(Result)
		switch {
		case err != rsm.OK:
			reply.Err = Err(err)
		case !ok:
			reply.Err = ErrWrongLeader
		default:
			reply.Err = r.Err
		}
		respond()
	})
	//lab:stub
	// TODO(7B): submit a PutOp carrying the client's id and Seq, and
	// answer with its result.
	//> reply.Err = ErrWrongLeader
	//> respond()
	//lab:end
}

// submit puts one of the group's own operations (a config, a shard, a
// delete) in the log; nobody waits for its answer: the next tick looks at
// the state.
func (kv *ShardKV) submit(op any) {
	kv.rsm.Submit(rsm.Request{Op: op}, func(any, rsm.Err) {})
}

// The state machine, for the rsm layer (rsm.StateMachine).

// DoOp applies one of the group's operations. The leader notes each
// config it moves to in the trace (the demo's timeline shows them).
func (kv *ShardKV) DoOp(op any) any {
	result := kv.m.apply(op)
	if c, ok := op.(ConfigOp); ok && result == (Result{Err: OK}) && kv.rsm != nil && kv.isLeader() {
		kv.env.Logf("config", "g%d in config %d", kv.m.gid, c.Config.Num)
	}
	return result
}

// Snapshot encodes the group's state.
func (kv *ShardKV) Snapshot() []byte { return kv.m.snapshot() }

// Restore replaces the group's state with a snapshot.
func (kv *ShardKV) Restore(data []byte) { kv.m.restore(data) }
