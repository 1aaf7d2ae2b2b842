package raft

import (
	//lab:solution 4C
	"bytes"
	"fmt"

	"protolab/labgob"
	//lab:end

	"protolab/labrpc"
)

// Persistence (Figure 2, "Persistent state on all servers: (Updated on stable
// storage before responding to RPCs)": currentTerm, votedFor, log[]).
//
// A peer that forgot its vote could vote twice in a term after a restart and
// let two leaders be elected; one that forgot its log could lose committed
// entries. In this simulator an event runs to its end before anything else
// happens, and a crash falls between events, so saving before an event ends is
// saving "before responding": the reply or the RPC only leaves afterwards.

// persist saves currentTerm, votedFor and the log (with the offset and term of
// its snapshot, §7), together with the current snapshot: Save writes both at
// once, so the two always agree.
func (rf *Raft) persist() {
	rf.checkPersistentState()
	//lab:solution 4C
	w := new(bytes.Buffer)
	e := labgob.NewEncoder(w)
	for _, v := range []any{rf.currentTerm, rf.votedFor, rf.log.start, rf.log.entries} {
		if err := e.Encode(v); err != nil {
			panic(fmt.Sprintf("raft: persist: %v", err))
		}
	}
	rf.persister.Save(w.Bytes(), rf.snapshot)
	//lab:stub
	// TODO(4C): encode currentTerm, votedFor and the log with labgob and
	// save them, with rf.snapshot, through rf.persister.Save.
	//lab:end
}

// readPersist restores what persist saved (nothing if data is empty: a
// first boot).
func (rf *Raft) readPersist(data []byte) {
	//lab:solution 4C
	if len(data) == 0 {
		return
	}
	d := labgob.NewDecoder(bytes.NewReader(data))
	var currentTerm, votedFor, start int
	var entries []Entry
	for _, v := range []any{&currentTerm, &votedFor, &start, &entries} {
		if err := d.Decode(v); err != nil {
			panic(fmt.Sprintf("raft: peer %d cannot read its persisted state: %v", rf.me, err))
		}
	}
	rf.currentTerm, rf.votedFor = currentTerm, votedFor
	rf.log = raftLog{start: start, entries: entries}
	//lab:stub
	// TODO(4C): decode what persist wrote, in the same order, and restore
	// currentTerm, votedFor and the log.
	//lab:end
}

// checkPersistentState states what holds of every save, against the one
// before it in this incarnation (savedTerm, savedVote): currentTerm
// "increases monotonically" (Figure 2), since a term once seen is never
// gone back to; and within a term, votedFor once set never changes: one
// vote per term, which is what makes two leaders of one term impossible
// (election safety, §5.2). Every change of either is saved, so every change
// passes here.
func (rf *Raft) checkPersistentState() {
	if rf.currentTerm < rf.savedTerm {
		labrpc.Violated("currentTerm never decreases (Figure 2)",
			"currentTerm would go back from %d to %d", rf.savedTerm, rf.currentTerm)
	}
	if rf.currentTerm == rf.savedTerm && rf.savedVote != -1 && rf.votedFor != rf.savedVote {
		labrpc.Violated("one vote per term (Figure 2, votedFor; election safety, §5.2)",
			"n%d voted for n%d in term %d, and would now vote for n%d", rf.me, rf.savedVote, rf.currentTerm, rf.votedFor)
	}
	rf.savedTerm, rf.savedVote = rf.currentTerm, rf.votedFor
}
