package raft

import (
	//lab:solution 4B
	"slices"
	//lab:end

	"protolab/labrpc"
)

// Commitment (§5.3, §5.4.2) and applying committed entries.

// majorityMatch is the highest index that a majority of peers are known to
// store, given matchIndex (the leader's own last index included): the N of
// Figure 2's "a majority of matchIndex[i] >= N".
//
// Sorted ascending, the element at (n-1)/2 is reached or passed by it and
// every element after it: n - (n-1)/2 peers, which is a majority for odd and
// even n alike (3 of 5, 3 of 4).
func majorityMatch(matchIndex []int) int {
	//lab:solution 4B
	sorted := slices.Clone(matchIndex)
	slices.Sort(sorted)
	return sorted[(len(sorted)-1)/2]
	//lab:stub
	// TODO(4B): the largest N such that a majority of matchIndex[i] >= N.
	//> return 0
	//lab:end
}

// advanceCommitIndex commits what a majority stores, if it is of the current
// term (Figure 2, "Leaders: If there exists an N such that N > commitIndex, a
// majority of matchIndex[i] >= N, and log[N].term == currentTerm: set
// commitIndex = N").
func (rf *Raft) advanceCommitIndex() {
	//lab:solution 4B
	rf.progress[rf.me].matchIndex = rf.log.lastIndex()
	match := make([]int, len(rf.progress))
	for p, pr := range rf.progress {
		match[p] = pr.matchIndex
	}
	n := majorityMatch(match)
	// Only entries from the leader's current term are committed by counting
	// replicas; earlier ones are committed indirectly by the Log Matching
	// Property (§5.4.2, Figure 8). An entry of an older term stored on a
	// majority can still be overwritten by a later leader: counting it here
	// is the bug the Figure 8 tests catch.
	if n > rf.commitIndex && rf.log.term(n) == rf.currentTerm {
		rf.env.Logf("commit", "through %d (t%d)", n, rf.currentTerm)
		rf.commitTo(n)
	}
	//lab:stub
	// TODO(4B): find the highest index a majority stores (majorityMatch of
	// every rf.progress[i].matchIndex, your own included) and commit it
	// with commitTo if it is of the current term (§5.4.2).
	//lab:end
}

// commitTo sets commitIndex to n, an index this peer has learnt is committed
// (advanceCommitIndex on the leader, AppendEntries on a follower), and
// applies what that commits. Two invariants hold of every such step, and are
// checked here: commitIndex "increases monotonically" (Figure 2), since a
// committed entry stays committed; and it never passes the last entry this
// peer stores, since a peer can only know an entry it holds to be committed.
func (rf *Raft) commitTo(n int) {
	if n < rf.commitIndex {
		labrpc.Violated("commitIndex never decreases (Figure 2)",
			"commitIndex would go back from %d to %d", rf.commitIndex, n)
	}
	if n > rf.log.lastIndex() {
		labrpc.Violated("commitIndex <= last log index (Figure 2, AppendEntries receiver step 5)",
			"commitIndex would be %d, past the last entry, %d", n, rf.log.lastIndex())
	}
	rf.commitIndex = n
	rf.applyCommitted()
}

// applyCommitted hands the committed entries not yet applied to the service,
// in index order (Figure 2, "All servers: If commitIndex > lastApplied:
// increment lastApplied, apply log[lastApplied] to state machine (§5.3)").
// The service may call Snapshot from apply, which compacts only what is
// already applied, so the entry read next is always still in the log.
func (rf *Raft) applyCommitted() {
	//lab:solution 4B
	for rf.lastApplied < rf.commitIndex {
		rf.lastApplied++
		e := rf.log.entry(rf.lastApplied)
		rf.apply(ApplyMsg{CommandValid: true, Command: e.Command, CommandIndex: rf.lastApplied})
	}
	//lab:stub
	// TODO(4B): apply every entry up to commitIndex, in order, once.
	//lab:end
	// Only committed entries are applied (State Machine Safety, §5.4.3): an
	// entry applied before it is committed may yet be replaced.
	if rf.lastApplied > rf.commitIndex {
		labrpc.Violated("lastApplied <= commitIndex (Figure 2; State Machine Safety, §5.4.3)",
			"lastApplied is %d, commitIndex %d", rf.lastApplied, rf.commitIndex)
	}
}
