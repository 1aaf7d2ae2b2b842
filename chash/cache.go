package chash

import (
	"slices"
	"strconv"
)

// Part 2D: a sharded cache on the simulated network. The ring of part 2A
// decides which member holds each key; this part keeps that true while
// members join, leave and crash, with the keys themselves moving between
// machines over a network that delays and loses messages.
//
//	cache.go       the configuration, the errors and the RPC messages
//	controller.go  the configuration service, which numbers the member sets
//	shard.go       a cache member: the keys it holds, Get and Put
//	migrate.go     how a member moves to a new configuration: handoffs
//	router.go      the client: route each key by the ring, refresh on refusal
//
// A configuration is an epoch number and a member list. The controller
// decides them; members and routers fetch them. Moving from one epoch to
// the next, a member hands every key it no longer owns to its new owner
// (Migrate, retried until acknowledged) and receives the keys of the arcs it
// gains; only when both are done does it report the epoch in place and take
// up the next one. A key on its way is served by neither side, so no write
// can land on a copy that is about to be replaced or thrown away.
//
// It is a cache: keys live in memory only. A member that crashes loses the
// keys it held, and those alone; a member that leaves in a planned way hands
// all of its keys off before it stops, so nothing is lost.

// Err says how a cache operation ended.
type Err string

const (
	// OK: the Get found the key, or the Put stored it.
	OK Err = "OK"
	// ErrNoKey: the Get's key is not in the cache (never written, or lost
	// with a member that crashed).
	ErrNoKey Err = "ErrNoKey"
	// ErrWrongOwner: the member does not own the key in its configuration,
	// which is newer than the client's. The client should fetch the newest
	// configuration and route again.
	ErrWrongOwner Err = "ErrWrongOwner"
	// ErrWrongEpoch: the client's configuration is newer than the member's.
	// The member will catch up; the client should try again shortly. (For a
	// Migrate: the receiver has not reached the sender's epoch yet.)
	ErrWrongEpoch Err = "ErrWrongEpoch"
	// ErrMigrating: the member owns the key, but the key has not arrived
	// from its previous owner yet. Try again shortly.
	ErrMigrating Err = "ErrMigrating"
)

// A Config is one configuration of the cache: who is on the ring, as of
// which epoch. Epoch 0 is the empty configuration every member starts in;
// the controller numbers the others 1, 2, 3, ... with no gaps, and a member
// goes through them in that order.
type Config struct {
	Epoch int
	// Members are the node ids on the ring, in increasing order.
	Members []int
	// Leaving are nodes that left the ring in a planned way and may still be
	// handing their keys off. A node that is neither a member nor leaving is
	// gone: it crashed, or it finished leaving. Nobody waits for a gone
	// node's keys or sends it any.
	Leaving []int
}

// gone reports whether node is neither a member nor leaving in c.
func (c Config) gone(node int) bool {
	return !slices.Contains(c.Members, node) && !slices.Contains(c.Leaving, node)
}

// MemberName is the name under which node id is placed on the ring: "n3",
// as the trace names the node.
func MemberName(id int) string { return "n" + strconv.Itoa(id) }

// A placement is a configuration with its ring, built once: routers and
// members look up many keys in the same configuration.
type placement struct {
	Config
	ring *Ring
	ids  map[string]int // ring member name → node id
}

// newPlacement builds the ring of cfg, DefaultVnodes points per member.
func newPlacement(cfg Config) placement {
	p := placement{Config: cfg, ring: NewRing(DefaultVnodes), ids: make(map[string]int, len(cfg.Members))}
	names := make([]string, len(cfg.Members))
	for i, id := range cfg.Members {
		names[i] = MemberName(id)
		p.ids[names[i]] = id
	}
	if err := p.ring.Add(names...); err != nil {
		panic("chash: a configuration with a repeated member: " + err.Error())
	}
	return p
}

// owner is the node that owns key in this configuration, or -1 if the ring
// is empty.
func (p placement) owner(key string) int { return p.ownerHash(HashKey(key)) }

// ownerHash is owner for a hashed position.
func (p placement) ownerHash(h uint64) int {
	if id, ok := p.ids[p.ring.LookupHash(h)]; ok {
		return id
	}
	return -1
}

// An Entry is one key and its value, as a handoff carries it.
type Entry struct {
	Key   string
	Value string
}

// GetArgs asks a member for a key. Epoch is the client's configuration.
type GetArgs struct {
	Key   string
	Epoch int
}

// GetReply carries the value, or why there is none. Epoch is the member's
// configuration, which tells the client whether its own is out of date.
type GetReply struct {
	Err   Err
	Value string
	Epoch int
}

// PutArgs asks a member to set a key. Epoch is the client's configuration.
type PutArgs struct {
	Key   string
	Value string
	Epoch int
}

// PutReply says whether the member stored the value; Epoch as in GetReply.
type PutReply struct {
	Err   Err
	Epoch int
}

// MigrateArgs hands over, for the move to configuration Epoch, every key of
// the sender's that the receiver owns from that epoch on. It is sent even
// with no entries: it tells the receiver that the arcs it gains from the
// sender are complete.
type MigrateArgs struct {
	Epoch   int
	From    int
	Entries []Entry // sorted by key
}

// MigrateReply acknowledges a handoff (OK), or refuses it for now
// (ErrWrongEpoch: the receiver has not reached Epoch yet).
type MigrateReply struct {
	Err Err
}

// QueryArgs asks the controller for the configurations after Known. A
// member also reports, in Done, the newest epoch it has fully moved to;
// a router sends Member = -1.
type QueryArgs struct {
	Member int
	Known  int
	Done   int
}

// QueryReply lists every configuration after the one the caller knows, in
// order (none if it knows the newest). Done is, for each node of the newest
// configuration (members and leaving nodes), the newest epoch it has reported
// fully in place: a member learns from it that a handoff whose acknowledgement
// was lost has in fact been installed.
type QueryReply struct {
	Configs []Config
	Done    map[int]int
}

// ChangeArgs names the node that joins, leaves or has failed.
type ChangeArgs struct {
	Node int
}

// ChangeReply gives the epoch of the new configuration, or why there is
// none.
type ChangeReply struct {
	Epoch   int
	Refused string
}
