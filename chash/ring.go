package chash

import (
	"fmt"
	"math"
	"slices"
	//lab:solution 2A
	"cmp"
	"math/bits"
	"strconv"
	//lab:end
)

// DefaultVnodes is how many points (virtual nodes) a member of weight 1 gets
// on the ring.
//
// A member's load is the total length of the arcs that end at its points.
// With one point each, the arcs are exponential variables and the largest
// member holds about ln N times its share. With V
// points, a load is a sum of V such arcs, whose relative standard deviation
// is 1/√V: 100 points give about 10%, 1000 give about 3% (the tests assert
// 1.2/√V). The price is memory, V·N points, and a search over them.
const DefaultVnodes = 100

// A Ring places keys on a circle of 2^64 positions: each member owns several
// points, and a key belongs to the member of the first point at or after the
// key's hash, going clockwise and wrapping past the top (Karger et al.,
// "Consistent hashing and random trees", 1997; the "ketama" layout of
// memcached clients, with its virtual nodes).
//
// The ring is a function of its member set alone: adding the same members in
// any order, with any removals in between, gives the same points and the same
// owners. A Ring is not safe for concurrent use.
type Ring struct {
	vnodes int                 // points per unit of weight
	hash   func(string) uint64 // hashes virtual-node names; see NewRingWithHash
	// members with their points' hashes: in the order they were added,
	// except that a removed member's place goes to the last (see drop).
	members []*ringMember

	// The lookup structure, rebuilt from members on every change: points
	// sorted ascending, and owners[i] the index in names of the member that
	// owns points[i]. Plain arrays of integers keep the search compact in
	// the cache and the lookup free of allocations.
	points []uint64
	owners []int32
	names  []string

	// An index over the top bits of a hash, so that a lookup need not
	// search all the points: the points whose hash starts with the bits
	// b are points[buckets[b]:buckets[b+1]], about one or two of them.
	buckets []uint32
	shift   uint // a hash's bucket is h >> shift
}

// A ringMember is a member as the ring remembers it.
type ringMember struct {
	name   string
	weight float64
	hashes []uint64 // the hashes of its virtual nodes, computed once by Add
}

// NewRing returns an empty ring that gives a member of weight w about
// w·vnodes points. vnodes <= 0 means DefaultVnodes.
func NewRing(vnodes int) *Ring {
	return NewRingWithHash(vnodes, HashKey)
}

// NewRingWithHash is NewRing with another hash for the names of virtual
// nodes (keys are always hashed with HashKey). Tests use it to force hash
// collisions; it also lets you see what a weak hash does to the balance.
func NewRingWithHash(vnodes int, hash func(string) uint64) *Ring {
	if vnodes <= 0 {
		vnodes = DefaultVnodes
	}
	return &Ring{vnodes: vnodes, hash: hash}
}

// vnodeName is the name hashed to place the i-th point of a member.
//
// The separator matters: without it, point 10 of "node1" and point 0 of
// "node11" are both "node110", land on the same position, and one of the two
// members silently loses a point. Since the index is the text after the last
// '#', and decimal digits never contain '#', no two (name, i) pairs share a
// virtual-node name.
func vnodeName(name string, i int) string {
	//lab:solution 2A
	return name + "#" + strconv.Itoa(i)
	//lab:stub
	// TODO(2A): build a name that no other (member, index) pair can produce.
	//> return name
	//lab:end
}

// pointsFor is how many points a member of the given weight gets: the
// weight times vnodes, rounded, and at least one so that every member can
// own keys.
func pointsFor(weight float64, vnodes int) int {
	//lab:solution 2A
	return max(1, int(math.Round(weight*float64(vnodes))))
	//lab:stub
	// TODO(2A): weight·vnodes, rounded, never less than 1.
	//> return 1
	//lab:end
}

// Add puts members of weight 1 on the ring. It fails, adding none of them,
// if a name is empty or already on the ring.
func (r *Ring) Add(names ...string) error {
	//lab:solution 2A
	for i, name := range names {
		if err := r.checkNew(name, 1); err != nil {
			return err
		}
		if slices.Contains(names[:i], name) {
			return fmt.Errorf("chash: member %q is listed twice in one Add", name)
		}
	}
	for _, name := range names {
		r.members = append(r.members, r.newMember(name, 1))
	}
	if len(names) == 1 {
		r.insert()
	} else {
		r.rebuild()
	}
	return nil
	//lab:stub
	// TODO(2A): check the names, remember each member with the hashes of
	// its points, then rebuild the lookup arrays.
	//> return nil
	//lab:end
}

