package replog

import "fmt"

// A Checker is a service with the engine taken away: it is told what each
// peer applies, which peers lead with which term or ballot, and when a peer
// restarts, and checks the invariants (see the package comment) as it goes.
// It stops nothing itself: the first violation is kept, and Err reports it,
// so that a world runs it after every event with w.Check(checker.Err). The
// cluster harness (replog/harness) puts one on top of its peers; a tool that
// runs an engine its own way uses one directly:
//
//	check := replog.NewChecker("raft", n)
//	w.Check(check.Err)
//	w.Start(i, func(env labrpc.Env) any {
//		check.Boot(i)
//		p := engine.Boot(env, env.Persister(), func(m replog.Msg) { check.Apply(i, m) })
//		check.Booted(i)
//		return p
//	})
type Checker struct {
	name       string
	applied    []int // applied[i]: the last index node i's current incarnation applied
	snapshotAt []int // snapshotAt[i]: the latest snapshot node i took or installed, across restarts

	committed []any       // committed[k]: the command applied at index k (index 0 unused)
	appliedBy []int       // appliedBy[k]: the peer that applied index k first (-1: none of ours)
	prefix    []uint64    // prefix[k]: a hash of the commands at indexes 1..k
	leaders   map[int]int // term or ballot -> the peer seen leading with it
	err       error       // the first violation
}

// NewChecker checks n peers of the engine called name.
func NewChecker(name string, n int) *Checker {
	return &Checker{
		name:       name,
		applied:    make([]int, n),
		snapshotAt: make([]int, n),
		committed:  []any{nil},
		appliedBy:  []int{-1},
		prefix:     []uint64{0},
		leaders:    map[int]int{},
	}
}

// Err is the first violation of an invariant, or nil.
func (k *Checker) Err() error { return k.err }

// Boot says that node i starts a new incarnation, with nothing applied: it
// will begin again from its snapshot, or from index 1.
func (k *Checker) Boot(i int) { k.applied[i] = 0 }

// Booted says that node i's new incarnation has been made (Make returned):
// it must have handed its service its latest snapshot by now.
func (k *Checker) Booted(i int) bool {
	if k.applied[i] < k.snapshotAt[i] {
		k.fail("n%d restarted with its state at index %d, but it had a snapshot through index %d before it crashed: restore the snapshot at boot, and never let its index go back (Raft §7)",
			i, k.applied[i], k.snapshotAt[i])
		return false
	}
	return true
}

// Snapshotted says that node i's service handed its engine a snapshot
// through index (with Snapshot): a later incarnation must start from it.
func (k *Checker) Snapshotted(i, index int) {
	k.snapshotAt[i] = max(k.snapshotAt[i], index)
}

// Lead says that node i believes it leads with term (a Raft term, or a
// ballot as one number), and reports whether that kept election safety. A
// harness calls it for every running peer after every event.
func (k *Checker) Lead(i, term int) bool {
	l, seen := k.leaders[term]
	switch {
	case !seen:
		k.leaders[term] = i
	case l != i:
		k.fail("two leaders with term or ballot %d: n%d and n%d (election safety, Raft §5.2; a ballot has one owner, Paxos Made Simple §2.2)", term, min(l, i), max(l, i))
		return false
	}
	return true
}

// Elections is how many terms or ballots have been seen with a leader.
func (k *Checker) Elections() int { return len(k.leaders) }

// LeaderOf is the peer seen leading with term, and whether one was.
func (k *Checker) LeaderOf(term int) (int, bool) {
	l, ok := k.leaders[term]
	return l, ok
}

// Applied is the last index node i's current incarnation has applied.
func (k *Checker) Applied(i int) int { return k.applied[i] }

// SnapshotAt is the index of the latest snapshot node i took or installed.
func (k *Checker) SnapshotAt(i int) int { return k.snapshotAt[i] }

// LastCommitted is the highest index any peer has applied.
func (k *Checker) LastCommitted() int { return len(k.committed) - 1 }

