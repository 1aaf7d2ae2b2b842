package raft

import "protolab/labrpc"

// Log replication (§5.3, Figure 2 "AppendEntries RPC").

// AppendEntriesArgs is Figure 2's AppendEntries request. With no entries it
// is a heartbeat.
type AppendEntriesArgs struct {
	Term         int     // leader's term
	LeaderId     int     // so follower can redirect clients
	PrevLogIndex int     // index of log entry immediately preceding new ones
	PrevLogTerm  int     // term of prevLogIndex entry
	Entries      []Entry // log entries to store (empty for heartbeat)
	LeaderCommit int     // leader's commitIndex
}

// AppendEntriesReply is Figure 2's AppendEntries reply, plus where the leader
// should back up to when the consistency check fails. §5.3 sketches this
// optimisation ("the follower can include the term of the conflicting entry
// and the first index it stores for that term"): with it the leader skips a
// whole conflicting term per round trip instead of a single entry.
type AppendEntriesReply struct {
	Term    int  // currentTerm, for leader to update itself
	Success bool // true if follower contained entry matching prevLogIndex and prevLogTerm

	ConflictTerm  int // term of the follower's entry at PrevLogIndex, or -1 if it has none there
	ConflictIndex int // first index the follower has of ConflictTerm, or its last index + 1 if -1
}

// heartbeat runs every heartbeatInterval while this peer leads: it sends
// every follower an AppendEntries, which carries the entries the follower
// still lacks (Figure 2, "Leaders: Upon election: send initial empty
// AppendEntries RPCs (heartbeat) to each server; repeat during idle periods to
// prevent election timeouts (§5.2)").
func (rf *Raft) heartbeat() {
	//lab:solution 4A
	if rf.role != leader {
		return
	}
	rf.checkQuorum()
	if rf.role != leader {
		return
	}
	for _, p := range rf.peers {
		if p != rf.me && !rf.sentBatchRecently(p) {
			rf.sendAppendEntries(p)
		}
	}
	rf.cancelHeartbeat = rf.env.After(heartbeatInterval, rf.heartbeat)
	//lab:stub
	// TODO(4A): while this peer leads, send AppendEntries to every other
	// peer now and again every heartbeatInterval (rf.env.After). Two hooks
	// of later parts belong here, and are safe to call now: checkQuorum
	// (4E), before sending, which may make this peer step down (then send
	// nothing); and sentBatchRecently (4F), a peer to skip this time. Until
	// their parts, checkQuorum does nothing and sentBatchRecently is false.
	//lab:end
}

// sendAppendEntries sends peer p one AppendEntries (appendEntriesArgs says
// what it carries). A follower whose next entry is already compacted gets the
// snapshot instead (§7).
func (rf *Raft) sendAppendEntries(p int) {
	rf.checkProgress(p)
	//lab:solution 4A
	if rf.needsSnapshot(p) {
		rf.sendInstallSnapshot(p)
		return
	}
	args := rf.appendEntriesArgs(p)
	reply := &AppendEntriesReply{}
	sent := rf.env.Now()
	rf.env.Call(p, "Raft.AppendEntries", args, reply, func(ok bool) {
		if ok && reply.Term > rf.currentTerm {
			rf.becomeFollower(reply.Term) // a newer leader exists (§5.1)
			return
		}
		if rf.role != leader || rf.currentTerm != args.Term {
			return // the answer to a leadership that is over
		}
		if ok {
			rf.peerAcknowledged(p, sent)
		}
		rf.handleAppendEntriesReply(p, args, reply, ok)
	})
	//lab:stub
	// TODO(4A): send AppendEntries to p (rf.env.Call, "Raft.AppendEntries")
	// with the arguments appendEntriesArgs builds (4B; until then it is an
	// empty heartbeat). In the callback: step down if the reply has a newer
	// term; ignore it if this peer no longer leads in the term it was sent
	// in; otherwise call peerAcknowledged (4E) if ok, and
	// handleAppendEntriesReply (4B), also when ok is false: a lost call is
	// news too. Call needsSnapshot (4D) first and send the snapshot instead
	// if it says so. All of these hooks are safe to call now: until their
	// parts they do nothing (needsSnapshot is false).
	//lab:end
}

