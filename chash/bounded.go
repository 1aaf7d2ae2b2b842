package chash

import (
	"fmt"
	"math"
	//lab:solution 2B
	"maps"
	"slices"
	//lab:end
)

// Bounded is consistent hashing with bounded loads (Mirrokni, Thorup and
// Zadimoghaddam, "Consistent Hashing with Bounded Loads", SODA 2018).
//
// A plain ring leaves some member with 1 + O(1/√V) times the average load,
// and a popular arc with far more. Bounded loads put a hard cap on it: with
// m keys, n members and a capacity factor c ≥ 1, every member holds at most
//
//	⌈c·m/n⌉ keys
//
// at all times. A key goes to the first member clockwise from its hash that
// is below that capacity: to its ring owner when there is room, else it
// overflows to the next member with room. Since n·⌈c·m/n⌉ ≥ m, some member
// always has room. The paper shows that with c = 1+ε a key's walk is short
// (O(1/ε²) members in expectation) and that a change of membership or of
// the key set moves few keys; Vimeo's HAProxy load balancer and Google's
// Cloud Pub/Sub use it so that no server gets more than c times its share.
//
// Unlike the ring, a Bounded placement depends on the history of changes,
// so it is a stateful structure: it holds the keys, and reports the keys
// each change moves. It is not safe for concurrent use.
type Bounded struct {
	ring   *Ring // where each key's walk starts and in what order it visits members
	cMilli int   // the capacity factor c, in thousandths, so capacity is exact integer arithmetic

	owner  map[string]string              // key → the member holding it
	keysOf map[string]map[string]struct{} // member → the keys it holds
}

// A Move is one key changing hands.
type Move struct {
	Key, From, To string
}

// NewBounded returns an empty Bounded with capacity factor c (taken to three
// decimals; 1.25 lets a member hold 25% more than the average) over a ring
// of vnodes points per member (vnodes <= 0 means DefaultVnodes).
func NewBounded(c float64, vnodes int) (*Bounded, error) {
	if !(c >= 1) || math.IsInf(c, 1) {
		return nil, fmt.Errorf("chash: capacity factor %v: it must be at least 1 (the members could not hold all keys) and finite", c)
	}
	b := &Bounded{ring: NewRing(vnodes), cMilli: int(math.Round(c * 1000))}
	b.owner = map[string]string{}
	b.keysOf = map[string]map[string]struct{}{}
	return b, nil
}

// capacity is ⌈c·keys/members⌉, the most keys one member may hold, with c
// given in thousandths. It is computed in integers: in floating point,
// 1.1·10 is 11.000000000000002, whose ceiling 12 would let a member exceed
// the bound. With no members there is no capacity.
func capacity(keys, members, cMilli int) int {
	//lab:solution 2B
	if members == 0 {
		return 0
	}
	// ⌈a/b⌉ = (a + b − 1) / b for a ≥ 0, b > 0.
	return (cMilli*keys + 1000*members - 1) / (1000 * members)
	//lab:stub
	// TODO(2B): ⌈cMilli·keys / (1000·members)⌉ in integer arithmetic.
	//> return 0
	//lab:end
}

// Capacity is the most keys any member may hold now.
func (b *Bounded) Capacity() int {
	return capacity(len(b.owner), len(b.keysOf), b.cMilli)
}

// Lookup returns the member holding key, or "" if key was not added.
func (b *Bounded) Lookup(key string) string { return b.owner[key] }

// Load is the number of keys member holds.
func (b *Bounded) Load(member string) int { return len(b.keysOf[member]) }

// Len is the number of keys placed.
func (b *Bounded) Len() int { return len(b.owner) }

// Members returns the member names, sorted.
func (b *Bounded) Members() []string { return b.ring.Members() }

// AddKey places a new key and returns its member; adding a key already
// present returns where it is. No other key moves: the capacity can only
// grow with the number of keys.
func (b *Bounded) AddKey(key string) (string, error) {
	//lab:solution 2B
	if m, ok := b.owner[key]; ok {
		return m, nil
	}
	if len(b.keysOf) == 0 {
		return "", fmt.Errorf("chash: cannot place key %q: there are no members; AddMember first", key)
	}
	b.owner[key] = "" // counted in m before the capacity is computed
	to := b.firstWithRoom(HashKey(key), b.Capacity())
	b.put(key, to)
	return to, nil
	//lab:stub
	// TODO(2B): walk clockwise from the key's hash to the first member
	// below Capacity() (counting the new key), and record it there.
	//> return "", nil
	//lab:end
}

// RemoveKey forgets key. The capacity may drop by one, and members above
// the new capacity pass keys on: those moves are returned.
func (b *Bounded) RemoveKey(key string) []Move {
	//lab:solution 2B
	m, ok := b.owner[key]
	if !ok {
		return nil
	}
	delete(b.owner, key)
	delete(b.keysOf[m], key)
	return b.shed(nil)
	//lab:stub
	// TODO(2B): forget the key, then move keys off every member that is
	// now above Capacity().
	//> return nil
	//lab:end
}