// AddWeighted puts one member on the ring with about weight·vnodes points,
// so that it receives about weight times the keys of a member of weight 1.
func (r *Ring) AddWeighted(name string, weight float64) error {
	//lab:solution 2A
	if err := r.checkNew(name, weight); err != nil {
		return err
	}
	r.members = append(r.members, r.newMember(name, weight))
	r.insert()
	return nil
	//lab:stub
	// TODO(2A): as Add, with pointsFor(weight, r.vnodes) points.
	//> return nil
	//lab:end
}

// checkNew says why a member cannot be added, in words that name the fix.
func (r *Ring) checkNew(name string, weight float64) error {
	switch {
	case name == "":
		return fmt.Errorf("chash: a member needs a non-empty name")
	case !(weight > 0) || math.IsInf(weight, 1):
		return fmt.Errorf("chash: member %q has weight %v; a weight must be positive and finite", name, weight)
	case r.index(name) >= 0:
		return fmt.Errorf("chash: member %q is already on the ring; Remove it first to change its weight", name)
	}
	return nil
}

// index is the position of name in r.members, or -1.
func (r *Ring) index(name string) int {
	for i, m := range r.members {
		if m.name == name {
			return i
		}
	}
	return -1
}

// newMember hashes the names of a new member's points, once: lookups never
// hash a member name, only the key.
func (r *Ring) newMember(name string, weight float64) *ringMember {
	//lab:solution 2A
	m := &ringMember{name: name, weight: weight}
	m.hashes = make([]uint64, pointsFor(weight, r.vnodes))
	for i := range m.hashes {
		m.hashes[i] = r.hash(vnodeName(name, i))
	}
	return m
	//lab:stub
	// TODO(2A): hash vnodeName(name, i) with r.hash for each of the
	// pointsFor(weight, r.vnodes) points.
	//> return &ringMember{name: name, weight: weight}
	//lab:end
}

// Remove takes members off the ring. Only the keys they owned move: each to
// the member of the next point clockwise. It fails, removing none, if a
// name is not on the ring.
func (r *Ring) Remove(names ...string) error {
	//lab:solution 2A
	for _, name := range names {
		if r.index(name) < 0 {
			return fmt.Errorf("chash: cannot remove %q: it is not on the ring", name)
		}
	}
	r.drop(names)
	return nil
	//lab:stub
	// TODO(2A): drop the members (any of them, not only the last) and
	// rebuild the lookup arrays.
	//> return nil
	//lab:end
}

// rebuild recomputes points, owners and names from the member list.
//
// Sorting every point again is O(P log P) for P points, a few milliseconds
// for a thousand members: membership changes are rare next to lookups, and
// a full rebuild makes the ring a function of the member set by
// construction.
func (r *Ring) rebuild() {
	//lab:solution 2A
	type point struct {
		hash  uint64
		owner int32
	}
	names := make([]string, len(r.members))
	total := 0
	for i, m := range r.members {
		names[i] = m.name
		total += len(m.hashes)
	}
	all := make([]point, 0, total)
	for i, m := range r.members {
		for _, h := range m.hashes {
			all = append(all, point{h, int32(i)})
		}
	}
	r.names = names
	slices.SortFunc(all, func(a, b point) int {
		return r.comparePoints(a.hash, a.owner, b.hash, b.owner)
	})
	r.points = make([]uint64, len(all))
	r.owners = make([]int32, len(all))
	for i, p := range all {
		r.points[i], r.owners[i] = p.hash, p.owner
	}
	r.buildBuckets()
	//lab:stub
	// TODO(2A): gather every member's points, sort them by hash, and on
	// equal hashes by member name (never by insertion order); fill
	// r.points, r.owners and r.names.
	//lab:end
}

//lab:solution 2A

// comparePoints orders two points: by hash, and on one position by the
// owner's name.
func (r *Ring) comparePoints(ha uint64, oa int32, hb uint64, ob int32) int {
	if c := cmp.Compare(ha, hb); c != 0 {
		return c
	}
	// Two points on one position: the smaller member name comes first and
	// owns the keys that land there. Leaving them in insertion order would
	// make the owner depend on the history of Adds.
	return cmp.Compare(r.names[oa], r.names[ob])
}

