package paxos

import (
	"bytes"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/tests"
)

// A service that reuses its buffers: a Multi-Paxos peer must keep its own copy
// of the bytes it is handed (a snapshot, a []byte command), or the caller's
// next use of the buffer changes what the peer persists, sends and applies.

type bufferRig struct {
	w         *labrpc.World
	peers     []*MultiPaxos
	snapshots [][][]byte
	commands  [][]any
	applied   []int // per peer, the index of the last command it applied
}

func newBufferRig(t *tests.T) *bufferRig {
	const n = 3
	r := &bufferRig{w: t.NewWorld(labrpc.Config{Nodes: n}), peers: make([]*MultiPaxos, n),
		snapshots: make([][][]byte, n), commands: make([][]any, n), applied: make([]int, n)}
	for i := 0; i < n; i++ {
		r.w.Start(i, func(env labrpc.Env) any {
			r.peers[i] = Make(env, env.Persister(), func(m ApplyMsg) {
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
	for i, mp := range r.peers {
		if _, isLeader := mp.GetState(); isLeader {
			return i
		}
	}
	t.Fatalf("no leader after %v of virtual time", r.w.Now())
	return -1
}

// appliedCommands is the commands peer i applied that are not no-ops of a
// new leader.
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

func TestSnapshotKeepsItsOwnCopy5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newBufferRig(t)
		r.w.Sleep(2 * time.Second)
		l := r.leader(t)
		behind := (l + 1) % 3
		// Crashed rather than cut off: a peer cut off keeps raising its
		// ballot, and on its return outbids the leader and leads itself,
		// learning slots 1-6 from the other follower's promise (§2.2 of
		// Paxos Made Simple), so no snapshot is ever sent to it.
		r.w.Crash(behind)
		for i := 1; i <= 5; i++ {
			r.peers[l].Start(i)
		}
		r.w.Sleep(time.Second)
		index := r.applied[l]
		if len(r.appliedCommands(l)) != 5 {
			t.Fatalf("the leader applied %d of 5 commands", len(r.appliedCommands(l)))
		}

		buf := []byte("the state through the fifth command")
		want := bytes.Clone(buf)
		r.peers[l].Snapshot(index, buf)
		copy(buf, bytes.Repeat([]byte("X"), len(buf)))
		r.peers[l].Start(6) // persists again, with the snapshot the peer kept

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

func TestStartKeepsItsOwnCopy5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newBufferRig(t)
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