// appendEntriesArgs builds the AppendEntries for peer p: the entries from
// nextIndex[p] on (none if p has them all), after the entry before them for
// the consistency check. Figure 2 sends every AppendEntries so, heartbeats
// included; pipelining (part 4F, pipeline.go) then changes what goes while a
// batch is on its way to p.
func (rf *Raft) appendEntriesArgs(p int) *AppendEntriesArgs {
	//lab:solution 4B
	prev := rf.progress[p].nextIndex - 1
	args := &AppendEntriesArgs{
		Term:         rf.currentTerm,
		LeaderId:     rf.me,
		PrevLogIndex: prev,
		PrevLogTerm:  rf.log.term(prev),
		Entries:      rf.log.from(prev + 1),
		LeaderCommit: rf.commitIndex,
	}
	rf.pipeline(p, args)
	return args
	//lab:stub
	// TODO(4B): fill in PrevLogIndex, PrevLogTerm, Entries (from
	// nextIndex[p]) and LeaderCommit (Figure 2, "Leaders: If last log index
	// >= nextIndex for a follower: send AppendEntries RPC with log entries
	// starting at nextIndex"). Every AppendEntries carries what p lacks, a
	// heartbeat too: that is how a lost one is retried. Then pass args to
	// pipeline (4F; until then it changes nothing).
	//> return &AppendEntriesArgs{Term: rf.currentTerm, LeaderId: rf.me}
	//lab:end
}

// handleAppendEntriesReply updates what the leader knows of p after an
// AppendEntries it sent in this term completed (ok=false: no reply came).
func (rf *Raft) handleAppendEntriesReply(p int, args *AppendEntriesArgs, reply *AppendEntriesReply, ok bool) {
	//lab:solution 4B
	if !ok {
		// Lost, or no answer in time: the next heartbeat carries the
		// entries again (and from 4F, replicateTo once it is sent).
		if len(args.Entries) > 0 {
			rf.batchesLost(p)
		}
		return
	}
	if reply.Success {
		// "If successful: update nextIndex and matchIndex for follower
		// (§5.3)". Replies can arrive out of order: never move back.
		rf.batchAccepted(p)
		pr := &rf.progress[p]
		match := args.PrevLogIndex + len(args.Entries)
		pr.nextIndex = max(pr.nextIndex, match+1)
		if match > pr.matchIndex {
			pr.matchIndex = match
			rf.advanceCommitIndex()
		}
		rf.transferProgress(p)
		rf.replicateTo(p) // what was appended meanwhile, or (4F) the next batch
		return
	}
	// p's log does not match ours at PrevLogIndex. The batches on their way
	// follow the same gap: forget them (4F) and probe from nextIndex[p].
	rf.batchesLost(p)
	// "If AppendEntries fails because of log inconsistency: decrement
	// nextIndex and retry (§5.3)", by a whole term at a time. A failure
	// that answers an older request (a pipelined batch, an earlier probe)
	// says nothing about nextIndex now.
	pr := &rf.progress[p]
	if args.PrevLogIndex == pr.nextIndex-1 {
		pr.nextIndex = max(pr.matchIndex+1, rf.backupIndex(reply))
	}
	if pr.nextIndex <= rf.log.lastIndex() {
		rf.sendAppendEntries(p) // retry at once, from the new nextIndex
	}
	//lab:stub
	// TODO(4B): Figure 2, "Leaders", on p's record rf.progress[p]. On
	// success: advance nextIndex and matchIndex to what this request
	// covered (replies arrive out of order: never move either back), and
	// see whether commitIndex can advance (advanceCommitIndex). On a
	// consistency failure: back nextIndex up (backupIndex; never to or
	// below matchIndex), but only if the refused request was sent from the
	// current nextIndex (an older one says nothing about it now), and retry
	// at once with sendAppendEntries. On ok=false (no
	// reply): nothing is lost by waiting, since the next heartbeat carries
	// the entries again.
	//
	// Hooks of later parts, safe to call now: on success batchAccepted
	// (4F) first, then transferProgress (4E), and replicateTo last (its
	// stub sends p what was appended meanwhile; 4F makes it pipeline);
	// batchesLost (4F) on a refusal, and on ok=false for a request that
	// carried entries. Until their parts the others do nothing.
	//lab:end
}

// backupIndex is where nextIndex goes after a failed consistency check: past
// the leader's last entry of the follower's conflicting term if the leader
// has that term, else to the first index the follower has of it, or just past
// the end of a follower's log that is too short.
func (rf *Raft) backupIndex(reply *AppendEntriesReply) int {
	//lab:solution 4B
	if reply.ConflictTerm == -1 {
		return reply.ConflictIndex
	}
	if last := rf.log.lastIndexOfTerm(reply.ConflictTerm); last >= 0 {
		return last + 1
	}
	return reply.ConflictIndex
	//lab:stub
	// TODO(4B): use ConflictTerm and ConflictIndex to skip the conflicting
	// term in one step.
	//> return 1
	//lab:end
}

