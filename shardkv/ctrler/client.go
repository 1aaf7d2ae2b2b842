package ctrler

import (
	"fmt"

	"protolab/labrpc"
	"protolab/services/rsm"
)

// A Clerk is a client's handle on the controller, for client processes
// (tests, the demo, an administrator's tool). Its calls block until a
// server that leads answers; it finds the leader and retries through the
// layer's clerk (rsm.Clerk), so a Join, Leave or Move takes effect exactly
// once. Group servers are node code and cannot block: they Query through a
// Poller (poll.go).
type Clerk struct {
	ck *rsm.Clerk
}

// MakeClerk returns a clerk that reaches the controller's servers (world
// node ids) through clnt.
func MakeClerk(clnt labrpc.Client, servers []int) *Clerk {
	return &Clerk{ck: rsm.MakeClerk(clnt, servers)}
}

// retry says whether a reply sends the clerk to another server.
func retry(err Err) bool { return rsm.Retry(string(err)) }

// A RefusedError is the controller's refusal of a Join, Leave or Move
// that cannot be applied (a gid joined twice, a Leave of a gid that is not
// in the config...): no config was made.
type RefusedError struct {
	Method string // "Join", "Leave" or "Move"
	Reason string // what is wrong, and the fix
}

func (e *RefusedError) Error() string {
	return fmt.Sprintf("ctrler: %s refused: %s", e.Method, e.Reason)
}

// refused is nil for OK, else the refusal.
func refused(method string, err Err, reason string) error {
	if err == OK {
		return nil
	}
	return &RefusedError{Method: method, Reason: reason}
}

// Query returns config num: -1 (or a number past the latest) for the latest.
func (ck *Clerk) Query(num int) Config {
	//lab:solution 7A
	args := QueryArgs{Num: num}
	return rsm.Call(ck.ck, MethodQuery, &args, 0, func(r *QueryReply) bool { return retry(r.Err) }).Config
	//lab:stub
	// TODO(7A): send ShardCtrler.Query through rsm.Call until a server
	// answers with something other than ErrWrongLeader or ErrTimeout.
	//> return Config{}
	//lab:end
}

// Join adds groups (gid → its servers' node ids) and rebalances. It
// returns an error, naming the reason, if the controller refused it (a gid
// already in the config, say); then no config was made.
func (ck *Clerk) Join(groups map[int][]int) error {
	//lab:solution 7A
	args := JoinArgs{Groups: groups, ClientId: ck.ck.ClientId(), Seq: ck.ck.NextSeq()}
	r := rsm.Call(ck.ck, MethodJoin, &args, 0, func(r *JoinReply) bool { return retry(r.Err) })
	return refused("Join", r.Err, r.Reason)
	//lab:stub
	// TODO(7A): number the request (NextSeq, once) and send the same args
	// until a server answers with something other than ErrWrongLeader or
	// ErrTimeout.
	//> return nil
	//lab:end
}

// Leave removes the groups gids, and places their shards on the others.
func (ck *Clerk) Leave(gids []int) error {
	//lab:solution 7A
	args := LeaveArgs{GIDs: gids, ClientId: ck.ck.ClientId(), Seq: ck.ck.NextSeq()}
	r := rsm.Call(ck.ck, MethodLeave, &args, 0, func(r *LeaveReply) bool { return retry(r.Err) })
	return refused("Leave", r.Err, r.Reason)
	//lab:stub
	// TODO(7A): as Join, with ShardCtrler.Leave.
	//> return nil
	//lab:end
}

// Move puts shard on group gid and pins it there: later Joins and Leaves
// leave it in place until gid leaves (balance.go).
func (ck *Clerk) Move(shard, gid int) error {
	//lab:solution 7A
	args := MoveArgs{Shard: shard, GID: gid, ClientId: ck.ck.ClientId(), Seq: ck.ck.NextSeq()}
	r := rsm.Call(ck.ck, MethodMove, &args, 0, func(r *MoveReply) bool { return retry(r.Err) })
	return refused("Move", r.Err, r.Reason)
	//lab:stub
	// TODO(7A): as Join, with ShardCtrler.Move.
	//> return nil
	//lab:end
}
