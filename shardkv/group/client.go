package group

import (
	"time"

	"protolab/labrpc"
	"protolab/shardkv/ctrler"
)

// A Clerk is a client's handle on the sharded store, with lab 1's methods.
// It maps a key to its shard (ctrler.Key2Shard), the shard to a group by
// its cached config, and tries that group's servers, the one that answered
// last first. When a group says ErrWrongGroup, or no server of the group
// answers, it asks the controller for the latest config and tries again.
// Every try of one Put carries the same ClientId and Seq, whichever group
// it goes to: the shard's duplicate table moves with the shard.
type Clerk struct {
	clnt   labrpc.Client
	ctrl   *ctrler.Clerk
	config ctrler.Config
	id     int64
	//lab:solution 7B
	seq    int64
	leader map[int]int // by gid: the index of the server that answered last
	//lab:end
}

// RetryPause is how long a clerk waits before it asks the controller again
// after a round of refusals: time for a group to reach the config.
const RetryPause = 50 * time.Millisecond

// MakeClerk returns a clerk that reaches the controller's servers ctrlers,
// and the groups they name, through clnt.
func MakeClerk(clnt labrpc.Client, ctrlers []int) *Clerk {
	ck := &Clerk{clnt: clnt, ctrl: ctrler.MakeClerk(clnt, ctrlers), id: clnt.Rand().Int64()}
	//lab:solution 7B
	ck.leader = map[int]int{}
	//lab:end
	return ck
}

// Client is the clerk's network endpoint.
func (ck *Clerk) Client() labrpc.Client { return ck.clnt }

// Get fetches the key's value and version: OK or ErrNoKey.
func (ck *Clerk) Get(key string) (string, Tversion, Err) {
	//lab:solution 7B
	args := GetArgs{Key: key}
	r := call(ck, key, MethodGet, &args, func(r *GetReply) Err { return r.Err })
	return r.Value, r.Version, r.Err
	//lab:stub
	// TODO(7B): send ShardKV.Get to the group that serves the key's shard
	// (call) until it answers OK or ErrNoKey.
	//> return "", 0, ErrNoKey
	//lab:end
}

// Put sets the key to value if its version is version: OK, ErrNoKey or
// ErrVersion, exactly once.
func (ck *Clerk) Put(key, value string, version Tversion) Err {
	//lab:solution 7B
	ck.seq++
	args := PutArgs{Key: key, Value: value, Version: version, ClientId: ck.id, Seq: ck.seq}
	return call(ck, key, MethodPut, &args, func(r *PutReply) Err { return r.Err }).Err
	//lab:stub
	// TODO(7B): number the request once, and send the same args (call)
	// until the group that serves the key answers it.
	//> return ErrVersion
	//lab:end
}

//lab:solution 7B

// call sends method(args) to the group its config says serves key's shard,
// until a server answers with a final answer (not ErrWrongLeader,
// ErrTimeout or ErrWrongGroup), and returns that reply.
func call[R any](ck *Clerk, key, method string, args any, errOf func(*R) Err) *R {
	shard := ctrler.Key2Shard(key)
	for {
		gid := ck.config.Shards[shard]
		if servers := ck.config.Groups[gid]; len(servers) > 0 {
			n := len(servers)
		tries:
			for k := 0; k < n; k++ {
				i := (ck.leader[gid] + k) % n
				reply := new(R)
				if !ck.clnt.Call(servers[i], method, args, reply) {
					continue
				}
				switch errOf(reply) {
				case ErrWrongLeader, ErrTimeout:
					continue
				case ErrWrongGroup:
					break tries
				}
				ck.leader[gid] = i
				return reply
			}
		}
		if ck.config.Num > 0 {
			ck.clnt.Sleep(RetryPause)
		}
		ck.config = ck.ctrl.Query(-1)
	}
}

//lab:end
