package replog

import (
	"bytes"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// A service that reuses its buffers: an engine must keep its own copy of the
// bytes it is handed (a snapshot, a []byte command), or the caller's next use
// of the buffer changes what the engine persists, sends and applies.

// bufferRig is three peers of an engine, booted directly (no harness), whose
// service records the snapshots and commands each applies.
type bufferRig struct {
	w         *labrpc.World
	peers     []replog.Peer
	snapshots [][][]byte // per peer, the snapshots it applied
	commands  [][]any    // per peer, the commands it applied
	applied   []int      // per peer, the index of the last command it applied
}

func newBufferRig(t *tests.T, e replog.Engine) *bufferRig {
	const n = 3
	r := &bufferRig{w: t.NewWorld(labrpc.Config{Nodes: n}), peers: make([]replog.Peer, n),
		snapshots: make([][][]byte, n), commands: make([][]any, n), applied: make([]int, n)}
	for i := 0; i < n; i++ {
		r.w.Start(i, func(env labrpc.Env) any {
			r.peers[i] = e.Boot(env, env.Persister(), func(m replog.Msg) {
				if m.SnapshotValid {
					r.snapshots[i] = append(r.snapshots[i], m.Snapshot)
				}
				if m.CommandValid {
					r.commands[i] = append(r.commands[i], m.Command)
					r.applied[i] = m.CommandIndex
				}
			})
			return r.peers[i]
		})
	}
	return r
}

func (r *bufferRig) leader(t *tests.T) int {
	for i, p := range r.peers {
		if _, isLeader := p.GetState(); isLeader {
			return i
		}
	}
	t.Fatalf("no leader after %v of virtual time", r.w.Now())
	return -1
}

// appliedCommands is the commands peer i applied that the test started,
// leaving out an engine's own entries (a new Multi-Paxos leader's no-ops).
func (r *bufferRig) appliedCommands(i int) []any {
	var cmds []any
	for _, c := range r.commands[i] {
		switch c.(type) {
		case int, []byte:
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// TestSnapshotKeepsItsOwnCopy: the service snapshots, then reuses its
// buffer at once; the snapshot the leader persists and the one a peer far
// behind installs must still be what the service handed over.
func TestSnapshotKeepsItsOwnCopy(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		r := newBufferRig(t, e)
		r.w.Sleep(2 * time.Second)
		l := r.leader(t)
		behind := (l + 1) % 3
		// Crashed rather than cut off: a peer cut off keeps raising its
		// term (Raft, until PreVote in 4E) or its ballot (Multi-Paxos), and
		// on its return can depose the leader; Raft's successor then has no
		// snapshot to send, and a Multi-Paxos peer that leads itself learns
		// slots 1-6 from the other follower's promise (§2.2 of Paxos Made
		// Simple). Either way no snapshot is ever sent to it.
		r.w.Crash(behind)
		for i := 1; i <= 5; i++ {
			r.peers[l].Start(i)
		}
		r.w.Sleep(time.Second)
		index := r.applied[l] // 5 on Raft; later on Multi-Paxos, after its no-ops
		if len(r.appliedCommands(l)) != 5 {
			t.Fatalf("the leader applied %d of 5 commands", len(r.appliedCommands(l)))
		}

		// The service snapshots through the fifth command, then reuses its
		// buffer.
		buf := []byte("the state through the fifth command")
		want := bytes.Clone(buf)
		r.peers[l].Snapshot(index, buf)
		copy(buf, bytes.Repeat([]byte("X"), len(buf)))
		r.peers[l].Start(6) // persists again, with the snapshot the engine kept

		r.w.Sleep(time.Second)
		if got := r.w.Persister(l).ReadSnapshot(); !bytes.Equal(got, want) {
			t.Fatalf("the leader persisted the snapshot %q, but the service took %q: Snapshot must copy the bytes it keeps, since the service may reuse its buffer", got, want)
		}
		r.w.Restart(behind)
		r.w.Sleep(2 * time.Second)
		if len(r.snapshots[behind]) == 0 {
			t.Fatalf("n%d, far behind, installed no snapshot", behind)
		}
		if got := r.snapshots[behind][0]; !bytes.Equal(got, want) {
			t.Fatalf("n%d installed the snapshot %q, but the service took %q: Snapshot must copy the bytes it keeps", behind, got, want)
		}
	})
}

// TestStartKeepsItsOwnCopy: the service starts a []byte command and reuses
// its buffer at once; every peer must apply what was started.
func TestStartKeepsItsOwnCopy(t *testing.T, e replog.Engine) {
	tests.Run(t, func(t *tests.T) {
		r := newBufferRig(t, e)
		r.w.Sleep(2 * time.Second)
		l := r.leader(t)
		buf := []byte("first command")
		r.peers[l].Start(buf)
		copy(buf, "XXXXXXXXXXXXX") // the service reuses its buffer at once
		r.w.Sleep(time.Second)
		for i := range r.peers {
			cmds := r.appliedCommands(i)
			if len(cmds) != 1 {
				t.Fatalf("n%d applied %d commands, not 1: %v", i, len(cmds), r.commands[i])
			}
			if got, _ := cmds[0].([]byte); string(got) != "first command" {
				t.Fatalf("n%d applied %q, but the service started %q: Start must copy a []byte command, since the caller may reuse its buffer", i, got, "first command")
			}
		}
	})
}
