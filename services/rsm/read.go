package rsm

import (
	"protolab/labgob"
	"protolab/replog"
)

// The second read path (part 6B): a read served from the server's own
// state, without a log entry, once the engine's ReadIndex (replog.Reader:
// Raft's thesis §6.4, and Multi-Paxos's equivalent) has confirmed that this
// peer still leads and said which index the state must reach. A server
// that answers from its state without that confirmation can be a deposed
// leader, or a follower behind, and serve a stale value: the bug porcupine
// catches in TestStaleReadCaught6B.

// Barrier is the entry a read puts in the log on an engine without
// ReadIndex: applied, it changes nothing, and once it is, the state holds
// every operation committed before it.
type Barrier struct{}

func init() { labgob.Register(Barrier{}) }

// CanReadIndex reports whether the engine's peer offers ReadIndex. Without
// it, Read goes through the log (a Barrier entry).
func (r *RSM) CanReadIndex() bool {
	_, ok := r.peer.(replog.Reader)
	return ok
}

// Read calls done exactly once, later, from an event of this node:
// done(OK) once this server's state holds every operation that completed
// before Read was called, so that the service may answer a read from its
// own state inside done; done(ErrWrongLeader) if this peer cannot confirm
// that it leads; done(ErrTimeout) after the layer's time-out.
func (r *RSM) Read(done func(err Err)) {
	//lab:solution 6B
	reader, ok := r.peer.(replog.Reader)
	if !ok {
		r.Submit(Request{Op: Barrier{}}, func(_ any, err Err) { done(err) })
		return
	}
	inRead := true
	reader.ReadIndex(func(index int, ok bool) {
		answer := func() {
			if !ok {
				if _, isLeader := r.peer.GetState(); isLeader {
					// A leader that cannot serve a read yet: Raft's, before
					// an entry of its term has committed (thesis §6.4 step
					// 1). The read goes through the log, which commits one.
					r.Submit(Request{Op: Barrier{}}, func(_ any, err Err) { done(err) })
					return
				}
				done(ErrWrongLeader)
				return
			}
			r.waitApplied(index, done)
		}
		if inRead { // ReadIndex may answer before it returns; done runs later, always
			r.later(answer)
			return
		}
		answer()
	})
	inRead = false
	//lab:stub
	// TODO(6B): ask the engine's ReadIndex (a replog.Reader) which index
	// the state must reach, wait until it has been applied, then done(OK).
	//> r.later(func() { done(ErrWrongLeader) })
	//lab:end
}

//lab:solution 6B

// aRead is a confirmed read waiting for its index to be applied.
type aRead struct {
	index  int
	done   func(err Err)
	cancel func()
}

// waitApplied calls done(OK) once index is applied, or done(ErrTimeout).
func (r *RSM) waitApplied(index int, done func(err Err)) {
	if index <= r.lastApplied {
		done(OK)
		return
	}
	rd := &aRead{index: index, done: done}
	rd.cancel = r.env.After(r.timeout, func() {
		for i, w := range r.reads {
			if w == rd {
				r.reads = append(r.reads[:i], r.reads[i+1:]...)
				done(ErrTimeout)
				return
			}
		}
	})
	r.reads = append(r.reads, rd)
}

//lab:end

// serveReads answers the reads whose index is now applied, in the order
// they were confirmed. The apply side calls it after every entry and
// snapshot.
func (r *RSM) serveReads() {
	//lab:solution 6B
	if len(r.reads) == 0 {
		return
	}
	keep := r.reads[:0]
	var ready []*aRead
	for _, rd := range r.reads {
		if rd.index <= r.lastApplied {
			ready = append(ready, rd)
		} else {
			keep = append(keep, rd)
		}
	}
	r.reads = keep
	for _, rd := range ready {
		rd.cancel()
		rd.done(OK)
	}
	//lab:stub
	// TODO(6B): answer the reads waiting for an index now applied.
	//lab:end
}
