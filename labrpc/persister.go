package labrpc

import "fmt"

// A Persister is a node's stable storage: what it holds survives a crash and
// is handed to the next incarnation of the node. Raft keeps its persistent
// state (currentTerm, votedFor, log) and its latest snapshot here.
//
// Save writes both together, atomically: a crash can never leave a new
// snapshot with an old state, or the reverse (Raft §7: the snapshot and the
// log that follows it must agree).
//
// Append is an optional extension for state that grows at its end, as a log
// does: it adds bytes to the saved state, at the cost of those bytes alone.
// Saving the whole state with Save at every change is always correct; it
// costs the whole state every time.
type Persister struct {
	state    []byte
	snapshot []byte
	saves    int
}

// NewPersister returns empty stable storage.
func NewPersister() *Persister { return &Persister{} }

// Save replaces the state and the snapshot together. Both are copied, so the
// caller may reuse its buffers. A nil snapshot is stored as empty; to keep
// the current snapshot, pass ReadSnapshot().
func (p *Persister) Save(state, snapshot []byte) {
	p.must("Save")
	p.state = clone(state)
	p.snapshot = clone(snapshot)
	p.saves++
}

// Append adds suffix at the end of the saved state and keeps the snapshot:
// after it, ReadState returns what it returned before followed by suffix,
// exactly as if Save(append(ReadState(), suffix...), ReadSnapshot()) had run,
// and as atomically (a crash keeps all of suffix or none of it). It costs the
// suffix, not the state: a protocol whose state is a log of records can save
// each change as one record, and rewrite the whole state with Save now and
// then, when the records that no longer count take up too much of it.
// suffix is copied, so the caller may reuse its buffer.
func (p *Persister) Append(suffix []byte) {
	p.must("Append")
	p.state = append(p.state, suffix...)
	p.saves++
}

// ReadState returns a copy of the last saved state (nil if none).
func (p *Persister) ReadState() []byte {
	p.must("ReadState")
	return clone(p.state)
}

// ReadSnapshot returns a copy of the last saved snapshot (nil if none).
func (p *Persister) ReadSnapshot() []byte {
	p.must("ReadSnapshot")
	return clone(p.snapshot)
}

// StateSize is the size in bytes of the saved state.
func (p *Persister) StateSize() int {
	p.must("StateSize")
	return len(p.state)
}

// SnapshotSize is the size in bytes of the saved snapshot.
func (p *Persister) SnapshotSize() int {
	p.must("SnapshotSize")
	return len(p.snapshot)
}

// Saves counts the calls to Save and Append, for tests that bound how often
// a protocol writes to stable storage.
func (p *Persister) Saves() int {
	p.must("Saves")
	return p.saves
}

// must turns a call on a nil *Persister into a panic that says where a
// Persister comes from; in node code the world reports it with the node.
func (p *Persister) must(method string) {
	if p == nil {
		panic(fmt.Sprintf("labrpc: Persister.%s on a nil *Persister: a node gets its Persister from env.Persister() (keep it in Make); a test from World.Persister(id) or labrpc.NewPersister()", method))
	}
}

// copy returns an independent Persister with the same contents. A crash
// hands the next incarnation a copy, so that a reference the dead
// incarnation kept can no longer change what the living one reads.
func (p *Persister) copy() *Persister {
	return &Persister{state: clone(p.state), snapshot: clone(p.snapshot), saves: p.saves}
}

func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
