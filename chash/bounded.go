package chash

import (
	"fmt"
	"math"
	//lab:solution 2B
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
	// A record per key and per member, so that moving a key costs one map
	// access: the key's record knows its member and its place in the
	// member's lists. arcs groups the keys by the ring position where
	// their walk starts (the first point at or after their hash): a join
	// can only take keys that start on its new points or that overflowed
	// past them, so with these a change of membership costs time in the
	// keys it can move, not in all keys.
	keys    map[string]*boundedKey
	owner   map[string]string // key → its member's name: Lookup in one map access
	members map[string]*boundedMember
	byIndex []*boundedMember // byIndex[i] is the member named ring.names[i]
	arcs    map[uint64][]*boundedKey
	//lab:stub
	//> owner  map[string]string              // key → the member holding it
	//> keysOf map[string]map[string]struct{} // member → the keys it holds
	//lab:end
}

//lab:solution 2B

// A boundedKey is a placed key.
type boundedKey struct {
	name  string
	h     uint64
	at    *boundedMember // the member holding it
	over  bool           // in at.over (it overflowed into at), else in at.home
	slot  int            // its index in at.home or at.over
	start uint64         // the position its walk starts from, its group in arcs
	inArc int            // its index in arcs[start]
	// landing is, for a key that overflowed, the position of the point
	// where its walk met its member: a join takes it only if a new point
	// comes before that.
	landing uint64
}

// A boundedMember is a member with the keys it holds: home are those whose
// walk starts at one of its points, over those that overflowed into it.
type boundedMember struct {
	name       string
	home, over []*boundedKey
}

func (m *boundedMember) load() int { return len(m.home) + len(m.over) }

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
	b.keys, b.owner = map[string]*boundedKey{}, map[string]string{}
	b.members, b.arcs = map[string]*boundedMember{}, map[uint64][]*boundedKey{}
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
	return capacity(len(b.keys), len(b.members), b.cMilli)
	//lab:stub
	//> return capacity(len(b.owner), len(b.keysOf), b.cMilli)
	//lab:end
}

// Lookup returns the member holding key, or "" if key was not added.
func (b *Bounded) Lookup(key string) string {
	//lab:solution 2B
	return b.owner[key]
	//lab:stub
	//> return b.owner[key]
	//lab:end
}

// Load is the number of keys member holds.
func (b *Bounded) Load(member string) int {
	//lab:solution 2B
	if m := b.members[member]; m != nil {
		return m.load()
	}
	return 0
	//lab:stub
	//> return len(b.keysOf[member])
	//lab:end
}

