package raft

// Log compaction by snapshots (§7, Figure 13).
//
// The service decides when to snapshot: after applying an entry, it may call
// Snapshot(index, state), and Raft discards the log up to index. A follower
// so far behind that the leader has discarded the entries it needs gets the
// leader's snapshot with InstallSnapshot instead. The whole snapshot travels
// in one RPC (Figure 13's offset and done fields are not needed when
// snapshots are small).

// InstallSnapshotArgs is Figure 13's InstallSnapshot request, in one chunk.
type InstallSnapshotArgs struct {
	Term              int    // leader's term
	LeaderId          int    // so follower can redirect clients
	LastIncludedIndex int    // the snapshot replaces all entries up through and including this index
	LastIncludedTerm  int    // term of lastIncludedIndex
	Data              []byte // the snapshot
}

// InstallSnapshotReply is Figure 13's InstallSnapshot reply.
type InstallSnapshotReply struct {
	Term int // currentTerm, for leader to update itself
}

// Snapshot is called by the service: its state now includes every command up
// to and including index, and snapshot encodes that state. Raft keeps the
// snapshot and discards the log up to index. A snapshot no newer than the one
// Raft has, or of entries not yet applied, is ignored.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	//lab:solution 4D
	if index <= rf.log.firstIndex() || index > rf.lastApplied {
		return
	}
	rf.log.compact(index)
	// Keep a copy: the service may reuse its buffer for its next snapshot,
	// and the one taken now is persisted again and sent in InstallSnapshot.
	rf.snapshot = append([]byte(nil), snapshot...)
	rf.persist()
	rf.env.Logf("snap", "through %d", index)
	//lab:stub
	// TODO(4D): discard the log through index (raftLog.compact), keep a copy
	// of the snapshot (the service may reuse its buffer) and persist both;
	// ignore an old or unapplied index.
	//lab:end
}

// restoreSnapshot runs at boot, after readPersist: with a snapshot, the
// service's state starts from it, so lastApplied and commitIndex start at its
// last index, and the service receives the snapshot as its first ApplyMsg.
func (rf *Raft) restoreSnapshot() {
	//lab:solution 4D
	rf.snapshot = rf.persister.ReadSnapshot()
	if rf.log.firstIndex() == 0 {
		return
	}
	rf.commitIndex, rf.lastApplied = rf.log.firstIndex(), rf.log.firstIndex()
	// The service gets its own copy, which it may change at will.
	rf.apply(ApplyMsg{SnapshotValid: true, Snapshot: append([]byte(nil), rf.snapshot...), SnapshotTerm: rf.log.term(rf.log.firstIndex()), SnapshotIndex: rf.log.firstIndex()})
	//lab:stub
	// TODO(4D): load the saved snapshot (so that later saves keep it); if
	// the log starts after one, start lastApplied and commitIndex at its
	// index and hand it to the service with apply.
	//lab:end
}

// trimToSnapshot drops from an AppendEntries the part that this follower's
// snapshot already covers: such entries are committed, so they match (§7).
// It returns the request's new prevLogIndex and entries, and covered=true if
// nothing of it is past the snapshot.
func (rf *Raft) trimToSnapshot(prevLogIndex int, entries []Entry) (prev int, rest []Entry, covered bool) {
	//lab:solution 4D
	first := rf.log.firstIndex()
	if prevLogIndex >= first {
		return prevLogIndex, entries, false
	}
	skip := min(first-prevLogIndex, len(entries))
	prev, rest = prevLogIndex+skip, entries[skip:]
	return prev, rest, prev < first
	//lab:stub
	// TODO(4D): if prevLogIndex is below the snapshot, skip the entries the
	// snapshot covers. (appendFromLeader calls this before its consistency
	// check.)
	//> return prevLogIndex, entries, false
	//lab:end
}

