package group

import (
	//lab:solution 7C
	"fmt"

	"protolab/services/rsm"
	//lab:end
)

// Deleting handed-off shards (7C). A group that handed a shard off keeps
// its frozen copy until the receiver has installed the shard: deleting it
// any earlier would lose the shard if the receiver's pull was lost. So the
// receiver, once the shard is installed (Unacked), tells the old owner with
// DeleteShard; the old owner deletes the copy through its log and answers
// only then; the receiver then records, through its own log (AckOp), that
// nothing of that move is left to do. A group stays in its config until
// every delivery is confirmed: m.prev still names the old owners.

// confirmDeliveries tells the old owner of each installed, unconfirmed
// shard that it may delete its copy.
func (kv *ShardKV) confirmDeliveries() {
	//lab:solution 7C
	for s := range kv.m.shards {
		sh := &kv.m.shards[s]
		if !sh.Unacked {
			continue
		}
		gid := kv.m.prev.Shards[s]
		servers := kv.m.prev.Groups[gid]
		what := fmt.Sprint("delete ", s)
		if kv.busy[what] || len(servers) == 0 {
			continue
		}
		kv.busy[what] = true
		to := servers[kv.next[what]%len(servers)]
		args := DeleteArgs{ConfigNum: sh.Since, Shard: s}
		reply := new(DeleteReply)
		kv.env.Call(to, MethodDelete, &args, reply, func(ok bool) {
			kv.busy[what] = false
			if !ok || reply.Err != OK {
				kv.next[what]++
				return
			}
			kv.env.Logf("shard", "shard %d: g%d's copy deleted", args.Shard, gid)
			kv.submit(AckOp{ConfigNum: args.ConfigNum, Shard: args.Shard})
		})
	}
	//lab:stub
	// TODO(7C): for each shard installed and not yet confirmed, tell its
	// previous owner (DeleteShard) and, once it answers OK, submit an AckOp.
	//lab:end
}

// DeleteShard deletes the copy of a shard this group handed off, once its
// receiver has it. It answers OK only once the delete is applied: the
// receiver then stops asking.
func (kv *ShardKV) DeleteShard(args *DeleteArgs, reply *DeleteReply, respond func()) {
	//lab:solution 7C
	if args.Shard < 0 || args.Shard >= len(kv.m.shards) {
		reply.Err = ErrNotReady
		respond()
		return
	}
	kv.rsm.Submit(rsm.Request{Op: DeleteOp{ConfigNum: args.ConfigNum, Shard: args.Shard}}, func(result any, err rsm.Err) {
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
	// TODO(7C): submit a DeleteOp, and answer with its result once applied.
	//> reply.Err = ErrNotReady
	//> respond()
	//lab:end
}
