package raft

// Leadership transfer (thesis §3.10).
//
// To hand over to a chosen peer (before taking this one down for maintenance,
// or to move the leader closer to its clients), the leader stops taking new
// commands, brings the target's log up to date, and sends it TimeoutNow. The
// target starts an election at once, without waiting for its timer and
// without a pre-vote; its higher term makes the old leader step down, and its
// log, being up to date, wins it the votes. If the target has not taken over
// within an election timeout, the leader gives up and takes commands again.

// TimeoutNowArgs tells the target of a transfer to start an election now.
type TimeoutNowArgs struct {
	Term     int
	LeaderId int
}

// TimeoutNowReply answers a TimeoutNowArgs.
type TimeoutNowReply struct {
	Term int
}

// TransferLeadership asks this peer, which must lead, to hand leadership to
// peer target. It reports whether the transfer began; whether it succeeds
// shows in GetState on the target, usually within a few round trips. Until
// it succeeds or is abandoned (after electionTimeoutMin), Start refuses
// commands here.
func (rf *Raft) TransferLeadership(target int) bool {
	//lab:solution 4E
	if rf.role != leader || target == rf.me || target < 0 || target >= len(rf.peers) || rf.transferTarget != -1 {
		return false
	}
	rf.transferTarget, rf.timeoutNowSent = target, false
	rf.transferID++
	id, term := rf.transferID, rf.currentTerm
	rf.env.Logf("transfer", "t%d hand over to n%d", rf.currentTerm, target)
	rf.env.After(electionTimeoutMin, func() {
		if rf.transferID == id && rf.currentTerm == term && rf.transferTarget == target {
			rf.env.Logf("transfer", "t%d n%d did not take over; abandoned", rf.currentTerm, target)
			rf.transferTarget = -1
		}
	})
	rf.transferProgress(target)
	if !rf.timeoutNowSent {
		rf.batchesLost(target) // send what the target lacks now: the transfer waits for it
		rf.sendAppendEntries(target)
	}
	return true
	//lab:stub
	// TODO(4E): thesis §3.10: remember the target, stop taking commands
	// (transferring), bring the target up to date, then send it TimeoutNow
	// (transferProgress); abandon the transfer after electionTimeoutMin.
	//> return false
	//lab:end
}

// transferring reports whether a leadership transfer is under way, during
// which the leader takes no new commands.
func (rf *Raft) transferring() bool {
	//lab:solution 4E
	return rf.transferTarget != -1
	//lab:stub
	// TODO(4E): Start refuses commands while this is true.
	//> return false
	//lab:end
}

// transferProgress runs when the leader learns that p's log grew: if p is the
// transfer's target and now has every entry, it gets TimeoutNow.
func (rf *Raft) transferProgress(p int) {
	//lab:solution 4E
	if p != rf.transferTarget || rf.timeoutNowSent || rf.progress[p].matchIndex < rf.log.lastIndex() {
		return
	}
	rf.timeoutNowSent = true
	args := &TimeoutNowArgs{Term: rf.currentTerm, LeaderId: rf.me}
	reply := &TimeoutNowReply{}
	rf.env.Call(p, "Raft.TimeoutNow", args, reply, func(ok bool) {
		if ok && reply.Term > rf.currentTerm {
			rf.becomeFollower(reply.Term)
			return
		}
		if !ok && rf.role == leader && rf.currentTerm == args.Term && rf.transferTarget == p {
			rf.timeoutNowSent = false // lost: send it again after the next answer from p
		}
	})
	//lab:stub
	// TODO(4E): once the target's matchIndex reaches the last index, send it
	// TimeoutNow (once). Call it wherever matchIndex[p] grows
	// (handleAppendEntriesReply, the InstallSnapshot reply).
	//lab:end
}

// TimeoutNow is the RPC handler by which the leader asks this peer to take
// over: it starts an election at once, flagged as a transfer so that the
// voters' leader lease does not stop it.
func (rf *Raft) TimeoutNow(args *TimeoutNowArgs, reply *TimeoutNowReply) {
	//lab:solution 4E
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm || rf.role == leader {
		return
	}
	rf.env.Logf("transfer", "t%d n%d asks us to take over", rf.currentTerm, args.LeaderId)
	rf.becomeCandidate(true)
	//lab:stub
	// TODO(4E): unless the request is stale, start an election now
	// (becomeCandidate(true)).
	//lab:end
}
