package raft

import (
	//lab:solution 4B
	"fmt"
	//lab:end

	"protolab/labrpc"
)

// An Entry is one slot of the log. Figure 2: "each entry contains command for
// state machine, and term when entry was received by leader (first index is 1)".
// Its fields are exported because entries travel in AppendEntries and are
// persisted with labgob.
type Entry struct {
	Term    int
	Command any
}

// raftLog is the log with an offset, so that a prefix can be replaced by a
// snapshot (§7) without renumbering anything.
//
// entries[0] is a sentinel that stands for the last entry the snapshot covers:
// its index is start (Figure 13's lastIncludedIndex) and its Term is the term
// of that entry (lastIncludedTerm). Before any snapshot, start is 0 and the
// sentinel has term 0, which is exactly the "index 0, term 0" that Figure 2's
// consistency check needs for the first AppendEntries. The real entries
// follow: index i lives at entries[i-start].
//
// Every method takes and returns log indexes, never positions in entries,
// so the rest of the code reads like Figure 2 and is unaware of the offset.
type raftLog struct {
	start   int
	entries []Entry
}

// newLog returns an empty log: just the sentinel at index 0, term 0.
func newLog() raftLog {
	//lab:solution 4B
	return raftLog{entries: []Entry{{Term: 0}}}
	//lab:stub
	// TODO(4B): an empty log holds one sentinel entry standing for index 0,
	// term 0, so that prevLogIndex 0 always matches (Figure 2).
	//> return raftLog{}
	//lab:end
}

// firstIndex is the index of the sentinel: the snapshot's last included
// index, or 0. Entries at or below it are gone (compacted).
func (l *raftLog) firstIndex() int { return l.start }

// lastIndex is the index of the last entry (the sentinel's if the log has no
// real entries).
func (l *raftLog) lastIndex() int {
	//lab:solution 4B
	return l.start + len(l.entries) - 1
	//lab:stub
	// TODO(4B): the index of the last entry, counting from the offset.
	//> return 0
	//lab:end
}

// lastTerm is the term of the last entry, for the up-to-date comparison of
// §5.4.1.
func (l *raftLog) lastTerm() int {
	//lab:solution 4B
	return l.entries[len(l.entries)-1].Term
	//lab:stub
	// TODO(4B): the term of the last entry (the sentinel's term if there is none).
	//> return 0
	//lab:end
}

// term is the term of the entry at index i, for firstIndex() <= i <= lastIndex().
// Asking for a compacted or missing index is a bug in the caller; the panic
// names the index and the range, and the simulator shows it with the stack.
func (l *raftLog) term(i int) int {
	//lab:solution 4B
	return l.at(i).Term
	//lab:stub
	// TODO(4B): the term of the entry at index i.
	//> return 0
	//lab:end
}

// entry returns the entry at index i, for firstIndex() < i <= lastIndex().
func (l *raftLog) entry(i int) Entry {
	//lab:solution 4B
	if i == l.start {
		panic(fmt.Sprintf("raft: entry %d is compacted into the snapshot (the log holds %d..%d)", i, l.start+1, l.lastIndex()))
	}
	return *l.at(i)
	//lab:stub
	// TODO(4B): the entry at index i.
	//> return Entry{}
	//lab:end
}

//lab:solution 4B
func (l *raftLog) at(i int) *Entry {
	if i < l.start || i > l.lastIndex() {
		panic(fmt.Sprintf("raft: no log entry at index %d: the log holds %d..%d (entries up to %d are in the snapshot)", i, l.start+1, l.lastIndex(), l.start))
	}
	return &l.entries[i-l.start]
}

//lab:end

// from returns a copy of the entries from index i to the end (none if i is
// past the end), for an AppendEntries. A copy, so that later changes to the
// log cannot reach an argument already handed to the network.
func (l *raftLog) from(i int) []Entry {
	//lab:solution 4B
	if i > l.lastIndex() {
		return nil
	}
	return append([]Entry(nil), l.entries[i-l.start:]...)
	//lab:stub
	// TODO(4B): a copy of the entries from index i on.
	//> return nil
	//lab:end
}

// append adds entries at the end. The terms along a log never decrease: a
// leader appends entries of its own term, the latest it has seen, and a
// follower's log is a prefix of some leader's log followed by that leader's
// entries, once it has cut off what conflicts (Log Matching, §5.3). An entry
// with an older term than the one before it means something that should
// have been cut off was not.
func (l *raftLog) append(es ...Entry) {
	last := l.lastTerm()
	for i, e := range es {
		if e.Term < last {
			labrpc.Violated("terms never decrease along the log (Log Matching, §5.3)",
				"entry %d would have term %d, after an entry of term %d", l.lastIndex()+1+i, e.Term, last)
		}
		last = e.Term
	}
	//lab:solution 4B
	l.entries = append(l.entries, es...)
	//lab:stub
	// TODO(4B): add the entries after the last one.
	//lab:end
}

// truncateFrom deletes the entry at index i and all that follow it
// (Figure 2, AppendEntries receiver, step 3). i must be above firstIndex().
func (l *raftLog) truncateFrom(i int) {
	//lab:solution 4B
	l.at(i - 1) // checks the range
	// A fresh array: the old one may still be shared with an argument or a
	// persisted copy, and the truncated tail must not show through.
	l.entries = append([]Entry(nil), l.entries[:i-l.start]...)
	//lab:stub
	// TODO(4B): drop the entries from index i on.
	//lab:end
}

// lastIndexOfTerm is the highest index whose entry has term t (the sentinel
// included), or -1 if the log has none. The leader uses it to back up nextIndex
// by a whole term at a time.
func (l *raftLog) lastIndexOfTerm(t int) int {
	//lab:solution 4B
	for i := len(l.entries) - 1; i >= 0; i-- {
		if l.entries[i].Term == t {
			return l.start + i
		}
		if l.entries[i].Term < t {
			break // terms only grow along the log
		}
	}
	return -1
	//lab:stub
	// TODO(4B): search back from the end for the last entry of term t.
	//> return -1
	//lab:end
}

// firstIndexOfTerm is the lowest index at or below i whose entry has the same
// term as the entry at i (not below firstIndex()+1). A follower reports it
// with a conflict so the leader can skip the whole conflicting term.
func (l *raftLog) firstIndexOfTerm(i int) int {
	//lab:solution 4B
	t := l.term(i)
	for i > l.start+1 && l.term(i-1) == t {
		i--
	}
	return i
	//lab:stub
	// TODO(4B): walk back while the previous entry has the same term.
	//> return i
	//lab:end
}

// compact discards the entries up to and including index, which a snapshot
// now covers (§7). The entry at index becomes the new sentinel; the entries
// after it are kept. firstIndex() < index <= lastIndex().
func (l *raftLog) compact(index int) {
	//lab:solution 4D
	sentinel := Entry{Term: l.term(index)}
	rest := l.entries[index-l.start+1:]
	l.entries = append([]Entry{sentinel}, rest...)
	l.start = index
	//lab:stub
	// TODO(4D): make the entry at index the sentinel and keep what follows;
	// copy into a fresh array so the discarded entries can be collected.
	//lab:end
}

// reset discards the whole log and starts it again after a snapshot that ends
// at (index, term): what a follower does when a leader's snapshot is newer than
// anything it can keep (§7, "If ... discard the entire log").
func (l *raftLog) reset(index, term int) {
	//lab:solution 4D
	l.start = index
	l.entries = []Entry{{Term: term}}
	//lab:stub
	// TODO(4D): a log holding only the sentinel for (index, term).
	//lab:end
}
