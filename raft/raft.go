// Package raft is lab 4: the Raft consensus algorithm, written as event
// handlers hosted by a labrpc.Env.
//
// The reference is Ongaro and Ousterhout, "In Search of an Understandable
// Consensus Algorithm" (extended version), whose Figure 2 this package mirrors
// name for name, and Ongaro's thesis, "Consensus: Bridging Theory and
// Practice", for the extensions of part 4E. Section numbers in comments (§5.2)
// are the paper's; "thesis §6.4" is the thesis.
//
// A service (a key/value server, a test) uses a Raft peer like this:
//
//	rf := raft.Make(env, env.Persister(), func(m raft.ApplyMsg) { ... })
//	index, term, isLeader := rf.Start(command)
//	// ... later, apply is called with CommandValid and CommandIndex == index
//	// on every peer, if the command was committed.
//
// The files follow the paper: raft.go (state and the role transitions),
// election.go (§5.2), replication.go (§5.3), commit.go (§5.4.2 and applying),
// persist.go (Figure 2's persistent state), snapshot.go (§7), log.go (the log
// with an offset), one file per extension: prevote.go (thesis §9.6),
// checkquorum.go (thesis §6.2), readindex.go (thesis §6.4), transfer.go
// (thesis §3.10), and pipeline.go (batching and pipelining, thesis §10.2.1,
// part 4F). docs/lab4-raft.md is the handout.
//
// Node code runs one event at a time (an RPC handler, a timer, an RPC
// completion), so there are no locks and no goroutines here: a timer is
// env.After, an RPC is env.Call with a callback, and randomness is env.Rand(),
// this peer's own *rand.Rand of math/rand/v2 (Int64N, IntN; not math/rand's
// Int63n).
package raft

import (
	"time"

	"protolab/labrpc"
	"protolab/replog"
)

// Timing. Heartbeats go out at most ten times a second; the election timeout
// is drawn afresh from [electionTimeoutMin, electionTimeoutMax) each time the
// timer is reset, so that split votes are rare and short (§5.2). The minimum
// is three heartbeats, so a follower does not start an election because one
// or two heartbeats were lost. The tests assume these values.
//
// batchWindow is the least time between two pipelined batches of entries to
// one follower (pipeline.go, part 4F).
const (
	heartbeatInterval  = 100 * time.Millisecond
	electionTimeoutMin = 300 * time.Millisecond
	electionTimeoutMax = 600 * time.Millisecond
	batchWindow        = 10 * time.Millisecond
)

// ApplyMsg is what a peer hands its service through apply, in log order.
//
// CommandValid: the command at CommandIndex is committed; apply it.
// SnapshotValid: replace the service's state with Snapshot, which covers
// every entry up to SnapshotIndex (whose term is SnapshotTerm). A peer sends
// one when a leader installs a snapshot on it (§7), and as the first message
// after a restart if it has a snapshot, so the service has a single path to
// restore its state.
//
// It is the replicated-log contract's message (protolab/replog), under the
// name MIT's lab gives it: Multi-Paxos hands its service the same one.
type ApplyMsg = replog.Msg

type role int

const (
	follower role = iota
	candidate
	leader
)

func (r role) String() string { return [...]string{"follower", "candidate", "leader"}[r] }

// logState records the peer's term and role at every transition, on the
// trace topic the space-time viewer colours each peer's lane by.
func (rf *Raft) logState() {
	rf.env.Logf("state", "term=%d role=%s", rf.currentTerm, rf.role)
}

