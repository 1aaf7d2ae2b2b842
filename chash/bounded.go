package chash

import (
	"fmt"
	"math"
	//lab:solution 2B
	"cmp"
	"slices"
	"strings"
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

	//lab:solution 2B
	// The keys live in one flat table, open addressing with linear
	// probing, each in a slot with its hash, its name and its member's id.
	// A key's home slot is the top bits of its hash, so the table is in
	// hash order, give or take the short runs that probing makes: the keys
	// whose walk starts at a point (those hashed between the point before
	// it and it) are a stretch of the table. A lookup is one probe, in
	// one cache line, and a join or a leave finds the keys it can move by
	// scanning the stretches of the points it adds or removes: time in the
	// keys that can move, not in all keys, and no per-key bookkeeping to
	// keep up beside the table.
	slots []keySlot
	count int  // keys placed
	shift uint // a key's home slot is its hash >> shift

	members []boundedMember  // by id; id 0 is never used, so a zeroed slot is empty
	ids     map[string]int32 // member name → id
	free    []int32          // the ids of members that left, to reuse
	byRing  []int32          // byRing[i] is the id of the member named ring.names[i]
	//lab:stub
	//> owner  map[string]string              // key → the member holding it
	//> keysOf map[string]map[string]struct{} // member → the keys it holds
	//lab:end
}

//lab:solution 2B

// A keySlot is a placed key, or an empty slot (at == 0).
type keySlot struct {
	h    uint64
	name string
	at   int32 // the id of the member holding it
	over int32 // its index in members[at].over if it overflowed into at, else -1
}

// A boundedMember is a member and its load. The keys that overflowed into
// it (their walk started at another member's point) are listed, by hash,
// with landing, the position of the point where their walk met it: a join
// takes such a key only if one of its points comes before that, and a
// member over capacity passes these on first.
type boundedMember struct {
	name string
	load int
	over []overflowed
}

type overflowed struct{ h, landing uint64 }

//lab:end

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
	//lab:solution 2B
	b.slots, b.shift = make([]keySlot, 16), 64-4
	b.members, b.ids = make([]boundedMember, 1), map[string]int32{}
	//lab:stub
	//> b.owner = map[string]string{}
	//> b.keysOf = map[string]map[string]struct{}{}
	//lab:end
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
	//lab:solution 2B
	return capacity(b.count, len(b.ids), b.cMilli)
	//lab:stub
	//> return capacity(len(b.owner), len(b.keysOf), b.cMilli)
	//lab:end
}

// Lookup returns the member holding key, or "" if key was not added.
func (b *Bounded) Lookup(key string) string {
	//lab:solution 2B
	// HashKey's steps and find's probe, written out: a lookup makes no
	// call (HashKey is too long for the compiler to inline), and is the
	// hash and one read of the table, which the processor overlaps with
	// the next lookup's. TestBoundedLookupHashesAsHashKey2B checks the
	// hash against HashKey for keys of every length up to 64 bytes.
	h := uint64(0xcbf29ce484222325) ^ uint64(len(key))*0x9e3779b97f4a7c15
	for rest := key; ; rest = rest[8:] {
		if len(rest) < 8 {
			if len(rest) > 0 {
				var tail uint64
				for i := len(rest) - 1; i >= 0; i-- {
					tail = tail<<8 | uint64(rest[i])
				}
				h = (h ^ tail) * 0x100000001b3
			}
			break
		}
		h = (h ^ le64(rest)) * 0x100000001b3
	}
	h = mix64(h)
	mask := len(b.slots) - 1
	for i := int(h >> b.shift); ; i = (i + 1) & mask {
		s := &b.slots[i]
		if s.at == 0 {
			return ""
		}
		if s.h == h {
			if s.name != key {
				return "" // another key with the same hash; key itself was not added
			}
			return b.members[s.at].name
		}
	}
	//lab:stub
	//> return b.owner[key]
	//lab:end
}

// Load is the number of keys member holds.
func (b *Bounded) Load(member string) int {
	//lab:solution 2B
	if id, ok := b.ids[member]; ok {
		return b.members[id].load
	}
	return 0
	//lab:stub
	//> return len(b.keysOf[member])
	//lab:end
}

