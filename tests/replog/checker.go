package replog

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"reflect"
	"strconv"
)

// A Checker is the suite's service with the engine taken away: it is told
// what each peer applies and checks the invariants (see the package comment)
// as it goes. A Cluster puts one on top of its peers; tools that run an
// engine outside a test (cmd/lab's runners) use one directly:
//
//	check := replog.NewChecker("raft", n)
//	w.Check(check.Err)
//	w.Start(i, func(env labrpc.Env) any {
//		check.Boot(i)
//		return engine.Boot(env, env.Persister(), func(m replog.Msg) { check.Apply(i, m) })
//	})
type Checker struct {
	name      string
	applied   []int // applied[i]: the last index node i's current incarnation applied
	snapshots []int // snapshots[i]: how many snapshots node i's services were handed

	committed []any    // committed[k]: the command applied at index k (index 0 unused)
	appliedBy []int    // appliedBy[k]: the peer that applied index k first
	prefix    []uint64 // prefix[k]: a hash of the commands at indexes 1..k
	err       error    // the first violation
}

// NewChecker checks n peers of the engine called name.
func NewChecker(name string, n int) *Checker {
	return &Checker{
		name:      name,
		applied:   make([]int, n),
		snapshots: make([]int, n),
		committed: []any{nil},
		appliedBy: []int{-1},
		prefix:    []uint64{0},
	}
}

// Err is the first violation of an invariant, or nil; a world runs it after
// every event with w.Check(checker.Err).
func (k *Checker) Err() error { return k.err }

// Boot says that node i starts a new incarnation, with nothing applied: it
// will begin again from its snapshot, or from index 1.
func (k *Checker) Boot(i int) { k.applied[i] = 0 }

// Applied is the last index node i's current incarnation has applied.
func (k *Checker) Applied(i int) int { return k.applied[i] }

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
		k.fail("n%d applied index %d right after index %d (%s): a peer applies every index once, in order", i, index, k.applied[i], what)
		return false
	}
	switch {
	case index < len(k.committed):
		if !SameCommand(k.committed[index], m.Command) {
			k.fail("n%d applied %s at index %d, but n%d applied %s there: two commands committed at one index (state-machine safety: Raft §5.4.3; Paxos Made Simple §3)",
				i, Show(m.Command), index, k.appliedBy[index], Show(k.committed[index]))
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
		k.fail("n%d applied a snapshot through index %d whose data is not the service's (%v): was the snapshot lost or not kept?", i, m.SnapshotIndex, err)
		return false
	case index != m.SnapshotIndex:
		k.fail("n%d applied a snapshot labelled index %d that the service took at index %d", i, m.SnapshotIndex, index)
		return false
	case index < k.applied[i]:
		k.fail("n%d applied a snapshot through index %d after it had applied index %d: its state would go back", i, index, k.applied[i])
		return false
	case index >= len(k.committed) || hash != k.prefix[index]:
		k.fail("n%d applied a snapshot through index %d whose state is not that of the commands committed at 1..%d", i, index, index)
		return false
	}
	k.applied[i] = index
	k.snapshots[i]++
	return true
}

// The test service's state, shared by every replicated-log test (this
// suite's and the labs' own): a snapshot holds the index it covers and a
// hash of the commands up to it, enough to check that a restored state is
// the right one.

// EncodeSnapshot is the service's snapshot through index, whose commands hash to hash.
func EncodeSnapshot(index int, hash uint64) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, uint64(index))
	binary.BigEndian.PutUint64(b[8:], hash)
	return b
}

// DecodeSnapshot reads a snapshot EncodeSnapshot made.
func DecodeSnapshot(b []byte) (index int, hash uint64, err error) {
	if len(b) != 16 {
		return 0, 0, fmt.Errorf("%d bytes, not 16", len(b))
	}
	return int(binary.BigEndian.Uint64(b)), binary.BigEndian.Uint64(b[8:]), nil
}

// ExtendHash is the hash of the commands up to one index, from the hash up to the index before.
func ExtendHash(h uint64, cmd any) uint64 {
	f := fnv.New64a()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	f.Write(b[:])
	fmt.Fprintf(f, "%T:%v", cmd, cmd)
	return f.Sum64()
}

// SameCommand reports whether two applied commands are the same command.
func SameCommand(a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if reflect.TypeOf(a) != reflect.TypeOf(b) {
		return false
	}
	if reflect.TypeOf(a).Comparable() {
		return a == b
	}
	return reflect.DeepEqual(a, b)
}

// Show prints a command briefly (a 5000-byte string would flood a report).
func Show(cmd any) string {
	switch v := cmd.(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		if len(v) > 24 {
			return fmt.Sprintf("%q…(%d bytes)", v[:16], len(v))
		}
		return strconv.Quote(v)
	}
	s := fmt.Sprintf("%T%+v", cmd, cmd)
	if len(s) > 40 {
		s = s[:36] + "…"
	}
	return s
}
