package raft

import (
	//lab:solution 4A
	"time"
	//lab:end
)

// Leader election (§5.2, Figure 2 "RequestVote RPC" and "Rules for Servers").

// RequestVoteArgs is Figure 2's RequestVote request. LeadershipTransfer marks
// the election that a leader asked for with TimeoutNow (thesis §3.10): voters
// then set their leader lease aside (part 4E).
type RequestVoteArgs struct {
	Term         int // candidate's term
	CandidateId  int // candidate requesting vote
	LastLogIndex int // index of candidate's last log entry (§5.4)
	LastLogTerm  int // term of candidate's last log entry (§5.4)

	LeadershipTransfer bool
}

// RequestVoteReply is Figure 2's RequestVote reply.
type RequestVoteReply struct {
	Term        int  // currentTerm, for candidate to update itself
	VoteGranted bool // true means candidate received vote
}

// resetElectionTimer (re)starts the election timer with a fresh random
// timeout. Randomised timeouts make it likely that one peer times out first
// and wins before the others wake up (§5.2).
func (rf *Raft) resetElectionTimer() {
	//lab:solution 4A
	if rf.cancelElection != nil {
		rf.cancelElection()
	}
	spread := int64(electionTimeoutMax - electionTimeoutMin)
	timeout := electionTimeoutMin + time.Duration(rf.env.Rand().Int64N(spread))
	rf.cancelElection = rf.env.After(timeout, rf.electionTimeout)
	//lab:stub
	// TODO(4A): cancel the running timer, if any, and start a new one that
	// calls electionTimeout after a random time in
	// [electionTimeoutMin, electionTimeoutMax). Use rf.env.After and
	// rf.env.Rand() (this peer's *rand.Rand, of package math/rand/v2:
	// Int64N, IntN), never time.Sleep or the global math/rand.
	//lab:end
}

// electionTimeout runs when the election timer fires: this peer has heard
// from no current leader, and granted no vote, for a whole election timeout
// (Figure 2, "Followers: If election timeout elapses ... convert to
// candidate"; "Candidates: If election timeout elapses: start new election").
func (rf *Raft) electionTimeout() {
	//lab:solution 4A
	rf.cancelElection = nil
	if rf.role == leader {
		return
	}
	// Part 4E asks the others first whether they would vote (thesis §9.6),
	// so that a peer cut off from the rest does not raise its term in vain.
	rf.startPreVote()
	//lab:stub
	// TODO(4A): start an election, unless this peer leads.
	//lab:end
}

// requestVotes sends RequestVote to every other peer and counts the votes of
// this term; a majority makes this peer leader (§5.2).
func (rf *Raft) requestVotes(leadershipTransfer bool) {
	//lab:solution 4A
	term := rf.currentTerm
	args := &RequestVoteArgs{
		Term:               term,
		CandidateId:        rf.me,
		LastLogIndex:       rf.log.lastIndex(),
		LastLogTerm:        rf.log.lastTerm(),
		LeadershipTransfer: leadershipTransfer,
	}
	votes := 1 // our own
	if votes >= quorum(len(rf.peers)) {
		rf.becomeLeader() // a group of one
		return
	}
	for _, p := range rf.peers {
		if p == rf.me {
			continue
		}
		reply := &RequestVoteReply{}
		rf.env.Call(p, "Raft.RequestVote", args, reply, func(ok bool) {
			if !ok {
				return
			}
			if reply.Term > rf.currentTerm {
				rf.becomeFollower(reply.Term)
				return
			}
			// A vote counts only for the election it was asked for: a
			// late reply from an earlier term, or one that arrives after
			// we won or lost, is ignored.
			if rf.role != candidate || rf.currentTerm != term || !reply.VoteGranted {
				return
			}
			votes++
			if votes == quorum(len(rf.peers)) {
				rf.becomeLeader()
			}
		})
	}
	//lab:stub
	// TODO(4A): send RequestVote to every other peer (Figure 2,
	// "Candidates") with rf.env.Call; in each reply callback, step down on
	// a newer term, ignore replies to an election that is over, and become
	// leader on the vote that makes a majority. A reply can come back after
	// this peer moved on to a later term, even as a candidate again: count
	// a grant only while still a candidate in the term it was asked for
	// (keep the count per election, with the term, not in a field). A group
	// of one wins at once, with its own vote.
	//lab:end
}

