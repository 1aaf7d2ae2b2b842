package raft_test

// An external test package, so that the test can play Raft peers with a type
// of its own named Raft: a peer calls "Raft.RequestVote" on whatever object
// the other node runs.

import (
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/raft"
	"protolab/tests"
)

// Raft here is not a Raft but a voter the test plays: it grants its vote in
// the first term it is asked for and in no other, grants every pre-vote, and
// refuses every AppendEntries. Its replies carry the asker's own term, so
// that they never make the asker step down.
type Raft struct {
	votedIn int // the one term it granted a vote in; 0 until asked
}

func (v *Raft) RequestVote(args *raft.RequestVoteArgs, reply *raft.RequestVoteReply) {
	if v.votedIn == 0 {
		v.votedIn = args.Term
	}
	reply.Term, reply.VoteGranted = args.Term, args.Term == v.votedIn
}

func (v *Raft) PreVote(args *raft.PreVoteArgs, reply *raft.PreVoteReply) {
	reply.Term, reply.Granted = 0, true
}

func (v *Raft) AppendEntries(args *raft.AppendEntriesArgs, reply *raft.AppendEntriesReply) {
	reply.Term = args.Term
}

// candidate holds the real Raft of n0.
type candidate struct{ rf *raft.Raft }

// A vote counts only in the election it was asked for (§5.2: "a candidate
// wins an election if it receives votes from a majority of the servers in
// the full cluster for the same term"). n0 runs alone; the test plays n1 and
// n2, which grant their votes in the first term n0 asks for, T, and in no
// later one. Their grants take two seconds to reach n0: by then n0 has timed
// out and is a candidate in a later term. If it counts the late grants of T
// there, it leads a term in which nobody voted for it (the votes of an
// election that is over, counted in the next one: a classic bug when the
// votes are kept in a field of the peer rather than in the election).
func TestStaleVoteReplies4A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 3})
		voters := []*Raft{nil, {}, {}}
		for _, i := range []int{1, 2} {
			w.Start(i, func(env labrpc.Env) any { return voters[i] })
		}
		// n0 is a real Raft, which no one calls here; it is registered
		// under another name, since the world allows one type named Raft.
		var n0 *raft.Raft
		w.Start(0, func(env labrpc.Env) any {
			n0 = raft.Make(env, env.Persister(), func(raft.ApplyMsg) {})
			return &candidate{n0}
		})
		const late = 2 * time.Second
		for _, i := range []int{1, 2} {
			w.SetLinkDelay(i, 0, late, late)
		}

		asked := func() bool { return voters[1].votedIn > 0 && voters[2].votedIn > 0 }
		if !w.WaitUntil(asked, time.Millisecond, 5*time.Second) {
			t.Fatalf("n0 did not ask n1 and n2 for their votes within 5s of booting: start an election when the election timer fires (Figure 2, Followers)")
		}
		term := voters[1].votedIn
		w.Note("n1 and n2 granted n0 their votes in term %d; the grants reach n0 after %v, and n0 gets no other vote", term, late)
		for _, i := range []int{1, 2} {
			w.SetLinkDelay(i, 0, time.Millisecond, 5*time.Millisecond) // later replies are quick
		}
		leads := func() bool { _, isLeader := n0.GetState(); return isLeader }
		if w.WaitUntil(leads, time.Millisecond, late+time.Second) {
			now, _ := n0.GetState()
			t.Fatalf("n0 leads term %d, but n1 and n2 granted it their votes only in term %d, and those grants arrived %v later, after n0 had moved on: a vote reply counts only if the candidate is still in the term it asked in (ignore a reply whose election is over)", now, term, late)
		}
		if now, _ := n0.GetState(); now <= term {
			t.Fatalf("n0 is still in term %d, %v after it asked for votes in term %d: a candidate that does not win starts a new election when its timer fires (Figure 2, Candidates)", now, late+time.Second, term)
		}
	})
}
