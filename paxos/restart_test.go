package paxos

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Crashes and restarts around the moments a peer must have saved what it
// did: a leader's own acceptance of a new command, and a snapshot taken
// after the very first slot. Each peer runs a small service whose state is
// the list of int commands it applied, and which may snapshot that list
// after every command it applies.

type restartRig struct {
	t       *tests.T
	w       *labrpc.World
	n       int
	peers   []*MultiPaxos
	state   []string // per peer: the commands its service applied, "1,2,..."
	applied []int    // per peer: the last slot its service applied
	every   bool     // the services snapshot after every command
	chosen  map[int]string
}

func newRestartRig(t *tests.T, every bool) *restartRig {
	const n = 3
	r := &restartRig{t: t, w: t.NewWorld(labrpc.Config{Nodes: n}), n: n, peers: make([]*MultiPaxos, n),
		state: make([]string, n), applied: make([]int, n), every: every, chosen: map[int]string{}}
	for i := 0; i < n; i++ {
		r.w.Start(i, func(env labrpc.Env) any {
			r.state[i], r.applied[i] = "", 0 // a new incarnation of the service
			r.peers[i] = Make(env, env.Persister(), func(m ApplyMsg) { r.onApply(i, m) })
			return r.peers[i]
		})
	}
	return r
}

func (r *restartRig) onApply(i int, m ApplyMsg) {
	if m.SnapshotValid {
		r.state[i], r.applied[i] = string(m.Snapshot), m.SnapshotIndex
		return
	}
	if !m.CommandValid {
		return
	}
	cmd := fmt.Sprint(m.Command)
	if prev, ok := r.chosen[m.CommandIndex]; ok && prev != cmd {
		r.t.Errorf("slot %d: n%d applied %s, but %s was applied there before: two commands chosen for one slot", m.CommandIndex, i, cmd, prev)
	}
	r.chosen[m.CommandIndex] = cmd
	r.applied[i] = m.CommandIndex
	if v, ok := m.Command.(int); ok {
		if r.state[i] != "" {
			r.state[i] += ","
		}
		r.state[i] += fmt.Sprint(v)
	}
	if r.every {
		r.peers[i].Snapshot(m.CommandIndex, []byte(r.state[i]))
	}
}

// leader waits for a peer that believes it leads, among the running ones.
func (r *restartRig) leader() int {
	r.t.Helper()
	l := -1
	ok := r.w.WaitUntil(func() bool {
		for i, mp := range r.peers {
			if r.w.Alive(i) && r.w.Connected(i) {
				if _, isLeader := mp.GetState(); isLeader {
					l = i
					return true
				}
			}
		}
		return false
	}, 10*time.Millisecond, 10*time.Second)
	require.True(r.t, ok, "no leader within 10 s")
	return l
}

// waitApplied waits until peer i's service has applied slot index.
func (r *restartRig) waitApplied(i, index int) {
	r.t.Helper()
	ok := r.w.WaitUntil(func() bool { return r.applied[i] >= index }, time.Millisecond, 10*time.Second)
	require.True(r.t, ok, "n%d has not applied slot %d within 10 s (it applied up to %d)", i, index, r.applied[i])
}