// CommandAt is the command committed at index, or nil if no peer has
// applied it yet.
func (k *Checker) CommandAt(index int) any {
	if index > 0 && index < len(k.committed) {
		return k.committed[index]
	}
	return nil
}

// Commit records cmd as committed at the next index, for a test that plays
// a peer of its own and commits entries the checked peers have not applied.
// It returns that index.
func (k *Checker) Commit(cmd any) int {
	index := len(k.committed)
	k.committed = append(k.committed, cmd)
	k.appliedBy = append(k.appliedBy, -1)
	k.prefix = append(k.prefix, ExtendHash(k.prefix[index-1], cmd))
	return index
}

// State is the service's state after index: what it hands the engine's
// Snapshot (the index, and a hash of the commands up to it, which is enough
// to check that a restored state is the right one).
func (k *Checker) State(index int) []byte { return EncodeSnapshot(index, k.prefix[index]) }

// Apply records that node i applied m, and reports whether that kept the
// invariants.
func (k *Checker) Apply(i int, m Msg) bool {
	switch {
	case m.CommandValid && m.SnapshotValid:
		k.fail("n%d applied a message with both CommandValid and SnapshotValid: %+v", i, m)
	case m.CommandValid:
		return k.applyCommand(i, m)
	case m.SnapshotValid:
		return k.applySnapshot(i, m)
	default:
		k.fail("n%d applied a message with neither CommandValid nor SnapshotValid: %+v", i, m)
	}
	return false
}

func (k *Checker) fail(format string, args ...any) {
	if k.err == nil {
		k.err = fmt.Errorf("%s: "+format, append([]any{k.name}, args...)...)
	}
}

func (k *Checker) applyCommand(i int, m Msg) bool {
	index := m.CommandIndex
	if index != k.applied[i]+1 {
		what := "a gap"
		if index <= k.applied[i] {
			what = "a repeat"
		}
		k.fail("n%d applied index %d right after index %d (%s): a peer applies every index once, in order (Raft Figure 2, lastApplied)", i, index, k.applied[i], what)
		return false
	}
	switch {
	case index < len(k.committed):
		if !SameCommand(k.committed[index], m.Command) {
			by := "a peer the test plays"
			if k.appliedBy[index] >= 0 {
				by = fmt.Sprintf("n%d", k.appliedBy[index])
			}
			k.fail("n%d applied %s at index %d, but %s applied %s there: two commands committed at one index (state-machine safety: Raft §5.4.3; Paxos Made Simple §3)",
				i, Show(m.Command), index, by, Show(k.committed[index]))
			return false
		}
	default: // index == len(k.committed), since index-1 was applied before
		k.committed = append(k.committed, m.Command)
		k.appliedBy = append(k.appliedBy, i)
		k.prefix = append(k.prefix, ExtendHash(k.prefix[index-1], m.Command))
	}
	k.applied[i] = index
	return true
}

func (k *Checker) applySnapshot(i int, m Msg) bool {
	index, hash, err := DecodeSnapshot(m.Snapshot)
	switch {
	case err != nil:
		k.fail("n%d applied a snapshot through index %d whose data is not the service's (%v): was the snapshot lost or not kept (Raft §7)?", i, m.SnapshotIndex, err)
		return false
	case index != m.SnapshotIndex:
		k.fail("n%d applied a snapshot labelled index %d that the service took at index %d (Raft §7)", i, m.SnapshotIndex, index)
		return false
	case index < k.applied[i]:
		k.fail("n%d applied a snapshot through index %d after it had applied index %d: its state would go back (Raft §7)", i, index, k.applied[i])
		return false
	case index >= len(k.committed) || hash != k.prefix[index]:
		k.fail("n%d applied a snapshot through index %d whose state is not that of the commands committed at 1..%d (Raft §7)", i, index, index)
		return false
	}
	k.applied[i] = index
	k.snapshotAt[i] = max(k.snapshotAt[i], index)
	return true
}
