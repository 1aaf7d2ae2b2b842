package paxos

import "fmt"

// A Ballot is a proposal number (Paxos Made Simple §2.2: "a proposer chooses
// a new proposal number n"). Paxos needs two things of them: they are totally
// ordered, and no two proposers ever use the same one, so that one ballot
// never carries two different values. A pair (round, proposer id), ordered
// by round and then by id, gives both: each proposer owns the ballots with
// its own id, and outbids any ballot it has seen by taking the next round.
//
// Raft's term plays the same part, but a term is a plain number because
// Raft lets at most one candidate win each term; a Paxos ballot carries its
// owner instead, so no election is needed to make it unique.
type Ballot struct {
	N    int // the round: counts up from 1; 0 only in the zero Ballot
	Peer int // the proposer that owns the ballot
}

// Less reports whether ballot a is ordered before ballot b. The zero Ballot
// (nothing promised, nothing accepted) is below every ballot in use.
func (a Ballot) Less(b Ballot) bool {
	//lab:solution 5A
	return a.N < b.N || a.N == b.N && a.Peer < b.Peer
	//lab:stub
	// TODO(5A): order ballots by round, then by proposer id (Paxos Made Simple §2.2).
	//> return false
	//lab:end
}

// IsZero reports whether b is the zero Ballot.
func (b Ballot) IsZero() bool { return b == Ballot{} }

// String shows a ballot as round.peer: "3.1" is peer 1's ballot of round 3.
func (b Ballot) String() string { return fmt.Sprintf("%d.%d", b.N, b.Peer) }

// nextBallot returns the ballot that peer me uses to outbid every ballot up
// to above: the next round, owned by me.
func nextBallot(above Ballot, me int) Ballot {
	//lab:solution 5A
	return Ballot{N: above.N + 1, Peer: me}
	//lab:stub
	// TODO(5A): a ballot above `above` that only peer me can own.
	//> return Ballot{}
	//lab:end
}

// maxBallot returns the higher of two ballots.
func maxBallot(a, b Ballot) Ballot {
	if a.Less(b) {
		return b
	}
	return a
}

// majority is the number of acceptors that make a quorum among n: any two
// majorities share an acceptor, which is all that Paxos's safety rests on
// (§2.2, "any two majorities have at least one acceptor in common").
func majority(n int) int {
	//lab:solution 5A
	return n/2 + 1
	//lab:stub
	// TODO(5A): the size of the smallest set of acceptors that any other such set must meet.
	//> return n
	//lab:end
}
