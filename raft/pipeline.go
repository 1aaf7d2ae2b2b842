package raft

// Batching and pipelining (thesis §10.2.1): part 4F.
//
// Figure 2 says what an AppendEntries carries, not when to send one. Parts
// 4B to 4E send the plainest way that works: each heartbeat sends every
// follower an AppendEntries with all it lacks, and a success is followed at
// once by what was appended meanwhile. A command then waits up to a
// heartbeat interval before it is sent; sending one AppendEntries per Start
// instead costs 2 × (peers − 1) messages per command (8 with five peers), and
// sends a lagging follower its whole missing suffix at every Start. Ongaro's
// thesis (§10.2.1) names the two remedies, and this leader uses both:
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
//   - a batch on its way and p in replicate mode (it answered with success): the
//     next batch goes out batchWindow after the last one, with every entry
//     started meanwhile. Under load each follower gets one request per
//     window, however many commands arrive, and a command waits half a
//     window on average before its round trip;
//   - a batch on its way and p in probe mode (a new term, or p refused a
//     batch, or one was lost): wait for the answer, or for a heartbeat interval, and
//     send again from nextIndex[p]. A follower that is down or far behind
//     thus gets one batch at a time, not the same entries every window.
//     (The two modes of progress.go; etcd's raft calls them StateReplicate
//     and StateProbe.)
//
// A heartbeat that finds a batch on its way carries no entries: they are on
// their way already. Heartbeats skip a follower that got a batch in the last
// half interval: the batch did the heartbeat's work (§5.2).
//
// Why a window rather than waiting for each answer (one batch on its way at
// a time): on the benchmarks' network (five peers, 10 ms one way) at 1,000
// commands a second, waiting for answers costs the fewest messages (0.5 a
// command) but makes a command wait for the batch before it: 29 ms median
// and 39 ms at the 99th percentile from Start to the leader's apply. A 10 ms
// window costs 0.8 messages a command for 24 ms and 29 ms, about one round
// trip; both stay under the goals of TestBatchedAgreementEfficiency4F (at
// most one message a command, a median of at most 30 ms), the window with a
// margin. docs/lab4-raft.md ("What it costs") has the figures.
//
// Every function here is a hook that parts 4A to 4E already call. Until 4F,
// each does nothing (or says no), which leaves Figure 2's plain replication.

// pipeline adjusts the AppendEntries that appendEntriesArgs built for p from
// nextIndex[p], and records the batch it will carry (sentIndex, sentAt):
//
//   - nothing on its way to p: unchanged, the entries from nextIndex[p] on;
//   - a batch on its way, and canPipeline allows another now: a pipelined
//     batch, the entries after sentIndex[p], after the entry at sentIndex[p];
//   - a batch on its way otherwise: a heartbeat without entries, so that no
//     entry is sent twice over a healthy link.
func (rf *Raft) pipeline(p int, args *AppendEntriesArgs) {
	//lab:solution 4F
	pr := &rf.progress[p]
	if rf.batchInFlight(p) {
		if !rf.canPipeline(p) {
			args.Entries = nil
			return
		}
		prev := pr.sentIndex // right after the entries on their way
		args.PrevLogIndex, args.PrevLogTerm, args.Entries = prev, rf.log.term(prev), rf.log.from(prev+1)
	}
	if len(args.Entries) > 0 {
		pr.sentIndex, pr.sentAt = rf.log.lastIndex(), rf.env.Now()
	}
	//lab:stub
	// TODO(4F): with a batch on its way to p (batchInFlight), send the
	// entries after p's sentIndex if canPipeline allows, and otherwise
	// strip the entries: that AppendEntries is a heartbeat, and the entries
	// are on their way already. Whenever args carries entries, record the
	// batch in rf.progress[p]: sentIndex = the last index it carries,
	// sentAt = now.
	// (Until 4F, every AppendEntries carries everything from nextIndex[p].)
	//lab:end
}

// batchInFlight reports whether a batch of entries (or a snapshot) sent to p
// is still unanswered, and recent enough to be on its way: sent less than a
// heartbeat interval ago.
func (rf *Raft) batchInFlight(p int) bool {
	//lab:solution 4F
	pr := &rf.progress[p]
	return pr.sentIndex >= pr.nextIndex && rf.env.Now() < pr.sentAt+heartbeatInterval
	//lab:stub
	// TODO(4F): has p yet to answer for entries up to sentIndex[p], sent
	// less than a heartbeat interval ago? (After that the batch counts as
	// lost, and the next heartbeat sends it again from nextIndex[p].)
	//> return false
	//lab:end
}

// canPipeline reports whether p may get another batch now, before it has
// answered the one on its way: p is in replicate mode, the batch window since the
// last batch is over, and entries after sentIndex[p] wait.
func (rf *Raft) canPipeline(p int) bool {
	//lab:solution 4F
	pr := &rf.progress[p]
	return pr.mode == replicate && rf.env.Now() >= pr.sentAt+batchWindow && pr.sentIndex < rf.log.lastIndex()
	//lab:stub
	// TODO(4F): is p in step (mode replicate), is its batch window over,
	// and is there something after its sentIndex to send?
	//> return false
	//lab:end
}