// insert is rebuild for one member just appended to r.members: its points,
// sorted, are merged into the sorted arrays. That is O(P) instead of a sort
// of all P points, and gives the same arrays as rebuild: the owners keep
// their indices, the newcomer takes the next one, and points are ordered by
// comparePoints either way.
//
// The merge runs from the back, in place: the old points that come after
// the last new point move up by the number of new points, those between the
// last two by one less, and so on, each run in one copy. The bucket index is
// shifted rather than built again. At 4,096 members a join is then about
// one pass over the arrays (a few MB of copying), where building new arrays
// and a new index cost five times as much (issue 14).
func (r *Ring) insert() {
	m := r.members[len(r.members)-1]
	me := int32(len(r.members) - 1)
	r.names = append(r.names, m.name)
	mine := slices.Clone(m.hashes)
	slices.Sort(mine)
	old := len(r.points)
	r.points = slices.Grow(r.points, len(mine))[:old+len(mine)]
	r.owners = slices.Grow(r.owners, len(mine))[:old+len(mine)]
	// Old points [0, j) are not yet in place; new points go at k-1 and below.
	j, k := old, len(r.points)
	for t := len(mine) - 1; t >= 0; t-- {
		h := mine[t]
		// The old points that come after h: from the first that does not
		// compare before it.
		i := 0
		if j > 0 {
			i = lowerBound(r.points[:j], h)
		}
		for i < j && r.comparePoints(r.points[i], r.owners[i], h, me) < 0 {
			i++
		}
		n := j - i
		copy(r.points[k-n:k], r.points[i:j])
		copy(r.owners[k-n:k], r.owners[i:j])
		k -= n + 1
		r.points[k], r.owners[k] = h, me
		j = i
	}
	r.shiftBuckets(mine, +1)
}

// drop takes the named members off the ring, in time that grows with their
// points rather than with the ring's, apart from one copy of the points
// after the first removed one. Each removed member's place in r.members is
// taken by the last member, so only the last member's points change owner
// index; the order of the points, by hash and then by name, does not
// depend on the indices, so the arrays are those rebuild would make from the
// new member order. The points to remove are found by searching for their
// hashes, then the runs between them move down, each in one copy.
func (r *Ring) drop(names []string) {
	var at []int // where the removed points are
	for _, name := range names {
		i, last := r.index(name), len(r.members)-1
		if i < 0 {
			continue // listed twice: already gone
		}
		at = r.relabel(at, r.members[i].hashes, int32(i), -1)
		if i != last {
			r.relabel(nil, r.members[last].hashes, int32(last), int32(i))
			r.members[i], r.names[i] = r.members[last], r.names[last]
		}
		r.members, r.names = r.members[:last], r.names[:last]
	}
	if len(at) == 0 {
		return // nothing named
	}
	slices.Sort(at)
	gone := make([]uint64, len(at)) // their hashes, in order
	for t, p := range at {
		gone[t] = r.points[p]
	}
	k := at[0]
	for t, p := range at {
		end := len(r.points)
		if t+1 < len(at) {
			end = at[t+1]
		}
		copy(r.owners[k:], r.owners[p+1:end])
		k += copy(r.points[k:], r.points[p+1:end])
	}
	r.points, r.owners = r.points[:k], r.owners[:k]
	r.shiftBuckets(gone, -1)
}

// relabel gives the points with the hashes that member index from owns the
// owner index to instead, and appends their positions to at.
func (r *Ring) relabel(at []int, hashes []uint64, from, to int32) []int {
	for _, position := range hashes {
		// A member's point is among those on its hash; it may share the
		// position with other members' points, and, rarely, with another
		// of its own (then the earlier is already relabelled).
		i := lowerBound(r.points, position)
		for r.owners[i] != from {
			i++
		}
		r.owners[i] = to
		at = append(at, i)
	}
	return at
}

// shiftBuckets updates the bucket index after the points with the sorted
// hashes changed were added (sign +1) or removed (-1): buckets[b] counts
// the points in buckets before b, so it moves by the number of changed
// points there. If the number of points crossed a power of two the index
// changes size, and is built again.
func (r *Ring) shiftBuckets(changed []uint64, sign int) {
	if len(r.buckets) != 1<<bucketBits(len(r.points))+1 {
		r.buildBuckets()
		return
	}
	// The buckets after changed[t]'s, up to and including changed[t+1]'s,
	// have t+1 of the changed points before them.
	for t, h := range changed {
		end := len(r.buckets)
		if t+1 < len(changed) {
			end = int(changed[t+1]>>r.shift) + 1
		}
		d := uint32(sign * (t + 1))
		for b := int(h>>r.shift) + 1; b < end; b++ {
			r.buckets[b] += d
		}
	}
}

// bucketBits is how many top bits of a hash index n points: about as many
// buckets as points, a power of two, at most as many.
func bucketBits(n int) int { return max(1, bits.Len(uint(n))-1) }

//lab:end

// Members returns the names on the ring, sorted.
func (r *Ring) Members() []string {
	names := make([]string, len(r.members))
	for i, m := range r.members {
		names[i] = m.name
	}
	slices.Sort(names)
	return names
}

// Lookup returns the member that owns key, or "" if the ring is empty.
func (r *Ring) Lookup(key string) string { return r.LookupHash(HashKey(key)) }

