package lock

import (
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/rsm"
)

// Config sets the lease rules; servers and clients of one cell share it.
type Config struct {
	// Lease is the server's session lease: a session lives this long, on
	// the leader's clock, after a KeepAlive is applied.
	Lease time.Duration
	// Rho is the drift bound: every clock runs at a rate within
	// [1-Rho, 1+Rho] of true time. Clients shorten their lease for it
	// (ClientLease).
	Rho float64
}

// DefaultConfig: a one-second lease, clocks within 10% of true time.
var DefaultConfig = Config{Lease: time.Second, Rho: 0.1}

// expireTick is how often the leader looks for sessions whose lease is over,
// as a fraction of the lease: an expiry is proposed at most Lease/10 late.
const expireTicks = 10

// DoArgs is a client's request: the rsm layer's client id and sequence
// number (for at-most-once), and the operation.
type DoArgs struct {
	ClientId int64
	Seq      int64
	Op       any
}

// A LockServer is one replica of the lock service: the Machine on an rsm
// layer, plus what this replica alone knows, its clock's view of when each
// session's lease ends. Its RPC handler is "LockServer.Do".
type LockServer struct {
	env labrpc.Env
	cfg Config
	rsm *rsm.RSM
	m   *Machine

	// deadline: when this replica's clock says each live session's lease
	// ends; set when it applies the session's OpenSession or KeepAlive
	// (Lease after that moment). Not replicated: each replica has its own
	// clock, so each has its own deadlines.
	deadline map[SessionID]time.Duration
	// proposed: sessions with an Expire in flight from this server, and
	// the beats it named, so that one expiry is proposed once.
	proposed map[SessionID]uint64
	// OnApply, if set, is called after each operation this replica
	// applies: the replica-agreement check compares the digests.
	OnApply func(ls *LockServer)
}

// StartServer boots one lock server on engine; it is what the node's boot
// function returns.
func StartServer(env labrpc.Env, engine replog.Engine, maxStateSize int, cfg Config, onApply func(*LockServer)) []any {
	ls := &LockServer{env: env, cfg: cfg, m: NewMachine(), OnApply: onApply,
		deadline: map[SessionID]time.Duration{}, proposed: map[SessionID]uint64{}}
	ls.rsm = rsm.Make(env, engine, maxStateSize, ls)
	//lab:solution 6C
	ls.env.After(cfg.Lease/expireTicks, ls.tick)
	//lab:stub
	// TODO(6C): start the timer with which the leader expires sessions.
	//lab:end
	return append(ls.rsm.Services(), ls)
}

// Machine is the replica's state (read it, do not change it).
func (ls *LockServer) Machine() *Machine { return ls.m }

// Do submits a client's operation and answers once it is applied.
func (ls *LockServer) Do(args *DoArgs, reply *Reply, respond func()) {
	ls.rsm.Submit(rsm.Request{ClientId: args.ClientId, Seq: args.Seq, Op: args.Op}, func(result any, err rsm.Err) {
		r, ok := result.(Reply)
		if err != rsm.OK || !ok {
			// Not applied here, or a repeat of a request the client has
			// moved on from: either way, the client asks again.
			r = Reply{Err: ErrWrongLeader}
		}
		*reply = r
		respond()
	})
}

// DoOp applies one operation (rsm.StateMachine), then notes what this
// replica's clock says about the session it concerns.
func (ls *LockServer) DoOp(op any) any {
	r := ls.m.Apply(op)
	//lab:solution 6C
	switch op := op.(type) {
	case OpenSession:
		if r.Err == OK {
			ls.deadline[r.Session] = ls.env.Now() + ls.cfg.Lease
		}
	case KeepAlive:
		if r.Err == OK {
			// The lease runs from the moment this replica applies the
			// KeepAlive, which is after the client sent it: the client
			// measures its own, shorter lease from its send.
			ls.deadline[op.Session] = ls.env.Now() + ls.cfg.Lease
		}
	case Expire:
		if r.Err == OK {
			delete(ls.deadline, op.Session)
		}
	}
	//lab:end
	if ls.OnApply != nil {
		ls.OnApply(ls)
	}
	return r
}

// Snapshot is the replicated state (rsm.StateMachine).
func (ls *LockServer) Snapshot() []byte { return ls.m.Snapshot() }

// Restore replaces the state with a snapshot's (rsm.StateMachine). The
// restored sessions' leases start again, on this replica's clock, now: it
// cannot know when their KeepAlives were applied, and a later deadline is
// always safe (a new Chubby master does the same, §2.9).
func (ls *LockServer) Restore(data []byte) {
	if err := ls.m.Restore(data); err != nil {
		panic(err.Error())
	}
	ls.deadline = map[SessionID]time.Duration{}
	ls.proposed = map[SessionID]uint64{}
	//lab:solution 6C
	for _, id := range ls.m.Sessions() {
		ls.deadline[id] = ls.env.Now() + ls.cfg.Lease
	}
	//lab:end
}

// due lists the Expire operations this replica's clock calls for: one for
// each live session whose lease is over here, naming the KeepAlives seen.
func (ls *LockServer) due() []Expire {
	var ops []Expire
	//lab:solution 6C
	for _, id := range ls.m.Sessions() {
		d, known := ls.deadline[id]
		if !known { // cannot happen (OpenSession and Restore set it); a later deadline is the safe side
			ls.deadline[id] = ls.env.Now() + ls.cfg.Lease
			continue
		}
		if live, beats := ls.m.Live(id); live && ls.env.Now() >= d {
			ops = append(ops, Expire{Session: id, Beats: beats})
		}
	}
	//lab:stub
	// TODO(6C): every live session whose lease is over on this replica's clock.
	//lab:end
	return ops
}

// tick is the leader's expiry timer. Time in a replicated state machine
// must be the same on every replica, so no replica expires a session by
// reading its own clock while applying: the leader, when its clock says a
// lease is over, proposes "expire session S" through the log, and every
// replica applies that at the same point of the log.
func (ls *LockServer) tick() {
	//lab:solution 6C
	defer ls.env.After(ls.cfg.Lease/expireTicks, ls.tick)
	if _, isLeader := ls.rsm.Peer().GetState(); !isLeader {
		return
	}
	for _, op := range ls.due() {
		if beats, inFlight := ls.proposed[op.Session]; inFlight && beats == op.Beats {
			continue
		}
		ls.proposed[op.Session] = op.Beats
		// Seq 0: not deduplicated. An Expire applied twice does nothing
		// the second time.
		ls.rsm.Submit(rsm.Request{Op: op}, func(any, rsm.Err) { delete(ls.proposed, op.Session) })
	}
	//lab:stub
	// TODO(6C): if this server leads, propose an Expire for each session
	// whose lease its clock says is over (due), through the log.
	//lab:end
}
