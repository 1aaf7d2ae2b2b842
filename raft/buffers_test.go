package raft

import (
	"bytes"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/tests"
)

// A service that reuses its buffers: Raft must keep its own copy of the bytes
// it is handed (a snapshot, a []byte command), or the caller's next use of the
// buffer changes what Raft persists, sends and applies.

// bufferRig is three peers whose service records the snapshots and commands
// each applies.
type bufferRig struct {
	w         *labrpc.World
	peers     []*Raft
	snapshots [][][]byte // per peer, the snapshots it applied
	commands  [][]any    // per peer, the commands it applied
}

func newBufferRig(t *tests.T) *bufferRig {
	const n = 3
	r := &bufferRig{w: t.NewWorld(labrpc.Config{Nodes: n}), peers: make([]*Raft, n),
		snapshots: make([][][]byte, n), commands: make([][]any, n)}
	for i := 0; i < n; i++ {
		r.w.Start(i, func(env labrpc.Env) any {
			r.peers[i] = Make(env, env.Persister(), func(m ApplyMsg) {
				if m.SnapshotValid {
					r.snapshots[i] = append(r.snapshots[i], m.Snapshot)
				}
				if m.CommandValid {
					r.commands[i] = append(r.commands[i], m.Command)
				}
			})
			return r.peers[i]
		})
	}
	return r
}

func (r *bufferRig) leader(t *tests.T) int {
	for i, rf := range r.peers {
		if _, isLeader := rf.GetState(); isLeader {
			return i
		}
	}
	t.Fatalf("no leader after %v of virtual time", r.w.Now())
	return -1
}

func TestSnapshotKeepsItsOwnCopy4D(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newBufferRig(t)
		r.w.Sleep(2 * time.Second)
		l := r.leader(t)
		behind := (l + 1) % 3
		// Crashed rather than cut off: a peer cut off raises its term until
		// PreVote (4E) stops it, and on its return can depose the leader,
		// whose successor then has no snapshot to send.
		r.w.Crash(behind)
		for i := 1; i <= 5; i++ {
			r.peers[l].Start(i)
		}
		r.w.Sleep(time.Second)
		if len(r.commands[l]) != 5 {
			t.Fatalf("the leader applied %d of 5 commands", len(r.commands[l]))
		}

		// The service snapshots through index 5, then reuses its buffer.
		buf := []byte("the state through index 5")
		want := bytes.Clone(buf)
		r.peers[l].Snapshot(5, buf)
		copy(buf, "XXXXXXXXXXXXXXXXXXXXXXXXX")
		r.peers[l].Start(6) // persists again, with the snapshot Raft kept

		r.w.Sleep(time.Second)
		if got := r.w.Persister(l).ReadSnapshot(); !bytes.Equal(got, want) {
			t.Fatalf("the leader persisted the snapshot %q, but the service took %q: Raft.Snapshot must copy the bytes it keeps, since the service may reuse its buffer", got, want)
		}
		r.w.Restart(behind)
		r.w.Sleep(2 * time.Second)
		if len(r.snapshots[behind]) == 0 {
			t.Fatalf("n%d, far behind, installed no snapshot", behind)
		}
		if got := r.snapshots[behind][0]; !bytes.Equal(got, want) {
			t.Fatalf("n%d installed the snapshot %q, but the service took %q: Raft.Snapshot must copy the bytes it keeps", behind, got, want)
		}
	})
}

func TestStartKeepsItsOwnCopy4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newBufferRig(t)
		r.w.Sleep(2 * time.Second)
		l := r.leader(t)
		buf := []byte("first command")
		r.peers[l].Start(buf)
		copy(buf, "XXXXXXXXXXXXX") // the service reuses its buffer at once
		r.w.Sleep(time.Second)
		for i, cmds := range r.commands {
			if len(cmds) != 1 {
				t.Fatalf("n%d applied %d commands, not 1", i, len(cmds))
			}
			if got, _ := cmds[0].([]byte); string(got) != "first command" {
				t.Fatalf("n%d applied %q, but the service started %q: Start must copy a []byte command, since the caller may reuse its buffer", i, got, "first command")
			}
		}
	})
}
