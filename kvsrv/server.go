package kvsrv

import "protolab/labrpc"

// KVServer holds the map. It runs as a node of the simulated world: its
// methods Get and Put are RPC handlers ("KVServer.Get", "KVServer.Put"),
// and the simulator runs one handler at a time, so it needs no lock.
type KVServer struct {
	//lab:solution 1A
	data map[string]entry
	//lab:end
}

//lab:solution 1A

// entry is what the server keeps for one key.
type entry struct {
	value   string
	version Tversion
}

//lab:end

// MakeKVServer returns an empty server. It is the node's boot function:
// world.Start(0, func(env labrpc.Env) any { return kvsrv.MakeKVServer(env) }).
func MakeKVServer(env labrpc.Env) *KVServer {
	kv := &KVServer{}
	//lab:solution 1A
	kv.data = map[string]entry{}
	//lab:stub
	// TODO(1A): set up the server's state.
	//lab:end
	return kv
}

// Get returns the key's value and version, or ErrNoKey if it does not exist.
func (kv *KVServer) Get(args *GetArgs, reply *GetReply) {
	//lab:solution 1A
	e, ok := kv.data[args.Key]
	if !ok {
		reply.Err = ErrNoKey
		return
	}
	reply.Value, reply.Version, reply.Err = e.value, e.version, OK
	//lab:stub
	// TODO(1A): fill in the reply: the key's value and version, or ErrNoKey.
	//lab:end
}

// Put sets the key's value if args.Version is the key's current version,
// and then counts the version up by one. Version 0 creates a missing key.
func (kv *KVServer) Put(args *PutArgs, reply *PutReply) {
	//lab:solution 1A
	e, exists := kv.data[args.Key]
	switch {
	case !exists && args.Version != 0:
		reply.Err = ErrNoKey
	case e.version != args.Version:
		// The check that makes Puts at-most-once: a duplicate or a retry of
		// a Put that already applied names the version it replaced, which
		// is no longer current, so it cannot apply a second time.
		reply.Err = ErrVersion
	default:
		kv.data[args.Key] = entry{value: args.Value, version: e.version + 1}
		reply.Err = OK
	}
	//lab:stub
	// TODO(1A): apply the Put only if args.Version is the key's current
	// version (0 for a key that does not exist); answer OK, ErrVersion or ErrNoKey.
	//lab:end
}