// acceptLeader handles the term of a request from a leader (AppendEntries,
// InstallSnapshot): it reports false if the leader is stale. Otherwise this
// peer follows that leader, in its term (Figure 2, "Candidates: If
// AppendEntries RPC received from new leader: convert to follower"), and
// restarts its election timer (Figure 2, "Followers").
func (rf *Raft) acceptLeader(term int) bool {
	//lab:solution 4A
	if term < rf.currentTerm {
		return false
	}
	rf.becomeFollower(term)
	rf.lastLeaderContact = rf.env.Now()
	rf.resetElectionTimer()
	return true
	//lab:stub
	// TODO(4A): refuse an older term; otherwise adopt the term, become (or
	// stay) a follower and reset the election timer.
	//> return false
	//lab:end
}

// AppendEntries is the RPC handler a leader calls to replicate entries and to
// assert its leadership (Figure 2, "AppendEntries RPC, Receiver
// implementation").
func (rf *Raft) AppendEntries(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	//lab:solution 4A
	if !rf.acceptLeader(args.Term) {
		reply.Term = rf.currentTerm
		return // 1. Reply false if term < currentTerm (§5.1)
	}
	reply.Term = rf.currentTerm
	rf.appendFromLeader(args, reply)
	//lab:stub
	// TODO(4A): refuse a stale leader, accept a current one (acceptLeader),
	// reply with your term, and then handle the log (appendFromLeader, 4B).
	//lab:end
}

// appendFromLeader is the log part of the AppendEntries handler, steps 2 to 5
// of Figure 2's receiver implementation, for a request from the current
// leader.
func (rf *Raft) appendFromLeader(args *AppendEntriesArgs, reply *AppendEntriesReply) {
	//lab:solution 4B
	prev, entries, covered := rf.trimToSnapshot(args.PrevLogIndex, args.Entries)
	if covered {
		reply.Success = true // all of it is in our snapshot already (4D)
		return
	}
	// 2. Reply false if log doesn't contain an entry at prevLogIndex whose
	// term matches prevLogTerm (§5.3). Say where the leader should resume.
	if prev > rf.log.lastIndex() {
		reply.ConflictTerm, reply.ConflictIndex = -1, rf.log.lastIndex()+1
		return
	}
	if t := rf.log.term(prev); prev == args.PrevLogIndex && t != args.PrevLogTerm {
		reply.ConflictTerm, reply.ConflictIndex = t, rf.log.firstIndexOfTerm(prev)
		return
	}
	// 3. If an existing entry conflicts with a new one (same index but
	// different terms), delete the existing entry and all that follow it
	// (§5.3). 4. Append any new entries not already in the log.
	// Only a conflict truncates: a delayed AppendEntries whose entries we
	// already have must not cut off entries a later one appended, which
	// the leader may already count as replicated here.
	for i, e := range entries {
		index := prev + 1 + i
		if index <= rf.log.lastIndex() {
			if rf.log.term(index) == e.Term {
				continue
			}
			rf.truncateLog(index)
		}
		rf.log.append(entries[i:]...)
		rf.persist()
		break
	}
	reply.Success = true
	// 5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
	// index of last new entry). Only the entries this request vouched for:
	// anything after them may still be a stale leader's leftovers.
	if args.LeaderCommit > rf.commitIndex {
		rf.commitTo(max(rf.commitIndex, min(args.LeaderCommit, prev+len(entries))))
	}
	//lab:stub
	// TODO(4B): steps 2 to 5 of Figure 2's AppendEntries receiver: the
	// consistency check at PrevLogIndex (on failure set ConflictTerm and
	// ConflictIndex), truncation only on a conflict (truncateLog), appending
	// the new entries, persisting, and advancing commitIndex to
	// min(LeaderCommit, index of last new entry) with commitTo, which
	// applies.
	//> reply.Success = true
	//lab:end
}

// truncateLog deletes the entry at index i and all that follow it, for step 3
// of the AppendEntries receiver: the entries a newer leader does not have.
// Two invariants say which entries may never go, and are checked here. A
// leader never deletes or overwrites entries in its own log (Leader
// Append-Only, §5.3): only a follower takes entries from a leader. And no
// peer deletes a committed entry: every later leader has it (Leader
// Completeness, §5.4), so a leader's log never conflicts with it; a
// conflict below commitIndex means this peer committed an entry too early.
func (rf *Raft) truncateLog(i int) {
	if rf.role == leader {
		labrpc.Violated("a leader never deletes entries from its log (Leader Append-Only, §5.3)",
			"the leader of term %d would delete its entries from %d to %d", rf.currentTerm, i, rf.log.lastIndex())
	}
	if i <= rf.commitIndex {
		labrpc.Violated("a committed entry is never deleted (Leader Completeness, §5.4)",
			"entries from %d on would be deleted, with commitIndex %d", i, rf.commitIndex)
	}
	rf.log.truncateFrom(i)
}