// needsSnapshot reports whether the next entry peer p needs is already
// compacted into the leader's snapshot.
func (rf *Raft) needsSnapshot(p int) bool {
	//lab:solution 4D
	return rf.progress[p].nextIndex <= rf.log.firstIndex()
	//lab:stub
	// TODO(4D): is p's nextIndex at or below the snapshot's last index?
	// (sendAppendEntries asks this first, and sends the snapshot if so.)
	//> return false
	//lab:end
}

// sendInstallSnapshot sends p the leader's snapshot (Figure 13). Like an
// AppendEntries it is resent at each heartbeat until p answers.
func (rf *Raft) sendInstallSnapshot(p int) {
	//lab:solution 4D
	args := &InstallSnapshotArgs{
		Term:              rf.currentTerm,
		LeaderId:          rf.me,
		LastIncludedIndex: rf.log.firstIndex(),
		LastIncludedTerm:  rf.log.term(rf.log.firstIndex()),
		Data:              rf.snapshot,
	}
	rf.snapshotSent(p, args.LastIncludedIndex)
	reply := &InstallSnapshotReply{}
	sent := rf.env.Now()
	rf.env.Call(p, "Raft.InstallSnapshot", args, reply, func(ok bool) {
		if ok && reply.Term > rf.currentTerm {
			rf.becomeFollower(reply.Term)
			return
		}
		if rf.role != leader || rf.currentTerm != args.Term {
			return
		}
		if !ok {
			rf.batchesLost(p)
			return
		}
		rf.peerAcknowledged(p, sent)
		pr := &rf.progress[p]
		pr.nextIndex = max(pr.nextIndex, args.LastIncludedIndex+1)
		if args.LastIncludedIndex > pr.matchIndex {
			pr.matchIndex = args.LastIncludedIndex
			rf.advanceCommitIndex()
		}
		rf.batchAccepted(p)
		rf.transferProgress(p)
		rf.replicateTo(p)
	})
	//lab:stub
	// TODO(4D): send InstallSnapshot with the leader's snapshot; on the
	// reply, step down on a newer term, ignore it if this peer no longer
	// leads in the term it was sent in, or else move p's nextIndex and
	// matchIndex (rf.progress[p]) past the snapshot (never back) and see
	// whether commitIndex can advance. No reply: the next heartbeat sends the
	// snapshot again. Hooks of later parts, safe to call now (each does
	// nothing until its part): snapshotSent (4F) when sending; on ok=false
	// batchesLost (4F); on a reply peerAcknowledged (4E) first, then
	// batchAccepted (4F), transferProgress (4E) and replicateTo (4F).
	//lab:end
}

// InstallSnapshot is the RPC handler a leader calls to bring a follower that
// lags behind its log up to date (Figure 13, "Receiver implementation").
func (rf *Raft) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	//lab:solution 4D
	if !rf.acceptLeader(args.Term) {
		reply.Term = rf.currentTerm
		return // 1. Reply immediately if term < currentTerm
	}
	reply.Term = rf.currentTerm
	index, term := args.LastIncludedIndex, args.LastIncludedTerm
	if index <= rf.commitIndex {
		return // we have all of it already, and have applied it
	}
	// 6. If existing log entry has same index and term as snapshot's last
	// included entry, retain log entries following it and reply.
	// 7. Discard the entire log (otherwise).
	if index <= rf.log.lastIndex() && rf.log.term(index) == term {
		rf.log.compact(index)
	} else {
		rf.log.reset(index, term)
	}
	rf.snapshot = args.Data
	rf.commitIndex, rf.lastApplied = index, index
	rf.persist()
	rf.env.Logf("snap", "installed, through %d", index)
	// 8. Reset state machine using snapshot contents.
	rf.apply(ApplyMsg{SnapshotValid: true, Snapshot: append([]byte(nil), args.Data...), SnapshotTerm: term, SnapshotIndex: index})
	//lab:stub
	// TODO(4D): Figure 13's receiver: refuse a stale leader (acceptLeader),
	// ignore a snapshot you already cover, keep the log after the snapshot
	// if it matches or else reset it, persist, and hand the snapshot to the
	// service through apply.
	//lab:end
}
