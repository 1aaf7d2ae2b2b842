package raft

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

// Batching and pipelining (thesis §10.2.1).
//
// Figure 2 says what an AppendEntries carries, not when to send one. Sending
// one per Start costs 2 × (peers − 1) messages per command (8 with five
// peers); sending new entries only with the next heartbeat makes each command
// wait up to a heartbeat interval. Ongaro's thesis (§10.2.1) names the two
// remedies, and this leader uses both:
//
//   - batching: the entries a follower lacks travel together, in one
//     AppendEntries. Start only appends; the sending happens once the
//     current event is over (replicateSoon), so Starts in a row share it;
//   - pipelining: the leader sends a follower the next batch before it has
//     answered the last one, with the entries after the last index it sent
//     (sentIndex[p]), instead of waiting a round trip per batch. A refusal
//     or a lost batch makes it forget what it sent and start again from
//     nextIndex[p].
//
// The policy for each follower p (replicateTo):
//
//   - nothing on its way to p: new entries go out at once, so a command that
//     finds the leader idle commits in one round trip;
//   - a batch on its way and p replicating (it answered with success): the
//     next batch goes out batchWindow after the last one, with every entry
//     started meanwhile. Under load each follower gets one request per
//     window, however many commands arrive, and a command waits half a
//     window on average before its round trip;
//   - a batch on its way and p probed (a new term, or p refused a batch, or
//     one was lost): wait for the answer, or for a heartbeat interval, and
//     send again from nextIndex[p]. A follower that is down or far behind
//     thus gets one batch at a time, not the same entries every window.
//     (etcd's raft calls these two states StateReplicate and StateProbe.)
//
// Heartbeats skip a follower that got a batch in the last half interval: the
// batch did the heartbeat's work (§5.2).
//
// Why a window rather than waiting for each answer (one batch on its way at
// a time): on the benchmarks' network (five peers, 10 ms one way) at 1,000
// commands a second, waiting for answers costs the fewest messages (0.5 a
// command) but makes a command wait for the batch before it: 29 ms median
// and 39 ms at the 99th percentile from Start to the leader's apply. A 10 ms
// window costs 0.8 messages a command for 24 ms and 29 ms, about one round
// trip; both stay under the goals of TestBatchedAgreementEfficiency4B (at
// most one message a command, a median of at most 30 ms), the window with a
// margin. docs/lab4-raft.md ("What it costs") has the figures.

// heartbeat runs every heartbeatInterval while this peer leads: it sends
// every follower an AppendEntries, which carries whatever entries the
// follower still lacks (Figure 2, "Leaders: Upon election: send initial empty
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
	// peer now and again every heartbeatInterval (rf.env.After). (From
	// 4B on, skip a peer that sentBatchRecently.)
	//lab:end
}

// sendAppendEntries sends peer p one AppendEntries: a heartbeat, with the
// entries p lacks that batching lets go now (appendEntriesArgs). A follower
// whose next entry is already compacted gets the snapshot instead (§7).
func (rf *Raft) sendAppendEntries(p int) {
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
	// with the arguments appendEntriesArgs builds. In the callback: step down
	// if the reply has a newer term; ignore it if this peer no longer leads
	// in the term it was sent in; otherwise call peerAcknowledged (if ok) and
	// handleAppendEntriesReply.
	//lab:end
}

