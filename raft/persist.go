package raft

import (
	//lab:solution 4C
	"bytes"
	"errors"
	"fmt"
	"io"

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
	im := &rf.image
	if im.enc == nil || im.start != rf.log.firstIndex() || im.size > 2*im.wholeSize ||
		rf.persister.StateSize() != im.size {
		rf.persistWhole()
		return
	}
	// The first index where the log differs from the image. By the Log
	// Matching Property (§5.3), an entry with the same index and term as
	// one in the image holds the same command, and so do all the entries
	// before it: comparing terms back from the end finds where they part.
	// A peer that only appended finds it at the first comparison; one that
	// cut its log off (a follower, step 3 of AppendEntries) walks back over
	// the entries it cut, which it writes again anyway.
	from := min(im.lastIndex(), rf.log.lastIndex()) + 1
	for from-1 > im.start && im.terms[from-1-im.start] != rf.log.term(from-1) {
		from--
	}
	if from == im.lastIndex()+1 && from == rf.log.lastIndex()+1 &&
		rf.currentTerm == im.term && rf.votedFor == im.vote {
		return // nothing changed since the last save
	}
	entries := rf.log.from(from)
	im.write(persistRecord{Term: rf.currentTerm, VotedFor: rf.votedFor, From: from, Entries: entries})
	rf.persister.Append(im.buf.Bytes())
	im.size += im.buf.Len()
	im.saved(rf.currentTerm, rf.votedFor, from, entries)
	//lab:stub
	// TODO(4C): encode currentTerm, votedFor and the log with labgob and
	// save them, with rf.snapshot, through rf.persister.Save.
	//lab:end
}

//lab:solution 4C

// The reference saves its state as a sequence of records (a log of the
// changes, as a database's write-ahead log is), so that a save costs what
// changed since the last one, not the whole log: at a thousand commands a
// second, encoding a log of 32,000 entries at every Start and every
// AppendEntries would be the peer's whole cost. The image begins with a
// record holding the whole log, written with Save (with the snapshot,
// whenever the snapshot changes); each later save appends one record with
// Persister.Append. Encoding the whole state at each save, as the stub
// asks, is just as correct: it is what these records add up to.
//
// A persistRecord is one save: the term and vote as they now are, and the
// log from index From on, which replaces whatever the records before it put
// there (a follower that cut its log off writes the cut part again).
type persistRecord struct {
	Term, VotedFor int
	From           int
	Entries        []Entry // the entries from index From; in the first record From is the log's start, and Entries[0] its sentinel
}

// A persistedImage is what this incarnation has written to its Persister.
// Its encoder continues the gob stream the image holds (a type's
// description goes into the stream once), so a new incarnation, whose
// encoder has written nothing, writes the image whole at its first save.
type persistedImage struct {
	enc        *labgob.Encoder // nil: nothing written yet
	buf        bytes.Buffer    // enc's output for the record being written
	start      int             // the log's first index in the image (the snapshot's last)
	terms      []int           // terms[i-start] is the term of the image's entry i
	term, vote int             // currentTerm and votedFor in the image
	size       int             // the image's bytes
	wholeSize  int             // of them, the first record's: the log written whole
}

// persistWhole writes the image afresh: the whole log in one record, and the
// snapshot, in one Save. It runs at a new incarnation's first save, when
// the log was compacted (a snapshot always moves the log's start, so the
// snapshot is saved with its log), and when records have made the image
// more than twice the size of its first record: rewriting costs the log
// once per doubling, so no more than a constant per byte appended.
func (rf *Raft) persistWhole() {
	im := &rf.image
	im.enc = labgob.NewEncoder(&im.buf)
	im.terms = im.terms[:0]
	im.write(persistRecord{Term: rf.currentTerm, VotedFor: rf.votedFor, From: rf.log.start, Entries: rf.log.entries})
	rf.persister.Save(im.buf.Bytes(), rf.snapshot)
	im.size, im.wholeSize = im.buf.Len(), im.buf.Len()
	im.start = rf.log.start
	im.saved(rf.currentTerm, rf.votedFor, rf.log.start, rf.log.entries)
}

// write encodes r into im.buf, alone.
func (im *persistedImage) write(r persistRecord) {
	im.buf.Reset()
	if err := im.enc.Encode(r); err != nil {
		panic(fmt.Sprintf("raft: persist: %v", err))
	}
}

// saved records that the image now holds term, vote, and entries from index
// from on.
func (im *persistedImage) saved(term, vote, from int, entries []Entry) {
	im.term, im.vote = term, vote
	im.terms = im.terms[:from-im.start]
	for _, e := range entries {
		im.terms = append(im.terms, e.Term)
	}
}

// lastIndex is the index of the image's last entry.
func (im *persistedImage) lastIndex() int { return im.start + len(im.terms) - 1 }

//lab:end

// readPersist restores what persist saved (nothing if data is empty: a
// first boot).
func (rf *Raft) readPersist(data []byte) {
	//lab:solution 4C
	if len(data) == 0 {
		return
	}
	// Replay the records in order: the last one's term and vote stand, and
	// each one's entries replace the log from its From on.
	d := labgob.NewDecoder(bytes.NewReader(data))
	var entries []Entry
	start := -1
	for {
		var r persistRecord
		err := d.Decode(&r)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			panic(fmt.Sprintf("raft: peer %d cannot read its persisted state: %v", rf.me, err))
		}
		if start < 0 {
			start = r.From
		}
		if r.From < start || r.From-start > len(entries) {
			panic(fmt.Sprintf("raft: peer %d cannot read its persisted state: a record puts entries at %d, after a log of %d..%d", rf.me, r.From, start, start+len(entries)-1))
		}
		entries = append(entries[:r.From-start], r.Entries...)
		rf.currentTerm, rf.votedFor = r.Term, r.VotedFor
	}
	if len(entries) == 0 {
		panic(fmt.Sprintf("raft: peer %d cannot read its persisted state: its log has no sentinel entry", rf.me))
	}
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
