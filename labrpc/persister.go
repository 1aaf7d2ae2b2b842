package labrpc

// A Persister is a node's stable storage: what it holds survives a crash and
// is handed to the next incarnation of the node. Raft keeps its persistent
// state (currentTerm, votedFor, log) and its latest snapshot here.
//
// Save writes both together, atomically: a crash can never leave a new
// snapshot with an old state, or the reverse (Raft §7: the snapshot and the
// log that follows it must agree).
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
	p.state = clone(state)
	p.snapshot = clone(snapshot)
	p.saves++
}

// ReadState returns a copy of the last saved state (nil if none).
func (p *Persister) ReadState() []byte { return clone(p.state) }

// ReadSnapshot returns a copy of the last saved snapshot (nil if none).
func (p *Persister) ReadSnapshot() []byte { return clone(p.snapshot) }

// StateSize is the size in bytes of the saved state.
func (p *Persister) StateSize() int { return len(p.state) }

// SnapshotSize is the size in bytes of the saved snapshot.
func (p *Persister) SnapshotSize() int { return len(p.snapshot) }

// Saves counts the calls to Save, for tests that bound how often a protocol
// writes to stable storage.
func (p *Persister) Saves() int { return p.saves }

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
