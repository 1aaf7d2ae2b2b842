package lock

import (
	"bytes"
	"fmt"
	"time"

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/rsm"
)

// Extensions: another service that runs in a lock cell's servers, in the
// same replicated state as the sessions, so that it can tie its own state
// to them (lab 6D's election service keeps its candidates in sessions, as
// etcd's election keeps its keys under a session's lease). The extension
// reuses all of the lock service's session machinery: the client library's
// KeepAlives and local lease, the leader's expiry proposals, the snapshots.
// Only the extension's own operations are new; they reach the servers
// through the client's DoExt and the servers' "LockServer.DoExt" handler.
//
// This file is the lab's infrastructure: the learner of 6D gets it as it
// is (its one solution region is 6C's expiry timer, as in StartServer).

// An Extension is a state machine applied beside the lock Machine, on every
// replica, in log order. Its methods must be deterministic (see Machine).
type Extension interface {
	// Apply applies an operation of the extension's and returns its
	// result; mine is false for an operation that is not the extension's
	// (a lock operation), which it must leave alone.
	Apply(m *Machine, op any) (result any, mine bool)
	// LockApplied is told of each lock operation applied, with its reply:
	// an Expire answered OK has ended op.Session.
	LockApplied(m *Machine, op any, r Reply)
	// Snapshot encodes the extension's state; Restore replaces it.
	Snapshot() []byte
	Restore(data []byte) error
}

// ExtReply is the answer to an extension's operation: OK and its result, or
// ErrWrongLeader (try another server).
type ExtReply struct {
	Err    Err
	Result any
}

// extSM is the state machine a server with an extension hands to rsm: the
// lock server's, and the extension's.
type extSM struct {
	ls  *LockServer
	ext Extension
}

func (s extSM) DoOp(op any) any {
	if result, mine := s.ext.Apply(s.ls.m, op); mine {
		if s.ls.OnApply != nil {
			s.ls.OnApply(s.ls)
		}
		return result
	}
	r := s.ls.DoOp(op)
	s.ext.LockApplied(s.ls.m, op, r.(Reply))
	return r
}

type extSnapshot struct {
	Lock, Ext []byte
}

func (s extSM) Snapshot() []byte {
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(extSnapshot{Lock: s.ls.Snapshot(), Ext: s.ext.Snapshot()}); err != nil {
		panic(fmt.Sprintf("lock: encoding a snapshot with an extension: %v", err))
	}
	return b.Bytes()
}

func (s extSM) Restore(data []byte) {
	var snap extSnapshot
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&snap); err != nil {
		panic(fmt.Sprintf("lock: restoring a snapshot of %d bytes with an extension: %v", len(data), err))
	}
	s.ls.Restore(snap.Lock)
	if err := s.ext.Restore(snap.Ext); err != nil {
		panic(err.Error())
	}
}

// StartServerWith boots a lock server whose replicated state also holds
// ext, as StartServer does without one.
func StartServerWith(env labrpc.Env, engine replog.Engine, maxStateSize int, cfg Config, onApply func(*LockServer), ext Extension) []any {
	ls := &LockServer{env: env, cfg: cfg, m: NewMachine(), OnApply: onApply,
		deadline: map[SessionID]time.Duration{}, proposed: map[SessionID]uint64{}}
	ls.rsm = rsm.Make(env, engine, maxStateSize, extSM{ls, ext})
	//lab:solution 6C
	ls.env.After(cfg.Lease/expireTicks, ls.tick)
	//lab:stub
	// TODO(6C): start the expiry timer, as StartServer does.
	//lab:end
	return append(ls.rsm.Services(), ls)
}

// IsLeader reports whether this server's engine peer believes it leads.
func (ls *LockServer) IsLeader() bool {
	_, isLeader := ls.rsm.Peer().GetState()
	return isLeader
}

// DoExt submits a client's extension operation and answers once it is
// applied.
func (ls *LockServer) DoExt(args *DoArgs, reply *ExtReply, respond func()) {
	ls.rsm.Submit(rsm.Request{ClientId: args.ClientId, Seq: args.Seq, Op: args.Op}, func(result any, err rsm.Err) {
		if _, isLock := result.(Reply); err != rsm.OK || result == nil || isLock {
			*reply = ExtReply{Err: ErrWrongLeader}
		} else {
			*reply = ExtReply{Err: OK, Result: result}
		}
		respond()
	})
}

// DoExt sends an extension's operation to the servers, in the client's
// stream of operations (after any in flight), until one applies it; done
// gets its result. Like every request of the client, it is applied at most
// once.
func (c *Client) DoExt(op any, done func(result any)) {
	st := &c.ops
	if st.busy {
		st.queued = append(st.queued, func() { c.DoExt(op, done) })
		return
	}
	st.seq++
	st.busy = true
	args := DoArgs{ClientId: st.id, Seq: st.seq, Op: op}
	var try func(k int)
	try = func(k int) {
		send := func() {
			s := (c.leader + k) % len(c.servers)
			var reply ExtReply
			c.env.Call(c.servers[s], "LockServer.DoExt", &args, &reply, func(ok bool) {
				if !ok || reply.Err != OK {
					try(k + 1)
					return
				}
				c.leader = s
				st.busy = false
				done(reply.Result)
				if !st.busy && len(st.queued) > 0 {
					next := st.queued[0]
					st.queued = st.queued[1:]
					next()
				}
			})
		}
		if k > 0 && k%len(c.servers) == 0 {
			c.env.After(RetryPause, send)
			return
		}
		send()
	}
	try(0)
}

// Env is the client node's Env.
func (c *Client) Env() labrpc.Env { return c.env }