// Len is the number of keys placed.
func (b *Bounded) Len() int {
	//lab:solution 2B
	return b.count
	//lab:stub
	//> return len(b.owner)
	//lab:end
}

// Members returns the member names, sorted.
func (b *Bounded) Members() []string { return b.ring.Members() }

// AddKey places a new key and returns its member; adding a key already
// present returns where it is. No other key moves: the capacity can only
// grow with the number of keys.
func (b *Bounded) AddKey(key string) (string, error) {
	//lab:solution 2B
	h := HashKey(key)
	if i := b.find(h); i >= 0 {
		if other := b.slots[i].name; other != key {
			return "", fmt.Errorf("chash: cannot place key %q: key %q has the same 64-bit hash, and Bounded tells keys apart by their hash", key, other)
		}
		return b.members[b.slots[i].at].name, nil
	}
	if len(b.ids) == 0 {
		return "", fmt.Errorf("chash: cannot place key %q: there are no members; AddMember first", key)
	}
	b.count++ // counted in m before the capacity is computed
	to := b.firstWithRoom(h, b.Capacity())
	i := b.insert(keySlot{h: h, name: key, at: to, over: -1})
	b.members[to].load++
	b.classify(i)
	return b.members[to].name, nil
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
	i := b.find(HashKey(key))
	if i < 0 || b.slots[i].name != key {
		return nil
	}
	if b.slots[i].over >= 0 {
		b.dropOver(i)
	}
	b.members[b.slots[i].at].load--
	b.remove(i)
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
// member holding them, as far as its capacity allows, in the order of
// their names: with ample capacity these are exactly the keys a plain ring
// would give it. The capacity then drops (the same keys over one more
// member), and members above it pass keys on; those are the extra moves
// that bounded loads cost. The moves come in that order, the new member's
// first; within each, in no particular order, but the same on every run.
func (b *Bounded) AddMember(name string) ([]Move, error) {
	//lab:solution 2B
	if err := b.ring.Add(name); err != nil {
		return nil, err
	}
	id := b.newMember(name)
	b.byRing = append(b.byRing, id) // the ring appends the newcomer's name
	capNow := b.Capacity()
	cands, atHome := b.joinCandidates(id)
	var moves []Move // nil if none move, as from shed
	if len(cands) > 0 {
		moves = make([]Move, 0, min(len(cands), capNow))
	}
	if len(cands) <= capNow {
		// It takes them all, so their order does not matter. The first
		// atHome of them start on its points now: they are at home there,
		// and only their member changes.
		for _, i := range cands[:atHome] {
			s := &b.slots[i]
			b.members[s.at].load--
			moves = append(moves, Move{s.name, b.members[s.at].name, name})
			s.at = id
		}
		b.members[id].load += atHome
		for _, i := range cands[atHome:] {
			moves = append(moves, b.move(i, id))
		}
		return b.shed(moves), nil
	}
	// It cannot take them all: the first in name order.
	b.sortFirstByName(cands, capNow)
	for _, i := range cands[:capNow] {
		moves = append(moves, b.move(i, id))
	}
	// Of the keys it could not take, those that were at home on the arcs
	// its points cut start on its points now: they have overflowed. The
	// others are as they were, and no other key's walk changed.
	for _, i := range cands[capNow:] {
		b.classify(i)
	}
	return b.shed(moves), nil
	//lab:stub
	// TODO(2B): add to the ring; move to the new member the keys whose
	// walk meets it before their current member (while it has room, in
	// the order of the keys' names); then shed from members above the new,
	// lower, Capacity().
	//> return nil, nil
	//lab:end
}

// checkIndex says how the structure a Bounded keeps beside its placement
// disagrees with itself, for tests: nil if it does not, or if there is no
// such structure.
func (b *Bounded) checkIndex() error {
	//lab:solution 2B
	// Every key findable from its hash, counted, with its member's load
	// and its overflow recorded as the ring says: a key that the probe
	// cannot reach is lost, and a stale overflow record makes a join take
	// a key it must not (or miss one it must).
	r := b.ring
	if len(b.byRing) != len(r.names) || len(b.ids) != len(r.names) {
		return fmt.Errorf("%d members by ring index and %d by name, but %d on the ring", len(b.byRing), len(b.ids), len(r.names))
	}
	for i, name := range r.names {
		if id := b.byRing[i]; b.ids[name] != id || b.members[id].name != name {
			return fmt.Errorf("ring member %d is %q, but its id %d is member %q", i, name, id, b.members[id].name)
		}
	}
	count, overs := 0, 0
	loads := make([]int, len(b.members))
	for i, s := range b.slots {
		if s.at == 0 {
			continue
		}
		count++
		loads[s.at]++
		if got := b.find(s.h); got != i {
			return fmt.Errorf("key %q is in slot %d, but a probe for its hash finds %d", s.name, i, got)
		}
		if over := b.startsElsewhere(s.h, s.at); over != (s.over >= 0) {
			return fmt.Errorf("key %q at %s: overflowed is %v, but its record says %v", s.name, b.members[s.at].name, over, s.over >= 0)
		}
		if s.over >= 0 {
			overs++
			m := b.members[s.at]
			if int(s.over) >= len(m.over) || m.over[s.over].h != s.h {
				return fmt.Errorf("key %q records place %d in %s's overflowed keys, which do not hold it there", s.name, s.over, m.name)
			}
			if want := b.landing(s.h, s.at); m.over[s.over].landing != want {
				return fmt.Errorf("key %q overflowed into %s at position %#x, but records %#x", s.name, m.name, want, m.over[s.over].landing)
			}
		}
	}
	listed := 0
	for _, id := range b.byRing {
		if m := b.members[id]; m.load != loads[id] {
			return fmt.Errorf("member %s holds %d keys, but its load says %d", m.name, loads[id], m.load)
		}
		listed += len(b.members[id].over)
	}
	if count != b.count || listed != overs {
		return fmt.Errorf("%d keys in the table, %d counted; %d overflowed, %d listed", count, b.count, overs, listed)
	}
	//lab:end
	return nil
}

// AddMembers adds members one after the other, as AddMember does, and
// returns all the moves. Before any key is placed it builds the ring once
// for all of them, which is what building a large placement needs.
func (b *Bounded) AddMembers(names ...string) ([]Move, error) {
	//lab:solution 2B
	if b.count == 0 {
		if err := b.ring.Add(names...); err != nil {
			return nil, err
		}
		for _, name := range names {
			b.newMember(name)
		}
		b.reindex()
		return nil, nil
	}
	//lab:end
	var all []Move
	for _, name := range names {
		moves, err := b.AddMember(name)
		if err != nil {
			return all, err
		}
		all = append(all, moves...)
	}
	return all, nil
}

// RemoveMember takes a member off the ring; each of its keys walks on to
// the next member with room, in the order of their names. Nothing else
// moves: the capacity can only grow when the same keys have fewer members.
// Removing the last member while keys remain is an error, since they would
// have nowhere to go.
func (b *Bounded) RemoveMember(name string) ([]Move, error) {
	//lab:solution 2B
	id, ok := b.ids[name]
	if !ok {
		return nil, fmt.Errorf("chash: cannot remove member %q: it is not a member", name)
	}
	gone := &b.members[id]
	if len(b.ids) == 1 && gone.load > 0 {
		return nil, fmt.Errorf("chash: cannot remove %q, the last member, while it holds %d keys; RemoveKey them first", name, gone.load)
	}
	// The keys whose walk starts on its points: those at home there leave
	// with it, the others (overflowed into other members) start further
	// on once its points are gone. Its overflowed keys leave too.
	var touched, leaving, others []int
	r := b.ring
	me := int32(r.index(name))
	for _, p := range sortedUnique(r.members[me].hashes) {
		if i := r.search(p); r.owners[i] == me {
			touched = b.arcKeys(touched, i)
		}
	}
	for _, i := range touched {
		if b.slots[i].at == id {
			leaving = append(leaving, i)
		} else {
			others = append(others, i)
		}
	}
	for _, o := range gone.over {
		leaving = append(leaving, b.find(o.h))
	}
	if err := r.Remove(name); err != nil {
		return nil, err
	}
	delete(b.ids, name)
	b.reindex()
	capNow := b.Capacity()
	var moves []Move
	if len(leaving) > 0 {
		moves = make([]Move, 0, len(leaving))
	}
	// Each leaving key walks on, in name order. Its walk stops at the
	// first member of the new ring if that one has room; if every member
	// can take all the leaving keys that come to it first, each key stops
	// there whatever the order, and the sort is not needed. The key is
	// then at home.
	if first := b.firstChoices(leaving, capNow); first != nil {
		for k, i := range leaving {
			s := &b.slots[i]
			s.at, s.over = first[k], -1 // the leaver's list of overflowed keys goes with it
			b.members[s.at].load++
			moves = append(moves, Move{s.name, name, b.members[s.at].name})
		}
		gone.over, gone.load = nil, 0
	} else {
		b.sortByName(leaving)
		for _, i := range leaving {
			moves = append(moves, b.move(i, b.firstWithRoom(b.slots[i].h, capNow)))
		}
	}
	for _, i := range others {
		b.classify(i)
	}
	b.members[id] = boundedMember{}
	b.free = append(b.free, id)
	return moves, nil
	//lab:stub
	// TODO(2B): take the member off the ring and re-place each of its keys
	// (in the order of their names) with the same walk as AddKey.
	//> return nil, nil
	//lab:end
}

//lab:solution 2B

// find is the slot of the key with hash h, or -1. A key is at its home
// slot or after it, with no empty slot in between: the probe stops at the
// first empty one.
func (b *Bounded) find(h uint64) int {
	mask := len(b.slots) - 1
	for i := int(h >> b.shift); ; i = (i + 1) & mask {
		if s := &b.slots[i]; s.at == 0 {
			return -1
		} else if s.h == h {
			return i
		}
	}
}

// insert puts s in the first empty slot from its home on, after doubling
// the table if more than half of it would be full (the probes stay short),
// and returns its slot.
func (b *Bounded) insert(s keySlot) int {
	if 2*b.count > len(b.slots) {
		old := b.slots
		b.slots, b.shift = make([]keySlot, 2*len(old)), b.shift-1
		for _, o := range old {
			if o.at != 0 {
				b.place(o)
			}
		}
	}
	return b.place(s)
}

func (b *Bounded) place(s keySlot) int {
	mask := len(b.slots) - 1
	i := int(s.h >> b.shift)
	for b.slots[i].at != 0 {
		i = (i + 1) & mask
	}
	b.slots[i] = s
	return i
}

// remove empties slot i. The keys after it in its run are shifted back
// where their probe would no longer reach them across the gap (no
// tombstones: the table stays as if the key had never been added).
func (b *Bounded) remove(i int) {
	mask := len(b.slots) - 1
	for j := (i + 1) & mask; b.slots[j].at != 0; j = (j + 1) & mask {
		// The key in j may fill the gap at i if its home is at or before
		// i, counting back from j.
		if home := int(b.slots[j].h >> b.shift); (j-home)&mask >= (j-i)&mask {
			b.slots[i] = b.slots[j]
			i = j
		}
	}
	b.slots[i] = keySlot{}
	b.count--
}

// keysIn appends the slots of the keys whose hash is in (lo, hi], counting
// clockwise: the whole circle when lo == hi.
func (b *Bounded) keysIn(dst []int, lo, hi uint64) []int {
	if lo < hi {
		return b.keysBetween(dst, lo+1, hi)
	}
	if lo != math.MaxUint64 {
		dst = b.keysBetween(dst, lo+1, math.MaxUint64)
	}
	return b.keysBetween(dst, 0, hi)
}

// keysBetween appends the slots of the keys whose hash is in [from, to],
// from <= to. Those keys have their home slots in [from>>shift, to>>shift]
// and sit at or after them before the next empty slot, so the scan runs
// from the first home slot to the first empty slot past the last. Keys of
// neighbouring hashes on the way are skipped.
func (b *Bounded) keysBetween(dst []int, from, to uint64) []int {
	first, last := int(from>>b.shift), int(to>>b.shift)
	for i := first; i <= last; i++ {
		// Half the slots are empty, at random: a branch on that would be
		// mispredicted half the time, so the slot is written and kept
		// (the count advanced) only if it holds a key of the range.
		// An empty slot has h == 0 and at == 0.
		s := &b.slots[i]
		dst = append(dst, i)
		dst = dst[:len(dst)-1+keep(s.h-from <= to-from, s.at)]
	}
	mask := len(b.slots) - 1
	for i := (last + 1) & mask; b.slots[i].at != 0 && i != first; i = (i + 1) & mask {
		if b.slots[i].h-from <= to-from {
			dst = append(dst, i)
		}
	}
	return dst
}

// keep is 1 if inRange and the slot is not empty (at != 0), else 0,
// computed without a branch.
func keep(inRange bool, at int32) int {
	k := 0
	if inRange {
		k = 1
	}
	return k & int(uint32(-at)>>31|uint32(at)>>31)
}

// arcKeys appends the slots of the keys whose walk starts at point i: the
// keys hashed after the previous position and up to points[i]. Of several
// points on one position only the first has keys.
func (b *Bounded) arcKeys(dst []int, i int) []int {
	points := b.ring.points
	if i > 0 && points[i-1] == points[i] {
		return dst
	}
	prev := points[len(points)-1]
	if i > 0 {
		prev = points[i-1]
	}
	return b.keysIn(dst, prev, points[i])
}

// newMember gives a member an id and returns it.
func (b *Bounded) newMember(name string) int32 {
	var id int32
	if n := len(b.free); n > 0 {
		id, b.free = b.free[n-1], b.free[:n-1]
		b.members[id] = boundedMember{name: name}
	} else {
		id = int32(len(b.members))
		b.members = append(b.members, boundedMember{name: name})
	}
	b.ids[name] = id
	return id
}

// reindex fills byRing after a change of the ring's members.
func (b *Bounded) reindex() {
	b.byRing = b.byRing[:0]
	for _, name := range b.ring.names {
		b.byRing = append(b.byRing, b.ids[name])
	}
}

// joinCandidates returns the slots of the keys whose walk meets the new
// member before the member holding them: first the keys at home on the
// points whose arcs its points cut (they start on its points now, before
// any other member's), atHome of them; then the overflowed keys whose walk
// passes one of its points before their landing. Any other key meets its
// holder first, as it did before the join.
func (b *Bounded) joinCandidates(id int32) (cands []int, atHome int) {
	r := b.ring
	me := int32(len(r.names) - 1)
	mine := sortedUnique(r.members[me].hashes)
	// About the new member's share of the keys, and a little more, so
	// that appending rarely copies.
	cands = make([]int, 0, b.count/len(r.names)+b.count/(4*len(r.names))+16)
	for _, p := range mine {
		// Unless another member's point comes first on the same position:
		// then the keys there meet that member first, as before.
		if i := r.search(p); r.owners[i] == me {
			n := len(cands)
			cands = b.arcKeys(cands, i)
			// The overflowed keys among them are seen below.
			k := n
			for _, j := range cands[n:] {
				if b.slots[j].over < 0 {
					cands[k] = j
					k++
				}
			}
			cands = cands[:k]
		}
	}
	atHome = len(cands)
	// An overflowed key passes a new point if one comes before its
	// landing, counting clockwise from its hash (the differences wrap).
	for _, holder := range b.byRing {
		for _, o := range b.members[holder].over {
			next := mine[0]
			if j := lowerBound(mine, o.h); j < len(mine) {
				next = mine[j]
			}
			switch ahead, landing := next-o.h, o.landing-o.h; {
			case ahead < landing:
				cands = append(cands, b.find(o.h))
			case ahead == landing && b.reachesFirst(o.h, id, holder):
				cands = append(cands, b.find(o.h)) // one position: the names decide
			}
		}
	}
	return cands, atHome
}

// sortedUnique is the positions of points, sorted, each once.
func sortedUnique(points []uint64) []uint64 {
	s := slices.Clone(points)
	slices.Sort(s)
	return slices.Compact(s)
}

// firstChoices returns, for the keys in slots, the member of the point
// where each one's walk starts, if each member has room for all the keys
// that start at its points; else nil.
func (b *Bounded) firstChoices(slots []int, capLimit int) []int32 {
	r := b.ring
	first := make([]int32, len(slots))
	extra := make([]int, len(b.members))
	for k, i := range slots {
		first[k] = b.byRing[r.owners[r.search(b.slots[i].h)]]
		extra[first[k]]++
	}
	for id, n := range extra {
		if n > 0 && b.members[id].load+n > capLimit {
			return nil
		}
	}
	return first
}

// sortByName sorts slots by their keys' names.
func (b *Bounded) sortByName(slots []int) { b.sortFirstByName(slots, len(slots)) }

// sortFirstByName puts first, in the order of their names, the n slots
// whose keys' names are the smallest; the others follow in no order. A join
// or a shed often needs a few hundred keys out of thousands, and sorting
// them all was most of its time.
//
// Comparing names through the table reads two scattered places per
// comparison; so each name's first sixteen bytes are read once, as two
// big-endian words (zero-padded) that compare as the bytes do, and the full
// names are compared only when those are equal.
func (b *Bounded) sortFirstByName(slots []int, n int) {
	type sortable struct {
		hi, lo uint64
		slot   int
	}
	s := make([]sortable, len(slots))
	for i, slot := range slots {
		var prefix [16]byte
		copy(prefix[:], b.slots[slot].name)
		s[i] = sortable{bigEndian(prefix[:8]), bigEndian(prefix[8:]), slot}
	}
	byName := func(x, y sortable) int {
		if x.hi != y.hi {
			return cmp.Compare(x.hi, y.hi)
		}
		if x.lo != y.lo {
			return cmp.Compare(x.lo, y.lo)
		}
		return strings.Compare(b.slots[x.slot].name, b.slots[y.slot].name)
	}
	selectSmallest(s, n, byName)
	slices.SortFunc(s[:n], byName)
	for i := range s {
		slots[i] = s[i].slot
	}
}

// bigEndian reads b[:8] as a big-endian word: one load and a byte swap,
// once the compiler has combined the shifts.
func bigEndian(b []byte) uint64 {
	_ = b[7]
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

// selectSmallest reorders s so that its n smallest elements, by compare,
// come first (in no particular order): quickselect (Hoare, 1961), which
// partitions only the side that holds the n-th element. The elements must
// be distinct, as keys are; then the first n are the same set whatever the
// pivots, and so is everything that follows from them.
func selectSmallest[T any](s []T, n int, compare func(x, y T) int) {
	// s[:lo] are smaller than everything in s[lo:], and s[hi:] larger
	// than everything in s[:hi].
	lo, hi := 0, len(s)
	for lo < n && n < hi {
		mid := lo + (hi-lo)/2
		s[mid], s[hi-1] = s[hi-1], s[mid]
		pivot, p := s[hi-1], lo
		for i := lo; i < hi-1; i++ {
			if compare(s[i], pivot) < 0 {
				s[i], s[p] = s[p], s[i]
				p++
			}
		}
		s[p], s[hi-1] = s[hi-1], s[p]
		// Now s[lo:p] < s[p] < s[p+1:hi].
		if p < n {
			lo = p + 1
		} else {
			hi = p
		}
	}
}

// move gives the key in slot i to member to, and returns the move.
func (b *Bounded) move(i int, to int32) Move {
	s := &b.slots[i]
	from := s.at
	if s.over >= 0 {
		b.dropOver(i)
	}
	b.members[from].load--
	s.at = to
	b.members[to].load++
	b.classify(i)
	return Move{s.name, b.members[from].name, b.members[to].name}
}

// classify records whether the key in slot i overflowed, after it moved or
// the ring changed under it. A key that stays overflowed keeps its
// landing: the points a change adds or removes are not its member's.
func (b *Bounded) classify(i int) {
	s := &b.slots[i]
	switch over := b.startsElsewhere(s.h, s.at); {
	case over && s.over < 0:
		m := &b.members[s.at]
		s.over = int32(len(m.over))
		m.over = append(m.over, overflowed{s.h, b.landing(s.h, s.at)})
	case !over && s.over >= 0:
		b.dropOver(i)
	}
}

// dropOver takes the key in slot i off its member's overflowed keys; the
// last of them takes its place in the list.
func (b *Bounded) dropOver(i int) {
	s := &b.slots[i]
	m := &b.members[s.at]
	last := len(m.over) - 1
	if int(s.over) != last {
		m.over[s.over] = m.over[last]
		b.slots[b.find(m.over[last].h)].over = s.over
	}
	m.over = m.over[:last]
	s.over = -1
}

// startsElsewhere says whether the walk from h starts at a point of
// another member than id.
func (b *Bounded) startsElsewhere(h uint64, id int32) bool {
	return b.byRing[b.ring.owners[b.ring.search(h)]] != id
}

// landing is the position of the first point of member id on the walk
// from h.
func (b *Bounded) landing(h uint64, id int32) uint64 {
	r := b.ring
	i := r.search(h)
	for b.byRing[r.owners[i]] != id {
		if i++; i == len(r.points) {
			i = 0
		}
	}
	return r.points[i]
}

// firstWithRoom is the placement rule of the paper: the first member
// clockwise from h whose load is below capLimit. One lap of the ring
// visits every member, and one of them has room whenever the capacity is
// ⌈c·m/n⌉ with c ≥ 1, so the walk ends within the lap.
func (b *Bounded) firstWithRoom(h uint64, capLimit int) int32 {
	r := b.ring
	i := r.search(h)
	for range r.points {
		if id := b.byRing[r.owners[i]]; b.members[id].load < capLimit {
			return id
		}
		if i++; i == len(r.points) {
			i = 0
		}
	}
	panic(fmt.Sprintf("chash: no member below capacity %d with %d keys on %d members: the capacity must be rounded up",
		capLimit, b.count, len(b.ids)))
}

// reachesFirst says whether the walk from h meets member x before member y.
func (b *Bounded) reachesFirst(h uint64, x, y int32) bool {
	r := b.ring
	i := r.search(h)
	for range r.points {
		switch b.byRing[r.owners[i]] {
		case x:
			return true
		case y:
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
// member, at least at capacity until the key leaves it, is passed over.
func (b *Bounded) shed(moves []Move) []Move {
	capNow := b.Capacity()
	var above []int32
	for _, id := range b.byRing {
		if b.members[id].load > capNow {
			above = append(above, id)
		}
	}
	slices.SortFunc(above, func(x, y int32) int { return strings.Compare(b.members[x].name, b.members[y].name) })
	for _, id := range above {
		for _, i := range b.evictees(id, b.members[id].load-capNow) {
			// id is above capacity, so the walk passes over it.
			to := b.firstWithRoom(b.slots[i].h, capNow)
			if to == id {
				// Only a walk that accepts a full member gets here, and it
				// would loop forever: say so instead.
				panic(fmt.Sprintf("chash: shedding key %q from %q put it back there: the walk must pass over members at capacity", b.slots[i].name, b.members[id].name))
			}
			moves = append(moves, b.move(i, to))
		}
	}
	return moves
}

// evictees are the n keys a member above capacity passes on, in order:
// those that overflowed into it from an earlier member first (their home
// is elsewhere already, so the keys at home stay put), each group by name,
// so that the choice is deterministic. The member gains no key while it
// sheds, so the order can be fixed before the first move.
func (b *Bounded) evictees(id int32, n int) []int {
	var out []int
	for _, o := range b.members[id].over {
		out = append(out, b.find(o.h))
	}
	if len(out) >= n {
		b.sortFirstByName(out, n)
		return out[:n]
	}
	b.sortByName(out)
	// The keys at home are those in the arcs of its points that it holds.
	var home []int
	r := b.ring
	me := int32(r.index(b.members[id].name))
	for _, p := range sortedUnique(r.members[me].hashes) {
		if i := r.search(p); r.owners[i] == me {
			home = b.arcKeys(home, i)
		}
	}
	home = slices.DeleteFunc(home, func(i int) bool { return b.slots[i].at != id })
	b.sortFirstByName(home, n-len(out))
	return append(out, home[:n-len(out)]...)
}

//lab:end
