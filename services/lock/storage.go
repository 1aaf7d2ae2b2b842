package lock

import "protolab/labrpc"

// A Storage is the server the lock protects: a simulated node that stores
// values and fences writes by sequencer (Chubby §2.4). It remembers, for
// each lock, the newest sequencer it has seen, and refuses a write that
// carries an older one: the writer has lost the lock, even if it does not
// know it yet (a long pause, a lease that ended while it slept).
// Its RPC handler is "Storage.Write".
type Storage struct {
	data   map[string]string
	newest map[string]uint64 // per lock: the greatest generation seen

	// Accepted lists every write applied, in order, for the checks.
	Accepted []WriteArgs
}

// WriteArgs asks to set Key to Value, on the authority of Seq.
type WriteArgs struct {
	Key   string
	Value string
	Seq   Sequencer
}

// WriteReply says whether the write was applied: OK or ErrStaleSequencer.
type WriteReply struct {
	Err Err
}

// StartStorage is a storage node's boot function's result.
func StartStorage(env labrpc.Env) *Storage {
	return &Storage{data: map[string]string{}, newest: map[string]uint64{}}
}

// Write applies a write whose sequencer is at least the newest seen for its
// lock, and refuses it otherwise.
func (st *Storage) Write(args *WriteArgs, reply *WriteReply) {
	//lab:solution 6C
	if args.Seq.Gen < st.newest[args.Seq.Lock] {
		reply.Err = ErrStaleSequencer
		return
	}
	st.newest[args.Seq.Lock] = args.Seq.Gen
	//lab:stub
	// TODO(6C): refuse a write whose sequencer is older than the newest
	// seen for its lock (ErrStaleSequencer); remember the newest.
	//lab:end
	st.data[args.Key] = args.Value
	st.Accepted = append(st.Accepted, *args)
	reply.Err = OK
}

// Get is the value of key ("" if never written).
func (st *Storage) Get(key string) string { return st.data[key] }