// A Raft is one peer. Field names are Figure 2's.
type Raft struct {
	env       labrpc.Env
	persister *labrpc.Persister
	apply     func(ApplyMsg)
	me        int
	peers     []int

	// Persistent state on all servers (Figure 2), saved by persist before
	// this peer answers an RPC or sends one that depends on it.
	currentTerm int
	votedFor    int // -1 for none
	log         raftLog

	// The term and vote persist saved last, for the invariants it checks
	// (checkPersistentState).
	savedTerm, savedVote int
	//lab:solution 4C
	image persistedImage // what persist has written, so it writes only what changed
	//lab:end

	// Volatile state on all servers.
	commitIndex int
	lastApplied int
	role        role
	snapshot    []byte // the latest snapshot, saved with the state (§7)

	// Volatile state on leaders, reinitialised by becomeLeader: what the
	// leader knows of each peer, Figure 2's nextIndex and matchIndex among
	// it (progress.go).
	progress []progress

	// Timers: cancel functions of the pending ones (nil if none).
	cancelElection  func()
	cancelHeartbeat func()
	replicateQueued bool // 4F: a replicate is scheduled to batch new entries

	// Part 4E.
	lastLeaderContact time.Duration   // when a current leader last reached us
	preVote           preVoteCampaign // the pre-votes granted so far
	reads             []pendingRead   // leader: ReadIndex requests awaiting a quorum
	readRoundAt       time.Duration   // leader: when the latest round of heartbeats for reads went
	transferTarget    int             // leader: peer we hand over to, or -1
	transferID        int             // which transfer a time-out belongs to
	timeoutNowSent    bool
}

// Make creates a peer from its stable storage and starts it as a follower.
// apply is called synchronously from this peer's own event handlers with each
// committed command, in index order, exactly once per incarnation; apply may
// call Snapshot. The peer is ready when Make returns; it keeps running until
// its node crashes.
func Make(env labrpc.Env, persister *labrpc.Persister, apply func(ApplyMsg)) *Raft {
	rf := &Raft{
		env:       env,
		persister: persister,
		apply:     apply,
		me:        env.Me(),
		peers:     env.Peers(),
		votedFor:  -1,
		log:       newLog(),

		lastLeaderContact: -time.Hour, // long ago: no leader lease at boot
		transferTarget:    -1,
	}
	rf.readPersist(persister.ReadState())
	rf.savedTerm, rf.savedVote = rf.currentTerm, rf.votedFor
	rf.restoreSnapshot()
	rf.logState() // the viewer's lane shows the state this peer starts in, after a restart too
	//lab:solution 4A
	rf.resetElectionTimer()
	//lab:stub
	// TODO(4A): start the election timer, so that a follower that hears
	// from no leader starts an election (§5.2).
	//lab:end
	return rf
}

// GetState reports this peer's term and whether it believes it is the leader.
func (rf *Raft) GetState() (term int, isLeader bool) {
	//lab:solution 4A
	return rf.currentTerm, rf.role == leader
	//lab:stub
	// TODO(4A): report this peer's term and whether it believes it is the leader.
	//> return 0, false
	//lab:end
}

// Start proposes a command. If this peer is the leader it appends the
// command to its log and returns at once, with the index the command will
// have if it is ever committed, the current term, and true; it does not wait
// for the command to commit. Otherwise it returns false. The command must be
// a type labgob can encode (register it with labgob.Register if it travels
// inside the interface and is not a basic type).
func (rf *Raft) Start(command any) (index int, term int, isLeader bool) {
	//lab:solution 4B
	// A leader handing over to another peer takes no new commands, so that
	// the target can catch up (thesis §3.10).
	if rf.role != leader || rf.transferring() {
		return -1, rf.currentTerm, false
	}
	if b, ok := command.([]byte); ok {
		// The log keeps the command until it is sent, applied and
		// compacted: a copy, since the caller may reuse its buffer.
		command = append([]byte(nil), b...)
	}
	rf.log.append(Entry{Term: rf.currentTerm, Command: command})
	rf.persist()
	rf.progress[rf.me].matchIndex = rf.log.lastIndex()
	rf.replicateSoon()
	return rf.log.lastIndex(), rf.currentTerm, true
	//lab:stub
	// TODO(4B): if this peer leads, append the command to its log (Figure 2,
	// "Leaders: if command received from client: append entry to local log"),
	// persist, count it in your own matchIndex (rf.progress[rf.me]), and
	// call replicateSoon (a group of one commits there, in an event of its
	// own; the next heartbeat sends the entry to the followers, and from 4F
	// replicateSoon does); return its index, the term, and whether this
	// peer leads. Do not commit inside Start: the service's apply may call
	// back into Raft. (transferring, 4E, is false until then: a leader
	// handing over takes no commands.)
	//> return -1, rf.currentTerm, false
	//lab:end
}

// quorum is the number of peers that make a majority of n: any two quorums
// share a peer, which is what makes elections (§5.2) and commitment (§5.4)
// safe.
func quorum(n int) int { return n/2 + 1 }