// appendEntriesArgs builds the AppendEntries for peer p. With nothing on its
// way to p, it carries the entries from nextIndex[p] on, after the entry
// before it for the consistency check. With a batch on its way, it is a
// pipelined batch of the entries after sentIndex[p] if canPipeline allows
// one now, and otherwise a heartbeat: no entry is sent twice over a healthy
// link. It records the batch it builds (sentIndex, sentAt).
func (rf *Raft) appendEntriesArgs(p int) *AppendEntriesArgs {
	//lab:solution 4B
	prev := rf.nextIndex[p] - 1
	send := !rf.batchInFlight(p)
	if !send && rf.canPipeline(p) {
		prev, send = rf.sentIndex[p], true // right after the entries on their way
	}
	args := &AppendEntriesArgs{
		Term:         rf.currentTerm,
		LeaderId:     rf.me,
		PrevLogIndex: prev,
		PrevLogTerm:  rf.log.term(prev),
		LeaderCommit: rf.commitIndex,
	}
	if send && prev < rf.log.lastIndex() {
		args.Entries = rf.log.from(prev + 1)
		rf.sentIndex[p], rf.sentAt[p] = rf.log.lastIndex(), rf.env.Now()
	}
	return args
	//lab:stub
	// TODO(4B): fill in PrevLogIndex, PrevLogTerm, Entries (from
	// nextIndex[p]) and LeaderCommit (Figure 2, "Leaders: If last log index
	// >= nextIndex for a follower: send AppendEntries RPC with log entries
	// starting at nextIndex").
	//> return &AppendEntriesArgs{Term: rf.currentTerm, LeaderId: rf.me}
	//lab:end
}

// handleAppendEntriesReply updates what the leader knows of p after an
// AppendEntries it sent in this term completed (ok=false: no reply came).
func (rf *Raft) handleAppendEntriesReply(p int, args *AppendEntriesArgs, reply *AppendEntriesReply, ok bool) {
	//lab:solution 4B
	if !ok {
		if len(args.Entries) > 0 {
			rf.batchesLost(p) // the next heartbeat, or Start, sends them again
		}
		return
	}
	if reply.Success {
		// "If successful: update nextIndex and matchIndex for follower
		// (§5.3)". Replies can arrive out of order: never move back.
		rf.replicating[p] = true
		match := args.PrevLogIndex + len(args.Entries)
		if match > rf.matchIndex[p] {
			rf.matchIndex[p] = match
			rf.advanceCommitIndex()
		}
		rf.nextIndex[p] = max(rf.nextIndex[p], match+1)
		rf.transferProgress(p)
	} else {
		// p's log does not match ours at PrevLogIndex. The batches on their
		// way follow the same gap: forget them and probe from nextIndex[p].
		rf.batchesLost(p)
		// "If AppendEntries fails because of log inconsistency: decrement
		// nextIndex and retry (§5.3)", by a whole term at a time. A failure
		// that answers a pipelined batch or an older probe says nothing
		// about nextIndex now.
		if args.PrevLogIndex == rf.nextIndex[p]-1 {
			rf.nextIndex[p] = max(rf.matchIndex[p]+1, rf.backupIndex(reply))
		}
	}
	rf.replicateTo(p) // more to send, or a retry after backing up
	//lab:stub
	// TODO(4B): Figure 2, "Leaders": on success advance matchIndex[p] and
	// nextIndex[p] (never backwards), note that p is replicating, and see
	// whether commitIndex can advance; on a consistency failure forget the
	// batches on their way (batchesLost) and back nextIndex[p] up
	// (backupIndex); then send p what it still lacks (replicateTo). A batch
	// that got no reply is lost too.
	//lab:end
}

// batchInFlight reports whether a batch of entries (or a snapshot) sent to p
// is still unanswered, and recent enough to be on its way: sent less than a
// heartbeat interval ago.
func (rf *Raft) batchInFlight(p int) bool {
	//lab:solution 4B
	return rf.sentIndex[p] >= rf.nextIndex[p] && rf.env.Now() < rf.sentAt[p]+heartbeatInterval
	//lab:stub
	// TODO(4B): has p yet to answer for entries up to sentIndex[p], sent
	// less than a heartbeat interval ago?
	//> return false
	//lab:end
}

// canPipeline reports whether p may get another batch now, before it has
// answered the one on its way: p is replicating, the batch window since the
// last batch is over, and entries after sentIndex[p] wait.
func (rf *Raft) canPipeline(p int) bool {
	//lab:solution 4B
	return rf.replicating[p] && rf.env.Now() >= rf.sentAt[p]+batchWindow && rf.sentIndex[p] < rf.log.lastIndex()
	//lab:stub
	// TODO(4B): is p in step (replicating), is its batch window over, and
	// is there something after sentIndex[p] to send?
	//> return false
	//lab:end
}

