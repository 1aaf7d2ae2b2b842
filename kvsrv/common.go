// Package kvsrv is lab 1: a key/value server on one machine, reached over a
// network that loses, delays and duplicates messages.
//
// The server keeps, for every key, a value and a version. A Put names the
// version it expects to replace and applies only if that is the key's
// current version, so two clients cannot overwrite each other blindly, and
// a Put that the network delivers twice cannot apply twice: the second copy
// names a version that is no longer current. What a client cannot always
// know is whether its own Put applied: when the reply was lost and a retry
// is refused with ErrVersion, the first try may or may not have taken
// effect. The clerk says so honestly, with ErrMaybe.
//
// On top of Get and Put, part 1C builds a lock that many clients share.
//
// The handout is docs/lab1-kvsrv.md.
package kvsrv

// Err says how an operation ended.
type Err string

const (
	// OK: the Get found the key, or the Put applied.
	OK Err = "OK"
	// ErrNoKey: Get of a key that does not exist, or Put of a missing key
	// with a version other than 0.
	ErrNoKey Err = "ErrNoKey"
	// ErrVersion: the Put named a version that is not the key's current one;
	// nothing changed.
	ErrVersion Err = "ErrVersion"
	// ErrMaybe: the clerk's first try got no reply and a retry was refused
	// with ErrVersion, so the Put may or may not have applied. Only the
	// clerk returns it; the server never does.
	ErrMaybe Err = "ErrMaybe"
)

// Tversion is a key's version: 0 for a key that does not exist yet, then
// 1 after the Put that creates it, and one more after every applied Put.
type Tversion uint64

// PutArgs asks the server to set Key to Value if Key's version is Version.
type PutArgs struct {
	Key     string
	Value   string
	Version Tversion
}

// PutReply is the server's answer to a Put: OK, ErrVersion or ErrNoKey.
type PutReply struct {
	Err Err
}

// GetArgs asks for Key's value and version.
type GetArgs struct {
	Key string
}

// GetReply carries the value and version of the key, or ErrNoKey.
type GetReply struct {
	Value   string
	Version Tversion
	Err     Err
}
