package harness

import (
	"protolab/labrpc"
	"protolab/replog"
)

// ScriptedPeer is an engine peer whose answers a test sets, for the tests of
// a service on the replicated log (lab 6): whether it leads and in which
// term, and the index its next Start gives out. It commits nothing on its
// own: the test commits an entry with Commit. A test can so build what the
// contract allows but the lab's two engines rarely do on cue, such as the
// same peer deposed and leading again with its uncommitted entry gone.
// It keeps the contract as far as the test's script does: Start answers
// only while it leads, and the test must commit in index order.
type ScriptedPeer struct {
	Env     labrpc.Env
	Apply   func(replog.Msg)
	Term    int
	Leader  bool
	Next    int   // the index the next Start gives out
	Started []any // every command Start took, in order
}

// Start takes cmd at index Next if the peer leads.
func (p *ScriptedPeer) Start(cmd any) (int, int, bool) {
	if !p.Leader {
		return -1, p.Term, false
	}
	p.Env.Logf("start", "%+v at %d in term %d", cmd, p.Next, p.Term)
	p.Started = append(p.Started, cmd)
	p.Next++
	return p.Next - 1, p.Term, true
}

// GetState is the term and whether the peer leads, as the test set them.
func (p *ScriptedPeer) GetState() (int, bool) { return p.Term, p.Leader }

// Snapshot does nothing: a scripted log is never cut.
func (p *ScriptedPeer) Snapshot(int, []byte) {}

// Commit hands cmd at index to the service, at once and from the caller's
// event, as the engine does once the entry is committed.
func (p *ScriptedPeer) Commit(index int, cmd any) {
	p.Apply(replog.Msg{CommandValid: true, Command: cmd, CommandIndex: index})
}
