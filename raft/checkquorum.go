package raft

import "time"

// CheckQuorum and the leader lease (thesis §6.2 and §4.2.3).
//
// A leader cut off from a majority cannot commit anything, but without help it
// keeps believing it leads, and clients keep sending it requests. With
// CheckQuorum a leader steps down when a majority has not answered it for an
// election timeout: by then the others may have elected a new leader.
//
// The other half is the lease a follower grants the leader it hears from:
// for the minimum election timeout after hearing from a current leader, a
// follower refuses pre-votes and ignores vote requests for newer terms
// (RequestVote), so that a peer that comes back from a partition cannot
// disrupt a leader that is doing fine.

// peerAcknowledged records that p answered, in this leader's term, a message
// sent at time sent: p still recognised this leader when it answered.
// CheckQuorum counts when the answers arrive (heardAt): a late answer still
// shows that p is alive and follows. ReadIndex counts when the answered
// messages were sent (ackedAt): only an answer to a message sent after a read
// began can confirm that read.
func (rf *Raft) peerAcknowledged(p int, sent time.Duration) {
	//lab:solution 4E
	rf.progress[p].heardAt = rf.env.Now()
	if sent > rf.progress[p].ackedAt {
		rf.progress[p].ackedAt = sent
		rf.confirmReads()
	}
	//lab:stub
	// TODO(4E): remember when p last answered (heardAt) and the latest send
	// time it has answered (ackedAt); see whether pending reads are now
	// confirmed.
	//lab:end
}

// checkQuorumWindow is how recently a majority must have answered a leader.
// Checked at every heartbeat, it makes a leader cut off from the majority step
// down at most checkQuorumWindow + heartbeatInterval = electionTimeoutMax after
// the last answer it got: within an election timeout. A shorter window would
// depose healthy leaders on a network that delays many messages.
const checkQuorumWindow = electionTimeoutMax - heartbeatInterval

// checkQuorum runs at every heartbeat: a leader that has not heard from a
// majority (itself included) within checkQuorumWindow steps down (thesis
// §6.2).
func (rf *Raft) checkQuorum() {
	//lab:solution 4E
	recent := 1
	for _, p := range rf.peers {
		if p != rf.me && rf.env.Now()-rf.progress[p].heardAt < checkQuorumWindow {
			recent++
		}
	}
	if recent < quorum(len(rf.peers)) {
		rf.env.Logf("role", "t%d CheckQuorum: %d of %d answered lately", rf.currentTerm, recent, len(rf.peers))
		rf.becomeFollower(rf.currentTerm)
	}
	//lab:stub
	// TODO(4E): step down if fewer than a majority answered within
	// checkQuorumWindow (thesis §6.2). Call it from heartbeat, before
	// sending.
	//lab:end
}

// inLeaderLease reports whether this peer believes a current leader is alive:
// it is the leader, or it heard from one within electionTimeoutMin. Such a
// peer refuses pre-votes and ignores vote requests for newer terms.
func (rf *Raft) inLeaderLease() bool {
	//lab:solution 4E
	return rf.role == leader || rf.env.Now()-rf.lastLeaderContact < electionTimeoutMin
	//lab:stub
	// TODO(4E): are we the leader, or did a leader reach us within
	// electionTimeoutMin? PreVote consults it, and so must RequestVote,
	// before adopting a newer term (unless LeadershipTransfer is set).
	//> return false
	//lab:end
}
