package balance

import (
	"fmt"

	"protolab/chash"
)

// BoundedHash sends the requests for a key to the key's server on a
// consistent-hashing ring, as long as that server has room, and otherwise
// to the next server clockwise that has room: part 2B's bounded loads,
// applied to requests in flight instead of keys held (Mirrokni, Thorup and
// Zadimoghaddam 2018; the rule Vimeo put in HAProxy). With R requests in
// flight from this client (the new one included) and n servers up, a
// server has room while it has fewer than
//
//	⌈c·R/n⌉
//
// of them. Requests stick to their key, so a server's cache stays warm,
// while no server takes more than c times its share: a hot key spills over
// to the next servers instead of swamping its own.
type BoundedHash struct {
	view     *View
	ring     *chash.Ring
	index    map[string]int // a server's ring name → its index (lookups only, never iterated)
	cMilli   int            // the capacity factor c in thousandths, for exact integer ceilings
	inflight []int          // this client's requests in flight to each server
	total    int            // their sum
	owners   []string       // scratch: the walk of the current Pick
}

// NewBoundedHash returns a bounded-load consistent-hashing balancer with
// capacity factor c over v's servers, named "server-0", "server-1", … on a
// ring of chash.DefaultVnodes points each.
func NewBoundedHash(v *View, c float64) (*BoundedHash, error) {
	if !(c >= 1) || c > 100 {
		return nil, fmt.Errorf("balance: bounded-hash capacity factor c = %v; it must be in [1, 100], as in 1.25 (no server takes more than 1.25 times its share)", c)
	}
	b := &BoundedHash{view: v, ring: chash.NewRing(chash.DefaultVnodes), index: map[string]int{},
		cMilli: int(c*1000 + 0.5), inflight: make([]int, v.N())}
	for i := range v.N() {
		name := fmt.Sprintf("server-%d", i)
		b.index[name] = i
		if err := b.ring.Add(name); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// capacity is ⌈c·inflight/up⌉ with c in thousandths, in integers (see
// chash's Bounded for why not floating point).
func capacity(inflight, up, cMilli int) int {
	//lab:solution 2E
	return (cMilli*inflight + 1000*up - 1) / (1000 * up)
	//lab:stub
	// TODO(2E): ⌈cMilli·inflight / (1000·up)⌉, in integers.
	//> return 0
	//lab:end
}

// Pick walks the ring clockwise from key's hash and returns the first
// server that is up and below the capacity, or -1 if none is up.
func (b *BoundedHash) Pick(key string) int {
	//lab:solution 2E
	up := 0
	for i := range b.view.N() {
		if b.view.Up(i) {
			up++
		}
	}
	if up == 0 {
		return -1
	}
	// The up servers have room for up·⌈c·(total+1)/up⌉ ≥ total+1 requests,
	// more than they hold, so the walk always finds one.
	limit := capacity(b.total+1, up, b.cMilli)
	b.owners = b.ring.AppendOwners(b.owners[:0], chash.HashKey(key), b.view.N())
	for _, name := range b.owners {
		if i := b.index[name]; b.view.Up(i) && b.inflight[i] < limit {
			return i
		}
	}
	return -1
	//lab:stub
	// TODO(2E): with the servers that are up, compute the capacity for
	// b.total+1 requests; walk the ring's owners of key's hash in order
	// (b.ring.AppendOwners, chash.HashKey) and return the first that is up
	// and has fewer requests in flight than the capacity.
	//> return -1
	//lab:end
}

// Sent counts a request in flight to server.
func (b *BoundedHash) Sent(server int) {
	//lab:solution 2E
	b.inflight[server]++
	b.total++
	//lab:stub
	// TODO(2E): count the request in flight, at server and in total.
	//lab:end
}

// Replied counts the request to server as over.
func (b *BoundedHash) Replied(server int, queue int) { b.done(server) }

// Failed counts the request to server as over.
func (b *BoundedHash) Failed(server int) { b.done(server) }

func (b *BoundedHash) done(server int) {
	//lab:solution 2E
	b.inflight[server]--
	b.total--
	//lab:stub
	// TODO(2E): the request is no longer in flight.
	//lab:end
}
