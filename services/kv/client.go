package kv

import (
	"protolab/labrpc"
	"protolab/services/rsm"
)

// A Clerk is a client's handle on the store, with lab 1's methods: a
// learner's lab 1 code that uses a clerk runs on it unchanged. It finds the
// leader and retries through the layer's clerk (rsm.Clerk).
type Clerk struct {
	ck *rsm.Clerk
}

// MakeClerk returns a clerk that reaches the store's servers through clnt.
func MakeClerk(clnt labrpc.Client, servers []int) *Clerk {
	return &Clerk{ck: rsm.MakeClerk(clnt, servers)}
}

// retry says whether a reply sends the clerk to another server.
func retry(err Err) bool { return rsm.Retry(string(err)) }

// Get fetches the key's value and version: OK or ErrNoKey. It keeps trying
// until a server that leads answers.
func (ck *Clerk) Get(key string) (string, Tversion, Err) {
	//lab:solution 6B
	args := GetArgs{Key: key}
	reply := rsm.Call(ck.ck, "KVServer.Get", &args, 0, func(r *GetReply) bool { return retry(r.Err) })
	return reply.Value, reply.Version, reply.Err
	//lab:stub
	// TODO(6B): send KVServer.Get through rsm.Call until a server answers
	// with something other than ErrWrongLeader or ErrTimeout.
	//> return "", 0, ErrNoKey
	//lab:end
}

// Put sets the key to value if its version is version: OK, ErrNoKey or
// ErrVersion. Exactly once: every try carries the same Seq, and the layer
// answers a retry with the first application's result, so unlike lab 1 the
// answer is never ErrMaybe.
func (ck *Clerk) Put(key, value string, version Tversion) Err {
	//lab:solution 6B
	args := PutArgs{Key: key, Value: value, Version: version, ClientId: ck.ck.ClientId(), Seq: ck.ck.NextSeq()}
	return rsm.Call(ck.ck, "KVServer.Put", &args, 0, func(r *PutReply) bool { return retry(r.Err) }).Err
	//lab:stub
	// TODO(6B): number the request (NextSeq, once), and send the same args
	// until a server answers with something other than ErrWrongLeader or
	// ErrTimeout.
	//> return ErrVersion
	//lab:end
}
