package rsm

import (
	//lab:solution 6A
	"bytes"
	"fmt"
	"maps"
	"slices"
	//lab:end

	"protolab/labgob"
	"protolab/replog"
)

// The apply side: what every peer does with each committed entry, leader or
// not, in log order.

func init() { labgob.Register(Op{}) }

// apply is the engine's apply function: a committed command, or a snapshot
// to install (at boot, or sent by a leader to a peer that fell behind).
func (r *RSM) apply(m replog.Msg) {
	switch {
	case m.SnapshotValid:
		r.applySnapshot(m.Snapshot, m.SnapshotIndex)
	case m.CommandValid:
		r.applyCommand(m.Command, m.CommandIndex)
	}
}

// applySnapshot replaces the state with a snapshot that covers every index
// up to index.
func (r *RSM) applySnapshot(data []byte, index int) {
	//lab:solution 6A
	if index <= r.lastApplied {
		return // older than what this peer has already applied
	}
	r.restore(data)
	r.lastApplied = index
	// The entries the snapshot covers were applied elsewhere; whether a
	// waiting submission was among them cannot be told from here.
	r.failAll(index)
	r.serveReads()
	//lab:stub
	// TODO(6A): restore the snapshot (unless this peer has applied more),
	// and answer the submissions waiting at the indexes it covers.
	//lab:end
}

// applyCommand applies the command committed at index, and answers the
// submission waiting there.
func (r *RSM) applyCommand(cmd any, index int) {
	//lab:solution 6A
	if index <= r.lastApplied {
		return
	}
	r.lastApplied = index
	op, isOp := cmd.(Op)
	var result any
	if isOp {
		result = r.execute(op.Request)
	} // else: an engine's own entry (a Multi-Paxos no-op): nothing to apply
	if p, ok := r.pending[index]; ok {
		// The index alone says nothing: a new leader may have put
		// another operation there. Only this submission's own Op is
		// an answer to it.
		if isOp && op.Origin == r.env.Me() && op.Id == p.id {
			r.finish(index, p, result, OK)
		} else {
			r.finish(index, p, nil, ErrWrongLeader)
		}
	}
	r.serveReads()
	r.maybeSnapshot(index)
	//lab:stub
	// TODO(6A): apply a committed Op to the state machine (once per
	// client and Seq: execute), answer the submission waiting at its index
	// (with the result only if it is that submission's own Op), and
	// snapshot if the persisted state grew past maxStateSize.
	//lab:end
}

// execute applies one request, at most once per client and Seq: a repeat
// of the client's last Seq gets the result it had.
func (r *RSM) execute(req Request) any {
	//lab:solution 6A
	if _, isBarrier := req.Op.(Barrier); isBarrier {
		return nil // a read's place in the log (read.go): nothing to apply
	}
	if req.Seq == 0 {
		return r.sm.DoOp(req.Op)
	}
	if last, ok := r.dedup[req.ClientId]; ok && req.Seq <= last.Seq {
		if req.Seq == last.Seq {
			return last.Result
		}
		return nil // older than the client's last request: it has moved on, nobody waits for this
	}
	result := r.sm.DoOp(req.Op)
	r.dedup[req.ClientId] = applied{Seq: req.Seq, Result: result}
	return result
	//lab:stub
	// TODO(6A): apply req.Op, unless req repeats the client's last Seq:
	// then answer the result that one had.
	//> return r.sm.DoOp(req.Op)
	//lab:end
}

// snapshot is what the layer hands the engine: the duplicate table (sorted
// by client, so that the same state always gives the same bytes) and the
// service's own state.
type snapshot struct {
	Clients []clientEntry
	State   []byte
}

// clientEntry is one client's row of the duplicate table.
type clientEntry struct {
	ClientId int64
	Seq      int64
	Result   any
}

// maybeSnapshot snapshots the service if the engine's persisted state has
// grown past maxStateSize.
func (r *RSM) maybeSnapshot(index int) {
	//lab:solution 6A
	if r.maxStateSize < 0 || r.peer == nil || r.env.Persister().StateSize() <= r.maxStateSize {
		return
	}
	r.peer.Snapshot(index, r.encode())
	//lab:stub
	// TODO(6A): if maxStateSize >= 0 and the persisted state is larger,
	// hand the engine a snapshot of everything up to index.
	//lab:end
}

// encode is the layer's snapshot: the duplicate table and the service's state.
func (r *RSM) encode() []byte {
	//lab:solution 6A
	s := snapshot{State: r.sm.Snapshot()}
	for _, id := range slices.Sorted(maps.Keys(r.dedup)) {
		a := r.dedup[id]
		s.Clients = append(s.Clients, clientEntry{ClientId: id, Seq: a.Seq, Result: a.Result})
	}
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(s); err != nil {
		panic(fmt.Sprintf("rsm: cannot encode the snapshot: %v (register every result type DoOp returns with labgob.Register)", err))
	}
	return b.Bytes()
	//lab:stub
	// TODO(6A): encode the service's state with what else a restarted
	// peer needs to keep applying requests at most once.
	//> return r.sm.Snapshot()
	//lab:end
}

// restore replaces the layer's state and the service's with a snapshot
// encode made.
func (r *RSM) restore(data []byte) {
	//lab:solution 6A
	var s snapshot
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		panic(fmt.Sprintf("rsm: cannot decode a snapshot of %d bytes: %v (was it made by RSM.encode?)", len(data), err))
	}
	r.dedup = map[int64]applied{}
	for _, c := range s.Clients {
		r.dedup[c.ClientId] = applied{Seq: c.Seq, Result: c.Result}
	}
	r.sm.Restore(s.State)
	//lab:stub
	// TODO(6A): restore what encode saved.
	//> r.sm.Restore(data)
	//lab:end
}