// AddMember puts a member on the ring and returns the keys that move.
//
// The new member takes the keys whose walk now reaches it before the
// member holding them, as far as its capacity allows: with ample capacity
// these are exactly the keys a plain ring would give it. The capacity then
// drops (the same keys over one more member), and members above it pass
// keys on; those are the extra moves that bounded loads cost.
func (b *Bounded) AddMember(name string) ([]Move, error) {
	//lab:solution 2B
	if err := b.ring.Add(name); err != nil {
		return nil, err
	}
	b.keysOf[name] = map[string]struct{}{}
	capNow := b.Capacity()
	var moves []Move
	for _, key := range slices.Sorted(maps.Keys(b.owner)) {
		if b.Load(name) >= capNow {
			break
		}
		from := b.owner[key]
		if b.reachesFirst(HashKey(key), name, from) {
			b.put(key, name)
			moves = append(moves, Move{key, from, name})
		}
	}
	return b.shed(moves), nil
	//lab:stub
	// TODO(2B): add to the ring; move to the new member the keys whose
	// walk meets it before their current member (while it has room);
	// then shed from members above the new, lower, Capacity().
	//> return nil, nil
	//lab:end
}

// RemoveMember takes a member off the ring; each of its keys walks on to
// the next member with room. Nothing else moves: the capacity can only grow
// when the same keys have fewer members. Removing the last member while
// keys remain is an error, since they would have nowhere to go.
func (b *Bounded) RemoveMember(name string) ([]Move, error) {
	//lab:solution 2B
	keys, ok := b.keysOf[name]
	if !ok {
		return nil, fmt.Errorf("chash: cannot remove member %q: it is not a member", name)
	}
	if len(b.keysOf) == 1 && len(keys) > 0 {
		return nil, fmt.Errorf("chash: cannot remove %q, the last member, while it holds %d keys; RemoveKey them first", name, len(keys))
	}
	if err := b.ring.Remove(name); err != nil {
		return nil, err
	}
	delete(b.keysOf, name)
	capNow := b.Capacity()
	var moves []Move
	for _, key := range slices.Sorted(maps.Keys(keys)) {
		to := b.firstWithRoom(HashKey(key), capNow)
		b.put(key, to)
		moves = append(moves, Move{key, name, to})
	}
	return moves, nil
	//lab:stub
	// TODO(2B): take the member off the ring and re-place each of its keys
	// with the same walk as AddKey.
	//> return nil, nil
	//lab:end
}

//lab:solution 2B

// put records key at member to, wherever it was before.
func (b *Bounded) put(key, to string) {
	if from, ok := b.owner[key]; ok && from != "" {
		delete(b.keysOf[from], key)
	}
	b.owner[key] = to
	b.keysOf[to][key] = struct{}{}
}

// firstWithRoom is the placement rule of the paper: the first member
// clockwise from h whose load is below capLimit. One lap of the ring
// visits every member, and one of them has room whenever the capacity is
// ⌈c·m/n⌉ with c ≥ 1, so the walk ends within the lap.
func (b *Bounded) firstWithRoom(h uint64, capLimit int) string {
	r := b.ring
	i := r.search(h)
	for range r.points {
		if m := r.names[r.owners[i]]; b.Load(m) < capLimit {
			return m
		}
		if i++; i == len(r.points) {
			i = 0
		}
	}
	panic(fmt.Sprintf("chash: no member below capacity %d with %d keys on %d members: the capacity must be rounded up",
		capLimit, len(b.owner), len(b.keysOf)))
}

// reachesFirst says whether the walk from h meets member a before member b.
func (b *Bounded) reachesFirst(h uint64, a, bName string) bool {
	r := b.ring
	i := r.search(h)
	for range r.points {
		switch r.names[r.owners[i]] {
		case a:
			return true
		case bName:
			return false
		}
		if i++; i == len(r.points) {
			i = 0
		}
	}
	return false
}

// shed moves keys off every member above the current capacity, appending
// the moves to moves. Members are visited by name, so the result does not
// depend on map order. Each evicted key walks on from its own hash; its old
// member, now exactly at capacity, is passed over.
func (b *Bounded) shed(moves []Move) []Move {
	capNow := b.Capacity()
	for _, m := range slices.Sorted(maps.Keys(b.keysOf)) {
		for b.Load(m) > capNow {
			key := b.evictee(m)
			delete(b.keysOf[m], key)
			to := b.firstWithRoom(HashKey(key), capNow)
			if to == m {
				// Only a walk that accepts a full member gets here, and it
				// would loop forever: say so instead.
				panic(fmt.Sprintf("chash: shedding key %q from %q put it back there: the walk must pass over members at capacity", key, m))
			}
			b.put(key, to)
			moves = append(moves, Move{key, m, to})
		}
	}
	return moves
}

// evictee chooses which key a member above capacity passes on: one that
// overflowed into it from an earlier member if there is one (its home is
// elsewhere already, so the keys at home stay put), and among those the
// smallest key, so that the choice is deterministic.
func (b *Bounded) evictee(member string) string {
	best, bestHome := "", true
	for key := range b.keysOf[member] {
		home := b.ring.Lookup(key) == member
		if best == "" || (!home && bestHome) || (home == bestHome && key < best) {
			best, bestHome = key, home
		}
	}
	return best
}

//lab:end