// batchesLost forgets the batches on their way to p, because one was lost or
// p refused one: the next AppendEntries carries everything from nextIndex[p]
// again, and p is probed, one batch at a time, until it answers with
// success.
func (rf *Raft) batchesLost(p int) {
	//lab:solution 4B
	rf.sentIndex[p] = 0
	rf.replicating[p] = false
	//lab:stub
	// TODO(4B): forget the batches on their way, and stop pipelining to p.
	//lab:end
}

// sentBatchRecently reports whether p got a batch of entries (or a snapshot)
// less than half a heartbeat interval ago. Such a batch did a heartbeat's
// work, so the next heartbeat skips p: under a steady load followers get no
// heartbeats at all, and none goes more than one and a half intervals
// without a message, well inside the election timeout.
func (rf *Raft) sentBatchRecently(p int) bool {
	//lab:solution 4B
	return rf.sentAt[p] > 0 && rf.env.Now()-rf.sentAt[p] < heartbeatInterval/2
	//lab:stub
	// TODO(4B): was the last batch to p sent less than heartbeatInterval/2
	// ago?
	//> return false
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

// replicateSoon sends new entries to the followers once the current event is
// over, so that several Starts in a row go out in one AppendEntries.
func (rf *Raft) replicateSoon() {
	//lab:solution 4B
	if rf.replicateQueued {
		return
	}
	rf.replicateQueued = true
	rf.env.After(0, func() {
		rf.replicateQueued = false
		if rf.role != leader {
			return
		}
		rf.advanceCommitIndex() // a group of one commits alone
		for _, p := range rf.peers {
			if p != rf.me {
				rf.replicateTo(p)
			}
		}
	})
	//lab:stub
	// TODO(4B): get the new entries to the followers (replicateTo), without
	// waiting for the next heartbeat.
	//lab:end
}

// replicateTo sends p the entries it lacks that are not on their way yet:
// at once if nothing is on its way to p (or p may get a pipelined batch
// now), when p's batch window is over if p is replicating, and otherwise
// once p answers the batch on its way. See "Batching and pipelining".
func (rf *Raft) replicateTo(p int) {
	//lab:solution 4B
	switch {
	case !rf.batchInFlight(p):
		if rf.nextIndex[p] <= rf.log.lastIndex() {
			rf.sendAppendEntries(p)
		}
	case rf.canPipeline(p):
		rf.sendAppendEntries(p)
	case rf.replicating[p] && rf.sentIndex[p] < rf.log.lastIndex() && !rf.batchQueued[p]:
		rf.batchQueued[p] = true
		term := rf.currentTerm
		rf.env.After(rf.sentAt[p]+batchWindow-rf.env.Now(), func() {
			if rf.role != leader || rf.currentTerm != term {
				return
			}
			rf.batchQueued[p] = false
			rf.replicateTo(p)
		})
	}
	//lab:stub
	// TODO(4B): send p what it lacks (sendAppendEntries builds it), at
	// once if nothing is on its way to p; with a batch on its way, when
	// canPipeline allows (a timer for the end of the batch window).
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
			rf.log.truncateFrom(index)
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
		rf.commitIndex = max(rf.commitIndex, min(args.LeaderCommit, prev+len(entries)))
		rf.applyCommitted()
	}
	//lab:stub
	// TODO(4B): steps 2 to 5 of Figure 2's AppendEntries receiver: the
	// consistency check at PrevLogIndex (on failure set ConflictTerm and
	// ConflictIndex), truncation only on a conflict, appending the new
	// entries, persisting, and advancing commitIndex to
	// min(LeaderCommit, index of last new entry), then applying.
	//> reply.Success = true
	//lab:end
}