// Len is the number of keys placed.
func (b *Bounded) Len() int {
	//lab:solution 2B
	return len(b.keys)
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
	if k := b.keys[key]; k != nil {
		return k.at.name, nil
	}
	if len(b.members) == 0 {
		return "", fmt.Errorf("chash: cannot place key %q: there are no members; AddMember first", key)
	}
	k := &boundedKey{name: key, h: HashKey(key)}
	b.keys[key] = k // counted in m before the capacity is computed
	to := b.firstWithRoom(k.h, b.Capacity())
	b.toArc(k, b.start(k.h))
	b.put(k, to)
	return to.name, nil
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
	k := b.keys[key]
	if k == nil {
		return nil
	}
	b.fromArc(k)
	b.unput(k)
	delete(b.keys, key)
	delete(b.owner, key)
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
// that bounded loads cost.
func (b *Bounded) AddMember(name string) ([]Move, error) {
	//lab:solution 2B
	if err := b.ring.Add(name); err != nil {
		return nil, err
	}
	m := &boundedMember{name: name}
	b.members[name] = m
	b.byIndex = append(b.byIndex, m) // the ring appends the newcomer's name
	capNow := b.Capacity()
	cands := b.joinCandidates(m)
	var moves []Move
	for _, k := range cands {
		if m.load() >= capNow {
			break
		}
		moves = append(moves, Move{k.name, k.at.name, name})
		b.put(k, m)
	}
	// The keys that start on the new member's points and stayed where they
	// were have overflowed now; the candidates are the only keys whose
	// walk changed.
	for _, k := range cands {
		b.classify(k)
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
	// Every key once in its group of arcs, at its recorded place, and in
	// its member's list at its slot, and nothing else in them: a stale
	// entry would make later changes touch keys they cannot move, and keep
	// them in memory.
	inArcs, held := 0, 0
	for p, group := range b.arcs {
		inArcs += len(group)
		for i, k := range group {
			if k.start != p || k.inArc != i || b.keys[k.name] != k {
				return fmt.Errorf("key %q is in the group of position %#x at %d, but records %#x at %d", k.name, p, i, k.start, k.inArc)
			}
		}
	}
	for _, m := range b.members {
		held += m.load()
		for _, list := range [][]*boundedKey{m.home, m.over} {
			for i, k := range list {
				if k.at != m || k.slot != i || b.keys[k.name] != k {
					return fmt.Errorf("key %q is in %s's list at %d, but records %d", k.name, m.name, i, k.slot)
				}
			}
		}
	}
	if inArcs != len(b.keys) || held != len(b.keys) || len(b.owner) != len(b.keys) {
		return fmt.Errorf("%d keys, but %d in arcs, %d held by members, %d in the lookup index", len(b.keys), inArcs, held, len(b.owner))
	}
	//lab:end
	return nil
}

// AddMembers adds members one after the other, as AddMember does, and
// returns all the moves. Before any key is placed it builds the ring once
// for all of them, which is what building a large placement needs.
func (b *Bounded) AddMembers(names ...string) ([]Move, error) {
	//lab:solution 2B
	if len(b.keys) == 0 {
		if err := b.ring.Add(names...); err != nil {
			return nil, err
		}
		for _, name := range names {
			b.members[name] = &boundedMember{name: name}
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
	m := b.members[name]
	if m == nil {
		return nil, fmt.Errorf("chash: cannot remove member %q: it is not a member", name)
	}
	if len(b.members) == 1 && m.load() > 0 {
		return nil, fmt.Errorf("chash: cannot remove %q, the last member, while it holds %d keys; RemoveKey them first", name, m.load())
	}
	gone := slices.Clone(b.ring.members[b.ring.index(name)].hashes)
	if err := b.ring.Remove(name); err != nil {
		return nil, err
	}
	delete(b.members, name)
	b.reindex()
	// The keys that started on its points start further on now.
	var touched []*boundedKey
	for _, p := range gone {
		for _, k := range slices.Clone(b.arcs[p]) {
			if to := b.start(k.h); to != p {
				b.fromArc(k)
				b.toArc(k, to)
			}
			touched = append(touched, k)
		}
	}
	leaving := slices.Concat(m.home, m.over)
	sortByName(leaving)
	capNow := b.Capacity()
	var moves []Move
	for _, k := range leaving {
		to := b.firstWithRoom(k.h, capNow)
		b.put(k, to)
		moves = append(moves, Move{k.name, name, to.name})
	}
	for _, k := range touched {
		b.classify(k)
	}
	return moves, nil
	//lab:stub
	// TODO(2B): take the member off the ring and re-place each of its keys
	// (in the order of their names) with the same walk as AddKey.
	//> return nil, nil
	//lab:end
}

//lab:solution 2B

// sortByName sorts keys by name. A join or a leave sorts the thousands of
// keys it may move, and comparing names through the keys' records reads
// two scattered places per comparison; so each name's first eight bytes
// are read once, as a big-endian word (zero-padded) that compares as the
// bytes do, and the full names are compared only when those are equal.
func sortByName(keys []*boundedKey) {
	type sortable struct {
		prefix uint64
		k      *boundedKey
	}
	s := make([]sortable, len(keys))
	for i, k := range keys {
		var p uint64
		for j := range 8 {
			p <<= 8
			if j < len(k.name) {
				p |= uint64(k.name[j])
			}
		}
		s[i] = sortable{p, k}
	}
	slices.SortFunc(s, func(x, y sortable) int {
		if x.prefix != y.prefix {
			if x.prefix < y.prefix {
				return -1
			}
			return 1
		}
		return strings.Compare(x.k.name, y.k.name)
	})
	for i := range s {
		keys[i] = s[i].k
	}
}

// reindex fills byIndex after a change of the ring's members.
func (b *Bounded) reindex() {
	b.byIndex = b.byIndex[:0]
	for _, name := range b.ring.names {
		b.byIndex = append(b.byIndex, b.members[name])
	}
}

// joinCandidates returns, sorted by name, the keys whose walk meets the
// member m that just joined before the member holding them: the keys that
// start on its points (moved to their new groups in arcs on the way), and
// the overflowed keys whose walk passes one of its points. Any other key
// meets its holder first, as it did before the join.
func (b *Bounded) joinCandidates(m *boundedMember) []*boundedKey {
	r := b.ring
	me := int32(len(r.names) - 1)
	var cands []*boundedKey
	for _, p := range r.members[me].hashes {
		i := r.search(p)
		if r.points[i] != p || r.owners[i] != me {
			// Another member has a point on the same position, first:
			// the walk decides for the keys there.
			for _, k := range b.arcs[p] {
				if b.reachesFirst(k.h, m, k.at) {
					cands = append(cands, k)
				}
			}
			continue
		}
		// The keys starting at p started at the next position not the
		// new member's before it came, and some of them now start here.
		j := i
		for range r.points {
			if j++; j == len(r.points) {
				j = 0
			}
			if r.owners[j] != me {
				break
			}
		}
		q := r.points[j]
		if q == p {
			continue // only the new member's points: there were no members, so no keys
		}
		for _, k := range slices.Clone(b.arcs[q]) {
			if to := b.start(k.h); to != q {
				b.fromArc(k)
				b.toArc(k, to)
				cands = append(cands, k)
			}
		}
	}
	// An overflowed key passes a new point if one comes before its
	// landing, counting clockwise from its hash (the differences wrap).
	mine := slices.Clone(r.members[me].hashes)
	slices.Sort(mine)
	for _, holder := range b.byIndex {
		for _, k := range holder.over {
			next := mine[0]
			if j := lowerBound(mine, k.h); j < len(mine) {
				next = mine[j]
			}
			switch ahead, landing := next-k.h, k.landing-k.h; {
			case ahead < landing:
				cands = append(cands, k)
			case ahead == landing && b.reachesFirst(k.h, m, holder):
				cands = append(cands, k) // one position: the names decide
			}
		}
	}
	sortByName(cands)
	return slices.Compact(cands)
}

// start is the position where the walk from h starts: the first point at
// or after h. The ring must not be empty.
func (b *Bounded) start(h uint64) uint64 { return b.ring.points[b.ring.search(h)] }

// toArc records k as starting at position p.
func (b *Bounded) toArc(k *boundedKey, p uint64) {
	k.start, k.inArc = p, len(b.arcs[p])
	b.arcs[p] = append(b.arcs[p], k)
}

// fromArc takes k out of its group in arcs.
func (b *Bounded) fromArc(k *boundedKey) {
	group := b.arcs[k.start]
	last := len(group) - 1
	group[k.inArc] = group[last]
	group[k.inArc].inArc = k.inArc
	if last == 0 {
		delete(b.arcs, k.start)
	} else {
		b.arcs[k.start] = group[:last]
	}
}

// put records k at member to, taking it off the member that held it.
func (b *Bounded) put(k *boundedKey, to *boundedMember) {
	if k.at != nil {
		b.unput(k)
	}
	k.at = to
	b.owner[k.name] = to.name
	k.over = b.byIndex[b.ring.owners[b.ring.search(k.h)]] != to
	list := &to.home
	if k.over {
		list = &to.over
	}
	k.slot = len(*list)
	*list = append(*list, k)
	if k.over {
		r := b.ring
		i := r.search(k.h)
		for b.byIndex[r.owners[i]] != to {
			if i++; i == len(r.points) {
				i = 0
			}
		}
		k.landing = r.points[i]
	}
}

// unput takes k off its member's lists.
func (b *Bounded) unput(k *boundedKey) {
	list := &k.at.home
	if k.over {
		list = &k.at.over
	}
	last := len(*list) - 1
	(*list)[k.slot] = (*list)[last]
	(*list)[k.slot].slot = k.slot
	(*list)[last] = nil
	*list = (*list)[:last]
	k.at = nil
}

// classify moves k between its member's lists if whether it overflowed
// changed with the ring.
func (b *Bounded) classify(k *boundedKey) {
	if over := b.byIndex[b.ring.owners[b.ring.search(k.h)]] != k.at; over != k.over {
		b.put(k, k.at)
	}
}

// firstWithRoom is the placement rule of the paper: the first member
// clockwise from h whose load is below capLimit. One lap of the ring
// visits every member, and one of them has room whenever the capacity is
// ⌈c·m/n⌉ with c ≥ 1, so the walk ends within the lap.
func (b *Bounded) firstWithRoom(h uint64, capLimit int) *boundedMember {
	r := b.ring
	i := r.search(h)
	for range r.points {
		if m := b.byIndex[r.owners[i]]; m.load() < capLimit {
			return m
		}
		if i++; i == len(r.points) {
			i = 0
		}
	}
	panic(fmt.Sprintf("chash: no member below capacity %d with %d keys on %d members: the capacity must be rounded up",
		capLimit, len(b.keys), len(b.members)))
}

// reachesFirst says whether the walk from h meets member x before member y.
func (b *Bounded) reachesFirst(h uint64, x, y *boundedMember) bool {
	r := b.ring
	i := r.search(h)
	for range r.points {
		switch b.byIndex[r.owners[i]] {
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
	var above []*boundedMember
	for _, m := range b.byIndex {
		if m.load() > capNow {
			above = append(above, m)
		}
	}
	slices.SortFunc(above, func(x, y *boundedMember) int { return strings.Compare(x.name, y.name) })
	for _, m := range above {
		for m.load() > capNow {
			k := evictee(m)
			// m is above capacity, so the walk passes over it.
			to := b.firstWithRoom(k.h, capNow)
			if to == m {
				// Only a walk that accepts a full member gets here, and it
				// would loop forever: say so instead.
				panic(fmt.Sprintf("chash: shedding key %q from %q put it back there: the walk must pass over members at capacity", k.name, m.name))
			}
			b.put(k, to)
			moves = append(moves, Move{k.name, m.name, to.name})
		}
	}
	return moves
}

// evictee chooses which key a member above capacity passes on: one that
// overflowed into it from an earlier member if there is one (its home is
// elsewhere already, so the keys at home stay put), and among those the
// smallest key, so that the choice is deterministic.
func evictee(m *boundedMember) *boundedKey {
	keys := m.over
	if len(keys) == 0 {
		keys = m.home
	}
	best := keys[0]
	for _, k := range keys[1:] {
		if k.name < best.name {
			best = k
		}
	}
	return best
}

//lab:end
