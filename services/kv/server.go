package kv

import (
	"bytes"
	"fmt"
	//lab:solution 6B
	"maps"
	"slices"
	//lab:end

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/rsm"
)

// KVServer is one replica of the store: the map (the state machine the
// layer replicates) and the RPC handlers clients call. The handlers answer
// later (labrpc's deferred replies): once the layer has applied the
// request, or has said that this server cannot.
type KVServer struct {
	rsm   *rsm.RSM
	reads ReadPath
	//lab:solution 6B
	data map[string]entry
	//lab:end
}

//lab:solution 6B

// entry is what the store keeps for one key.
type entry struct {
	Value   string
	Version Tversion
}

//lab:end

// MakeKVServer boots one replica on engine: the layer, its engine peer, and
// the store. maxStateSize bounds the engine's persisted state before the
// layer snapshots (-1: never). The node's boot function returns
// kv.Services():
//
//	w.Start(i, func(env labrpc.Env) any {
//		return kv.MakeKVServer(env, raft.Engine, 1000, kv.ReadLog).Services()
//	})
func MakeKVServer(env labrpc.Env, engine replog.Engine, maxStateSize int, reads ReadPath) *KVServer {
	kv := &KVServer{reads: reads}
	//lab:solution 6B
	kv.data = map[string]entry{}
	//lab:stub
	// TODO(6B): set up the store's state before the layer boots: it may
	// restore a snapshot into it.
	//lab:end
	kv.rsm = rsm.Make(env, engine, maxStateSize, kv)
	return kv
}

// Services is what the node's boot function returns: the layer's engine
// peer and the store's handlers.
func (kv *KVServer) Services() []any { return append(kv.rsm.Services(), kv) }

// RSM is the layer under the store.
func (kv *KVServer) RSM() *rsm.RSM { return kv.rsm }

// Get answers the key's value and version, by the server's read path.
func (kv *KVServer) Get(args *GetArgs, reply *GetReply, respond func()) {
	//lab:solution 6B
	switch kv.reads {
	case ReadIndex:
		kv.rsm.Read(func(err rsm.Err) {
			if err != rsm.OK {
				reply.Err = Err(err)
			} else {
				r := kv.get(args.Key)
				reply.Value, reply.Version, reply.Err = r.Value, r.Version, r.Err
			}
			respond()
		})
	case ReadStale:
		r := kv.get(args.Key) // the bug: no confirmation that this state is current
		reply.Value, reply.Version, reply.Err = r.Value, r.Version, r.Err
		respond()
	default:
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
	}
	//lab:stub
	// TODO(6B): submit a GetOp to the layer (no Seq: a read may apply
	// twice), and fill in the reply and respond() when done runs. Then the
	// second read path: kv.rsm.Read, and answer from kv's own state.
	//> reply.Err = ErrWrongLeader
	//> respond()
	//lab:end
}

// Put sets the key's value if args.Version is its current version.
func (kv *KVServer) Put(args *PutArgs, reply *PutReply, respond func()) {
	//lab:solution 6B
	req := rsm.Request{ClientId: args.ClientId, Seq: args.Seq, Op: PutOp{Key: args.Key, Value: args.Value, Version: args.Version}}
	kv.rsm.Submit(req, func(result any, err rsm.Err) {
		r, ok := result.(PutResult)
		switch {
		case err != rsm.OK:
			reply.Err = Err(err)
		case !ok:
			// A request older than the client's last: the client has moved
			// on and does not read this answer.
			reply.Err = ErrWrongLeader
		default:
			reply.Err = r.Err
		}
		respond()
	})
	//lab:stub
	// TODO(6B): submit a PutOp with the client's id and Seq, and answer
	// with the result the layer gives.
	//> reply.Err = ErrWrongLeader
	//> respond()
	//lab:end
}

// The state machine (rsm.StateMachine): lab 1's rules, applied in log order
// on every replica.

// DoOp applies a PutOp or a GetOp.
func (kv *KVServer) DoOp(op any) any {
	//lab:solution 6B
	switch o := op.(type) {
	case GetOp:
		return kv.get(o.Key)
	case PutOp:
		e, exists := kv.data[o.Key]
		switch {
		case !exists && o.Version != 0:
			return PutResult{Err: ErrNoKey}
		case e.Version != o.Version:
			return PutResult{Err: ErrVersion}
		}
		kv.data[o.Key] = entry{Value: o.Value, Version: e.Version + 1}
		return PutResult{Err: OK}
	}
	panic(fmt.Sprintf("kv: DoOp(%T): the store applies PutOp and GetOp only", op))
	//lab:stub
	// TODO(6B): apply lab 1's rules to a PutOp; answer a GetOp.
	//> return nil
	//lab:end
}

// get is a key's value and version in this replica's state.
func (kv *KVServer) get(key string) GetResult {
	//lab:solution 6B
	e, ok := kv.data[key]
	if !ok {
		return GetResult{Err: ErrNoKey}
	}
	return GetResult{Value: e.Value, Version: e.Version, Err: OK}
	//lab:stub
	//> return GetResult{Err: ErrNoKey}
	//lab:end
}

// kvState is the store's snapshot: its keys in order (the same state
// always gives the same bytes).
type kvState struct {
	Keys    []string
	Entries []entryState
}

type entryState struct {
	Value   string
	Version Tversion
}

// Snapshot encodes the store.
func (kv *KVServer) Snapshot() []byte {
	var s kvState
	//lab:solution 6B
	for _, k := range slices.Sorted(maps.Keys(kv.data)) {
		e := kv.data[k]
		s.Keys = append(s.Keys, k)
		s.Entries = append(s.Entries, entryState{Value: e.Value, Version: e.Version})
	}
	//lab:stub
	// TODO(6B): put every key's value and version in s.
	//lab:end
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(s); err != nil {
		panic(fmt.Sprintf("kv: cannot encode the store's snapshot: %v", err))
	}
	return b.Bytes()
}

// Restore replaces the store with a snapshot.
func (kv *KVServer) Restore(data []byte) {
	var s kvState
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		panic(fmt.Sprintf("kv: cannot decode a snapshot of %d bytes: %v (was it made by KVServer.Snapshot?)", len(data), err))
	}
	//lab:solution 6B
	kv.data = map[string]entry{}
	for i, k := range s.Keys {
		kv.data[k] = entry{Value: s.Entries[i].Value, Version: s.Entries[i].Version}
	}
	//lab:stub
	// TODO(6B): replace the store's state with s.
	//lab:end
}
