// Package kv is lab 6B: a linearizable key/value store on the replicated
// state machine layer of 6A (protolab/services/rsm), on Raft or Multi-Paxos.
//
// It keeps lab 1's semantics, on purpose: every key has a value and a
// version, Put(key, value, version) applies only if version is the key's
// current one, and Get returns both. The types are lab 1's (kvsrv.Err,
// kvsrv.Tversion), so a learner's lab 1 code that drives a clerk (the lock
// of 1C, say) runs on this store unchanged, and the tests hold histories to
// lab 1's porcupine model (kvsrv.Model).
//
// What changes is underneath: the store is replicated, a Put goes through
// the log, and the layer applies each client's request at most once however
// often it is retried (the duplicate table of 6A). So a retried Put gets
// the answer its first application had, and the clerk never needs lab 1's
// ErrMaybe. Reads take one of two paths (ReadPath): through the log like a
// write, or without a log entry through the engine's ReadIndex.
//
// The handout is docs/lab6-services.md.
package kv

import (
	"protolab/kvsrv"
	"protolab/labgob"
	"protolab/services/rsm"
)

// Err says how an operation ended: lab 1's errors, and the layer's two.
type Err = kvsrv.Err

const (
	OK         = kvsrv.OK
	ErrNoKey   = kvsrv.ErrNoKey
	ErrVersion = kvsrv.ErrVersion
	// ErrWrongLeader: this server cannot answer; the clerk tries another.
	ErrWrongLeader = Err(rsm.ErrWrongLeader)
	// ErrTimeout: the request was not applied in time; the clerk tries again.
	ErrTimeout = Err(rsm.ErrTimeout)
)

// Tversion is a key's version, as in lab 1: 0 for a key that does not
// exist, 1 after the Put that creates it, one more after every applied Put.
type Tversion = kvsrv.Tversion

// PutArgs asks the store to set Key to Value if Key's version is Version.
// ClientId and Seq name the request for the duplicate table: a retry sends
// the very same args.
type PutArgs struct {
	Key      string
	Value    string
	Version  Tversion
	ClientId int64
	Seq      int64
}

// PutReply is the store's answer to a Put.
type PutReply struct {
	Err Err
}

// GetArgs asks for Key's value and version. A read needs no Seq: applying
// it twice changes nothing.
type GetArgs struct {
	Key string
}

// GetReply carries the value and version of the key, or an error.
type GetReply struct {
	Value   string
	Version Tversion
	Err     Err
}

// PutOp and GetOp are the operations the store puts in the log; PutResult
// and GetResult what applying them returns (kept in the duplicate table, and
// so in snapshots).
type PutOp struct {
	Key     string
	Value   string
	Version Tversion
}

type GetOp struct {
	Key string
}

type PutResult struct {
	Err Err
}

type GetResult struct {
	Value   string
	Version Tversion
	Err     Err
}

func init() {
	labgob.Register(PutOp{})
	labgob.Register(GetOp{})
	labgob.Register(PutResult{})
	labgob.Register(GetResult{})
}

// ReadPath says how a server answers a Get.
type ReadPath int

const (
	// ReadLog puts every Get in the log, as a write: simple, and a log
	// entry (a round of replication, a disk write) per read.
	ReadLog ReadPath = iota
	// ReadIndex answers a Get from the server's state once the engine has
	// confirmed that it still leads and the state has reached the read
	// index (rsm.Read): no log entry.
	ReadIndex
	// ReadStale is the bug the checker must catch, kept for the test that
	// shows it does (and for a learner to try): a server answers a Get from
	// its own state at once, leader or not, without the log or ReadIndex.
	// A follower cut off from the leader, or a deposed leader, then serves
	// a value that a completed Put has already replaced.
	ReadStale
)

func (p ReadPath) String() string {
	switch p {
	case ReadLog:
		return "log"
	case ReadIndex:
		return "readindex"
	case ReadStale:
		return "stale"
	}
	return "ReadPath(?)"
}