// RequestVote is the RPC handler a candidate calls to ask for this peer's
// vote (Figure 2, "RequestVote RPC, Receiver implementation").
func (rf *Raft) RequestVote(args *RequestVoteArgs, reply *RequestVoteReply) {
	//lab:solution 4E
	// Leader stickiness (thesis §4.2.3): a peer that has heard from a
	// current leader within the minimum election timeout ignores a vote
	// request for a newer term, without adopting that term. A peer that was
	// cut off and comes back cannot then depose a healthy leader. A leader
	// asking its successor to take over is the exception (§3.10).
	if args.Term > rf.currentTerm && !args.LeadershipTransfer && rf.inLeaderLease() {
		rf.env.Logf("vote", "refused n%d in term %d: a leader was heard from within the minimum election timeout (currentTerm=%d)", args.CandidateId, args.Term, rf.currentTerm)
		reply.Term = rf.currentTerm
		return
	}
	//lab:end
	//lab:solution 4A
	defer func() {
		rf.env.Logf("vote", "%s n%d in term %d (currentTerm=%d votedFor=%d candidate's log up to date=%t)", map[bool]string{true: "granted to", false: "refused"}[reply.VoteGranted], args.CandidateId, args.Term, rf.currentTerm, rf.votedFor, rf.candidateUpToDate(args.LastLogTerm, args.LastLogIndex))
	}()
	if args.Term > rf.currentTerm {
		rf.becomeFollower(args.Term)
	}
	reply.Term = rf.currentTerm
	if args.Term < rf.currentTerm {
		return // 1. Reply false if term < currentTerm (§5.1)
	}
	// 2. If votedFor is null or candidateId, and candidate's log is at least
	// as up-to-date as receiver's log, grant vote (§5.2, §5.4). One vote per
	// term, persisted before the reply leaves: that is election safety.
	if (rf.votedFor == -1 || rf.votedFor == args.CandidateId) && rf.candidateUpToDate(args.LastLogTerm, args.LastLogIndex) {
		rf.votedFor = args.CandidateId
		rf.persist()
		reply.VoteGranted = true
		// Granting a vote resets the timer (Figure 2, "Followers"), so that
		// this peer does not start a rival election while the candidate it
		// just voted for is collecting its majority.
		rf.resetElectionTimer()
	}
	//lab:stub
	// TODO(4A): Figure 2, "RequestVote RPC, Receiver implementation": adopt
	// a newer term, refuse an older one, and grant at most one vote per term
	// to a candidate whose log is up to date (candidateUpToDate); reset the
	// election timer when you grant it.
	//lab:end
}

// candidateUpToDate reports whether a candidate whose last entry has
// (lastTerm, lastIndex) is at least as up to date as this peer's log (§5.4.1):
// "If the logs have last entries with different terms, then the log with the
// later term is more up-to-date. If the logs end with the same term, then
// whichever log is longer is more up-to-date." This restriction is what puts
// every committed entry in every later leader's log (Leader Completeness).
func (rf *Raft) candidateUpToDate(lastTerm, lastIndex int) bool {
	//lab:solution 4B
	if lastTerm != rf.log.lastTerm() {
		return lastTerm > rf.log.lastTerm()
	}
	return lastIndex >= rf.log.lastIndex()
	//lab:stub
	// TODO(4B): compare the candidate's last entry with ours (§5.4.1): the
	// later term wins; with equal terms, the longer log.
	//> return true
	//lab:end
}
