package raft

import "time"

// PreVote (thesis §9.6).
//
// A peer cut off from the others times out again and again. Without PreVote
// each time-out raises its term, and when it comes back its higher term
// deposes a healthy leader, for nothing: its log is behind and it cannot win.
// With PreVote, a peer whose timer fires first asks the others whether they
// would vote for it in the next term; it raises its term and becomes a
// candidate only if a majority says yes. A peer says yes only if the
// candidate's log is up to date and it has not heard from a leader lately
// (the leader lease of checkquorum.go); saying yes changes nothing on the
// voter: no term, no vote, no timer.

// PreVoteArgs asks "would you vote for me in NextTerm?". NextTerm is the
// asker's currentTerm + 1; the asker's own term does not change.
type PreVoteArgs struct {
	NextTerm     int
	CandidateId  int
	LastLogIndex int
	LastLogTerm  int
}

// PreVoteReply answers a PreVoteArgs.
type PreVoteReply struct {
	Term    int // the voter's currentTerm: a higher one tells the asker it is behind
	Granted bool
}

// preVoteCampaign gathers pre-votes for the term after term, from the first
// time-out that asked for them. Later time-outs ask again, but keep the grants
// already received: on a network that delays messages for longer than an
// election timeout, grants trickle in over several rounds. The campaign ends
// (and its grants are forgotten) when the term changes or a leader is heard.
type preVoteCampaign struct {
	term    int
	since   time.Duration
	granted []bool
}

// startPreVote runs a pre-vote round when the election timer fires, and
// starts the real election once a majority would vote for this peer.
func (rf *Raft) startPreVote() {
	//lab:solution 4E
	rf.resetElectionTimer() // if this round fails, ask again after another time-out
	if c := rf.preVote; c.granted == nil || c.term != rf.currentTerm || rf.lastLeaderContact >= c.since {
		rf.preVote = preVoteCampaign{term: rf.currentTerm, since: rf.env.Now(), granted: make([]bool, len(rf.peers))}
		rf.preVote.granted[rf.me] = true
	}
	if rf.countPreVotes() {
		return
	}
	campaign := rf.preVote.since
	args := &PreVoteArgs{NextTerm: rf.currentTerm + 1, CandidateId: rf.me, LastLogIndex: rf.log.lastIndex(), LastLogTerm: rf.log.lastTerm()}
	for _, p := range rf.peers {
		if p == rf.me || rf.preVote.granted[p] {
			continue
		}
		reply := &PreVoteReply{}
		rf.env.Call(p, "Raft.PreVote", args, reply, func(ok bool) {
			if !ok {
				return
			}
			if reply.Term > rf.currentTerm {
				rf.becomeFollower(reply.Term) // refused by a peer in a later term
				return
			}
			// The grant counts only in the campaign it was asked for: not
			// after the term moved, a leader turned up, or this peer won.
			if rf.preVote.since != campaign || rf.preVote.term != rf.currentTerm || rf.lastLeaderContact >= campaign || rf.role == leader || !reply.Granted {
				return
			}
			rf.preVote.granted[p] = true
			rf.countPreVotes()
		})
	}
	//lab:stub
	// TODO(4E): ask every peer for a pre-vote (thesis §9.6) and become a
	// candidate only on a majority of them; electionTimeout calls this
	// instead of becomeCandidate. Keep the grants of earlier rounds in
	// rf.preVote while the term stays and no leader is heard.
	//> rf.becomeCandidate(false)
	//lab:end
}

// countPreVotes starts the real election if a majority granted a pre-vote,
// and reports whether it did.
func (rf *Raft) countPreVotes() bool {
	//lab:solution 4E
	n := 0
	for _, g := range rf.preVote.granted {
		if g {
			n++
		}
	}
	if n < quorum(len(rf.peers)) {
		return false
	}
	rf.preVote = preVoteCampaign{}
	rf.becomeCandidate(false)
	return true
	//lab:stub
	//> return false
	//lab:end
}

// PreVote is the RPC handler for a pre-vote request. It grants one if this
// peer would grant the real vote in NextTerm, ignoring the vote it may
// already have cast in its own term, and if no leader is known to be alive.
func (rf *Raft) PreVote(args *PreVoteArgs, reply *PreVoteReply) {
	//lab:solution 4E
	reply.Term = rf.currentTerm
	reply.Granted = args.NextTerm > rf.currentTerm &&
		!rf.inLeaderLease() &&
		rf.candidateUpToDate(args.LastLogTerm, args.LastLogIndex)
	//lab:stub
	// TODO(4E): grant if NextTerm is newer than ours, we are not in a
	// leader's lease, and the asker's log is up to date. Change nothing.
	//lab:end
}