// LookupHash returns the owner of the position h: the member of the first
// point at or after h, wrapping past the top of the ring. It does not
// allocate.
func (r *Ring) LookupHash(h uint64) string {
	//lab:solution 2A
	if len(r.points) == 0 {
		return ""
	}
	return r.names[r.owners[r.search(h)]]
	//lab:stub
	// TODO(2A): find the first point clockwise from h with successor (or
	// r.search, once it is fast) and return its owner's name; "" on an
	// empty ring.
	//> return ""
	//lab:end
}

// buildBuckets indexes the sorted points by the top bits of their hash,
// with about as many buckets as points (a power of two, at most as many).
func (r *Ring) buildBuckets() {
	//lab:solution 2A
	bitCount := bucketBits(len(r.points))
	r.shift = uint(64 - bitCount)
	r.buckets = make([]uint32, 1<<bitCount+1)
	i := 0
	for b := range r.buckets {
		// buckets[b] is the first point whose bucket is b or later.
		for i < len(r.points) && r.points[i]>>r.shift < uint64(b) {
			i++
		}
		r.buckets[b] = uint32(i)
	}
	//lab:stub
	// TODO(2A), optional: index the points by their top bits so that
	// search can skip the binary search.
	//lab:end
}

// search is successor(r.points, h), made fast by the bucket index: a key's
// first point clockwise is in its own bucket or is the first point of a
// later one, so a short scan replaces the binary search. On a ring of
// 400,000 points a binary search costs some twenty dependent memory reads,
// most of them cache misses; this costs about three. r.points must not be
// empty.
func (r *Ring) search(h uint64) int {
	//lab:solution 2A
	b := h >> r.shift
	i, end := int(r.buckets[b]), int(r.buckets[b+1])
	for i < end && r.points[i] < h {
		i++
	}
	if i == len(r.points) {
		return 0 // past the last point: wrap to the first
	}
	return i
	//lab:stub
	// TODO(2A), optional: the same answer as successor, using r.buckets.
	//> return successor(r.points, h)
	//lab:end
}

// Owners returns the n distinct members that hold copies of key: its owner
// first, then the owners of the next points clockwise, skipping members
// already chosen (the preference list of Dynamo, DeCandia et al. 2007, §4.3).
// Fewer than n come back if the ring has fewer members.
func (r *Ring) Owners(key string, n int) []string {
	return r.AppendOwners(nil, HashKey(key), n)
}

// AppendOwners appends to dst the n distinct owners of the position h, as
// Owners does; with a dst of enough capacity it does not allocate.
func (r *Ring) AppendOwners(dst []string, h uint64, n int) []string {
	//lab:solution 2A
	want := min(n, len(r.members))
	if want <= 0 {
		return dst
	}
	start := len(dst)
	i := r.search(h)
	// Each turn of the loop visits one point, so one lap of the ring is
	// enough: by then every member has been seen.
	for range r.points {
		name := r.names[r.owners[i]]
		if !slices.Contains(dst[start:], name) {
			dst = append(dst, name)
			if len(dst)-start == want {
				break
			}
		}
		if i++; i == len(r.points) {
			i = 0
		}
	}
	return dst
	//lab:stub
	// TODO(2A): walk clockwise from successor(r.points, h), wrapping,
	// collecting owners not yet collected, until n of them (or all).
	//> return dst
	//lab:end
}

// successor returns the index of the first of the sorted points that is at
// or after h, and 0 if h is past the last point: the ring wraps, so the key
// belongs to the lowest point. points must not be empty.
func successor(points []uint64, h uint64) int {
	//lab:solution 2A
	i := lowerBound(points, h)
	if i == len(points) {
		return 0
	}
	return i
	//lab:stub
	// TODO(2A): binary search for the first point >= h; wrap to 0 past
	// the end.
	//> return 0
	//lab:end
}

// lowerBound returns the smallest i with a[i] >= x, or len(a) if there is
// none; a is sorted and not empty.
//
// It is the "branch-free" binary search: the loop runs exactly ⌈log2 len(a)⌉
// times whatever x is, and its only decision is a conditional add done
// with arithmetic, so the CPU has no jump to mispredict (a random key sends
// an ordinary binary search the wrong way half the time, some 15 cycles
// lost at each step).
func lowerBound(a []uint64, x uint64) int {
	//lab:solution 2A
	base, n := 0, len(a)
	for n > 1 {
		half := n / 2
		// borrow is 1 when a[base+half] < x. Written as an if, the
		// compiler keeps a jump here, mispredicted half the time.
		_, borrow := bits.Sub64(a[base+half], x, 0)
		base += half & -int(borrow)
		n -= half
	}
	_, borrow := bits.Sub64(a[base], x, 0)
	return base + int(borrow)
	//lab:stub
	// TODO(2A): binary search; see sort.Search for the contract.
	//> return 0
	//lab:end
}