// TestStartPersistsBeforeCounting5B: a leader counts its own acceptance of
// a new command toward the majority, so it must have saved it first. Of
// three peers, one is cut off; the leader starts command 1, and the other
// follower's acceptance makes a majority: command 1 is chosen and applied.
// Then the leader and that follower crash at once (a power cut). The
// leader comes back and, with the peer that was cut off, makes a majority
// again. If the leader had not saved its acceptance, neither of the two
// knows command 1, and the next leader puts something else in its slot.
func TestStartPersistsBeforeCounting5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newRestartRig(t, false)
		l := r.leader()
		f1, f2 := (l+1)%r.n, (l+2)%r.n
		r.w.Disconnect(f2)
		index, _, ok := r.peers[l].Start(1)
		require.True(t, ok)
		r.waitApplied(l, index)
		r.w.Note("power cut: n%d (the leader) and n%d crash", l, f1)
		r.w.Crash(l)
		r.w.Crash(f1)
		r.w.Connect(f2)
		r.w.Restart(l)

		l2 := r.leader()
		index2, _, ok := r.peers[l2].Start(2)
		require.True(t, ok)
		r.waitApplied(l2, index2)
		r.waitApplied(l, index2)
		require.Equal(t, "1", r.chosen[index],
			"command 1 was applied in slot %d before the crash, so it was chosen; after it, slot %d holds %s: the leader counted its own acceptance of command 1 without having saved it (persist in Start, before anything counts it)", index, index, r.chosen[index])
	})
}

// TestRestartWithSnapshotAtSlotOne5B: every service snapshots after each
// command it applies, so after the first command every peer's snapshot
// covers slot 1 alone. A follower restarts: its peer must hand that
// snapshot to the new service as it starts, even though it covers one slot
// only, or the service starts empty (and, if no newer snapshot reaches it,
// misses command 1 for good).
func TestRestartWithSnapshotAtSlotOne5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newRestartRig(t, true)
		l := r.leader()
		index, _, ok := r.peers[l].Start(1)
		require.True(t, ok)
		for i := 0; i < r.n; i++ {
			r.waitApplied(i, index)
		}
		f := (l + 1) % r.n
		r.w.Note("n%d restarts with a snapshot through slot %d", f, index)
		r.w.Restart(f)
		require.Equal(t, "1", r.state[f],
			"n%d restarted with a snapshot through slot %d, but its service holds %q, not the snapshot's %q: hand any saved snapshot to the service in Make, whatever its index, before anything else", f, index, r.state[f], "1")
		l = r.leader()
		index2, _, ok := r.peers[l].Start(2)
		require.True(t, ok)
		r.waitApplied(f, index2)
		require.Equal(t, r.state[l], r.state[f],
			"after its restart n%d's service holds the commands %q, the leader's %q: the snapshot through slot %d was not handed to it when the peer restarted (hand any saved snapshot to the service in Make, whatever its index)", f, r.state[f], r.state[l], index)
	})
}

// TestLateSnapshotIgnored5B: a service may hand Snapshot an index its peer
// has already compacted past (a snapshot taken before a later one, handed
// over late); the peer must ignore it and keep its newer snapshot.
func TestLateSnapshotIgnored5B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		r := newRestartRig(t, false)
		l := r.leader()
		var last int
		for c := 1; c <= 5; c++ {
			index, _, ok := r.peers[l].Start(c)
			require.True(t, ok)
			last = index
		}
		r.waitApplied(l, last)
		newer := r.state[l]
		r.peers[l].Snapshot(last, []byte(newer))
		r.peers[l].Snapshot(last-2, []byte(strings.Join(strings.Split(newer, ",")[:3], ",")))
		r.peers[l].Snapshot(last, []byte("the same index again"))
		require.Equal(t, newer, string(r.w.Persister(l).ReadSnapshot()),
			"n%d snapshotted through slot %d, then was handed older snapshots (through %d, and through %d again): it must keep the newest and ignore an index at or below it", l, last, last-2, last)

		// Another peer may have taken over meanwhile (seed 530 of a sweep):
		// the sixth command goes to whoever leads now.
		index, ok := 0, false
		for k := 0; k < 50 && !ok; k++ {
			index, _, ok = r.peers[r.leader()].Start(6)
		}
		require.True(t, ok, "no peer took the sixth command")
		for i := 0; i < r.n; i++ {
			r.waitApplied(i, index)
		}
		r.w.Restart(l)
		r.waitApplied(l, index)
		require.Equal(t, newer+",6", r.state[l], "n%d's service after a restart, from its snapshot and the log after it", l)
	})
}