// batchesLost forgets the batches on their way to p, because one was lost or
// p refused one: the next AppendEntries carries everything from nextIndex[p]
// again, and p is back in probe mode, one batch at a time, until it answers
// with success.
func (rf *Raft) batchesLost(p int) {
	//lab:solution 4F
	pr := &rf.progress[p]
	pr.sentIndex = 0
	pr.mode = probe
	//lab:stub
	// TODO(4F): forget the batches on their way (sentIndex = 0), and stop
	// pipelining to p (mode probe). handleAppendEntriesReply calls this on a
	// refusal (a refused pipelined batch included: the batches after it
	// follow the same gap) and on a lost request that carried entries.
	//lab:end
}

// batchAccepted records that p answered an AppendEntries with success: its
// log matches the leader's, so batches to it are pipelined from now on
// (mode replicate).
func (rf *Raft) batchAccepted(p int) {
	//lab:solution 4F
	rf.progress[p].mode = replicate
	//lab:stub
	// TODO(4F): p is in step: pipeline to it (mode replicate).
	//lab:end
}

// snapshotSent records that p was sent the snapshot through index: it counts
// as a batch on its way, and p gets no pipelined batch until it has answered.
func (rf *Raft) snapshotSent(p, index int) {
	//lab:solution 4F
	pr := &rf.progress[p]
	pr.sentIndex, pr.sentAt = index, rf.env.Now()
	pr.mode = probe
	//lab:stub
	// TODO(4F): a snapshot on its way is a batch on its way (sentIndex,
	// sentAt), after which p is probed (mode probe), not pipelined to.
	//lab:end
}

// sentBatchRecently reports whether p got a batch of entries (or a snapshot)
// less than half a heartbeat interval ago. Such a batch did a heartbeat's
// work, so the next heartbeat skips p: under a steady load followers get no
// heartbeats at all, and none goes more than one and a half intervals
// without a message, well inside the election timeout.
func (rf *Raft) sentBatchRecently(p int) bool {
	//lab:solution 4F
	sentAt := rf.progress[p].sentAt
	return sentAt > 0 && rf.env.Now()-sentAt < heartbeatInterval/2
	//lab:stub
	// TODO(4F): was the last batch to p sent less than heartbeatInterval/2
	// ago? (Until 4F, false: every heartbeat goes to every follower.)
	//> return false
	//lab:end
}

// replicateSoon sends new entries to the followers once the current event is
// over, so that several Starts in a row go out in one AppendEntries. It runs
// in an event of its own, not inside Start, also because a group of one
// commits there: apply may call back into Raft (Snapshot), which it must not
// do from inside Start.
func (rf *Raft) replicateSoon() {
	//lab:solution 4F
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
	// TODO(4F): batch the Starts of one event: schedule one event (a flag,
	// replicateQueued, says one is scheduled) that sends each follower
	// what it lacks through replicateTo, so that a command goes out at
	// once instead of waiting for the next heartbeat.
	//
	// Until 4F, Start sends nothing: the next heartbeat carries the new
	// entries (plain Figure 2). A group of one has no follower to answer,
	// so it commits here, in an event of its own after Start, not inside
	// Start: apply may call back into Raft (Snapshot).
	//> rf.env.After(0, func() {
	//> 	if rf.role == leader {
	//> 		rf.advanceCommitIndex() // a group of one commits alone
	//> 	}
	//> })
	//lab:end
}

// replicateTo sends p the entries it lacks that are not on their way yet:
// at once if nothing is on its way to p (or p may get a pipelined batch
// now), when p's batch window is over if p is in replicate mode, and otherwise
// once p answers the batch on its way.
func (rf *Raft) replicateTo(p int) {
	//lab:solution 4F
	pr := &rf.progress[p]
	switch {
	case !rf.batchInFlight(p):
		if pr.nextIndex <= rf.log.lastIndex() {
			rf.sendAppendEntries(p)
		}
	case rf.canPipeline(p):
		rf.sendAppendEntries(p)
	case pr.mode == replicate && pr.sentIndex < rf.log.lastIndex() && !pr.batchQueued:
		pr.batchQueued = true
		term := rf.currentTerm
		rf.env.After(pr.sentAt+batchWindow-rf.env.Now(), func() {
			if rf.role != leader || rf.currentTerm != term {
				return
			}
			pr.batchQueued = false
			rf.replicateTo(p)
		})
	}
	//lab:stub
	// TODO(4F): send p what it lacks at once only if nothing is on its way
	// to p (batchInFlight); with a batch on its way, when canPipeline
	// allows (a timer for the end of the batch window, p's batchQueued
	// saying one is set); otherwise wait for p's answer.
	//
	// Until 4F: p just answered with success (handleAppendEntriesReply,
	// or the reply to a snapshot), so nothing else is on its way: send it
	// whatever was appended meanwhile, if anything.
	//> if rf.progress[p].nextIndex <= rf.log.lastIndex() {
	//> 	rf.sendAppendEntries(p)
	//> }
	//lab:end
}
