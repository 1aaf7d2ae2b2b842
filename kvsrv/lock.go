package kvsrv

import "time"

// A Lock is a mutual-exclusion lock kept in one key of the server, shared
// by every client that makes a Lock on that key. The key holds the
// owner's id, or "" when the lock is free; versioned Puts make taking it a
// compare-and-swap.
type Lock struct {
	ck  *Clerk
	key string
	id  string // this holder's unique id
}

// retryPause is how long a client waits before looking at a held lock
// again.
const retryPause = 10 * time.Millisecond

// MakeLock returns a lock on key; id must differ between the clients that
// share it.
func MakeLock(ck *Clerk, key, id string) *Lock {
	return &Lock{ck: ck, key: key, id: id}
}

// Acquire blocks until this client holds the lock.
func (lk *Lock) Acquire() {
	//lab:solution 1C
	for {
		value, version, err := lk.ck.Get(lk.key)
		if err == OK && value == lk.id {
			return // an earlier Put of ours applied after all (ErrMaybe)
		}
		if err == ErrNoKey || value == "" {
			switch lk.ck.Put(lk.key, lk.id, version) {
			case OK:
				return
			case ErrMaybe:
				continue // look again: the key says whether we got it
			}
			continue // another client took it first
		}
		lk.ck.clnt.Sleep(retryPause)
	}
	//lab:stub
	// TODO(1C): read the key; if the lock is free (no key, or ""), try to
	// take it with a Put of lk.id at the version you read. Decide what
	// ErrMaybe means here. If it is held, wait a little and look again.
	//lab:end
}

// Release frees the lock, which this client must hold.
func (lk *Lock) Release() {
	//lab:solution 1C
	for {
		value, version, err := lk.ck.Get(lk.key)
		if err != OK || value != lk.id {
			return // released already (an earlier Put of ours applied)
		}
		if lk.ck.Put(lk.key, "", version) == OK {
			return
		}
	}
	//lab:stub
	// TODO(1C): set the key back to "" with a versioned Put. Only the
	// holder releases, so a refused Put means an earlier try applied:
	// check the key rather than guess.
	//lab:end
}