// Role transitions. Each happens in one function, so that no handler
// half-does one: the timers, the leader's bookkeeping and the persisted
// term and vote change together.

// becomeFollower adopts term (if it is newer, forgetting the vote of the old
// term) and becomes a follower. Figure 2, "All servers: If RPC request or
// response contains term T > currentTerm: set currentTerm = T, convert to
// follower (§5.1)". A leader that steps down stops its heartbeats and starts
// an election timer again; a follower or candidate keeps the timer it has, so
// that messages from a stale term do not postpone elections.
func (rf *Raft) becomeFollower(term int) {
	//lab:solution 4A
	changed := rf.role != follower || term > rf.currentTerm
	if term > rf.currentTerm {
		rf.currentTerm = term
		rf.votedFor = -1
		rf.persist()
	}
	if rf.role == leader {
		rf.env.Logf("role", "t%d leader steps down", rf.currentTerm)
		if rf.cancelHeartbeat != nil {
			rf.cancelHeartbeat()
			rf.cancelHeartbeat = nil
		}
		rf.abandonLeaderWork()
	}
	rf.role = follower
	if changed {
		rf.logState()
	}
	if rf.cancelElection == nil {
		rf.resetElectionTimer()
	}
	//lab:stub
	// TODO(4A): adopt a newer term (forgetting votedFor), become a follower,
	// and make sure an election timer runs (a leader has none).
	//lab:end
}

// becomeCandidate starts an election (Figure 2, "Candidates: On conversion
// to candidate, start election: increment currentTerm, vote for self, reset
// election timer, send RequestVote RPCs to all other servers").
// leadershipTransfer is true only when the old leader asked this peer to take
// over (thesis §3.10, part 4E); it lets the votes through the leader lease.
func (rf *Raft) becomeCandidate(leadershipTransfer bool) {
	//lab:solution 4A
	rf.role = candidate
	rf.currentTerm++
	rf.votedFor = rf.me
	rf.persist()
	rf.resetElectionTimer()
	rf.logState()
	rf.env.Logf("elect", "candidate t%d, log %d/t%d", rf.currentTerm, rf.log.lastIndex(), rf.log.lastTerm())
	rf.requestVotes(leadershipTransfer)
	//lab:stub
	// TODO(4A): increment the term, vote for yourself, reset the election
	// timer and ask every other peer for its vote.
	//lab:end
}

// becomeLeader takes office after winning an election: it initialises the
// leader's state (Figure 2, "Volatile state on leaders ... reinitialized after
// election"), sends the first round of heartbeats at once, "to establish its
// authority" (§5.2), and keeps sending them.
func (rf *Raft) becomeLeader() {
	//lab:solution 4A
	rf.role = leader
	if rf.cancelElection != nil {
		rf.cancelElection()
		rf.cancelElection = nil
	}
	rf.progress = make([]progress, len(rf.peers))
	for p := range rf.progress {
		rf.progress[p] = progress{
			nextIndex: rf.log.lastIndex() + 1,
			heardAt:   rf.env.Now(), // CheckQuorum (4E) gives a new leader a full period
		}
	}
	rf.progress[rf.me].matchIndex = rf.log.lastIndex()
	rf.logState()
	rf.env.Logf("elect", "leader t%d, log %d/t%d", rf.currentTerm, rf.log.lastIndex(), rf.log.lastTerm())
	rf.heartbeat()
	//lab:stub
	// TODO(4A): become leader: stop the election timer, make rf.progress
	// anew, one progress per peer, with Figure 2's nextIndex and matchIndex
	// (your own matchIndex is your last index), and start sending
	// heartbeats at once. Set heardAt = now too (4E: a new leader is given
	// a full CheckQuorum period); the other fields of later parts start at
	// their zero values.
	//lab:end
}

// abandonLeaderWork is what a leader that steps down leaves undone: the reads
// it could not confirm fail, and a leadership transfer ends (part 4E).
func (rf *Raft) abandonLeaderWork() {
	//lab:solution 4E
	reads := rf.reads
	rf.reads = nil
	for _, r := range reads {
		r.done(0, false)
	}
	rf.transferTarget = -1
	//lab:stub
	// TODO(4E): fail every pending ReadIndex and forget any transfer;
	// becomeFollower calls this when a leader steps down.
	//lab:end
}
