package group

import (
	//lab:solution 7B
	"fmt"
	//lab:end
)

// Pulling shards. The group that gains a shard asks its previous owner for
// it (the owner in the config before the group's current one), naming the
// config in which it gained it; the owner answers once it has reached that
// config itself, with the shard's keys and duplicate table; the receiver
// installs them through its log. The previous owner may lag (it is cut
// off, or still pulling shards of its own for an earlier config): the
// receiver asks again at every tick until it gets an answer.

// pullShards asks, for each shard still on its way, its previous owner.
func (kv *ShardKV) pullShards() {
	//lab:solution 7B
	for s := range kv.m.shards {
		sh := &kv.m.shards[s]
		if sh.State != pulling {
			continue
		}
		gid := kv.m.prev.Shards[s]
		kv.pull(s, sh.Since, gid, kv.m.prev.Groups[gid])
	}
	//lab:stub
	// TODO(7B): for each shard in state pulling, ask a server of its owner
	// in the previous config (kv.m.prev) with PullShard, and submit an
	// InstallOp with what comes back.
	//lab:end
}

//lab:solution 7B

// pull asks one server of group gid for shard s as handed off at config
// num, and submits what it answers.
func (kv *ShardKV) pull(s, num, gid int, servers []int) {
	what := fmt.Sprint("pull ", s)
	if kv.busy[what] || len(servers) == 0 {
		return
	}
	kv.busy[what] = true
	to := servers[kv.next[what]%len(servers)]
	args := PullArgs{ConfigNum: num, Shard: s}
	reply := new(PullReply)
	kv.env.Call(to, MethodPull, &args, reply, func(ok bool) {
		kv.busy[what] = false
		if !ok || reply.Err != OK {
			kv.next[what]++ // down, cut off, or behind: the next server may be ahead
			return
		}
		kv.env.Logf("shard", "g%d ← shard %d of g%d, %d keys", kv.m.gid, s, gid, len(reply.Data.Keys))
		kv.submit(InstallOp{ConfigNum: num, Shard: s, Data: reply.Data})
	})
}

//lab:end

// PullShard answers a group that gained a shard this group handed off: any
// server whose state holds the frozen copy may answer, leader or not.
func (kv *ShardKV) PullShard(args *PullArgs, reply *PullReply) {
	//lab:solution 7B
	if args.Shard < 0 || args.Shard >= len(kv.m.shards) {
		reply.Err = ErrNotReady
		return
	}
	reply.Data, reply.Err = kv.m.pullable(args.ConfigNum, args.Shard)
	//lab:stub
	// TODO(7B): answer with the shard's frozen copy (kv.m.pullable).
	//> reply.Err = ErrNotReady
	//lab:end
}
