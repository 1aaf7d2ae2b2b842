package paxos

import (
	"time"

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/replog"
)

// Part 5B: Multi-Paxos, a replicated log (Paxos Made Simple §3).
//
// Each slot of the log is one Paxos instance, but the instances share their
// phase 1: a peer that wants to lead prepares one ballot for every slot from
// the first one it does not know to be chosen (leader.go). With promises from
// a majority, it is the leader for as long as no higher ballot appears, and
// each command then needs only phase 2, one round trip to a majority
// (replicate.go). A new leader must first finish what earlier leaders may
// have chosen: it proposes the highest-ballot value reported for each slot,
// and a no-op for each slot with none (noop.go). Snapshots let the log be
// cut (snapshot.go).
//
// The shape is Raft's, so that one service and one test suite (tests/replog)
// run on either: Make, Start, GetState, Snapshot, and the same ApplyMsg.

// Timing. A leader sends each follower something at least every
// heartbeatInterval (an empty Accept when there is nothing to send); a
// follower that hears no leader for an election timeout, drawn afresh from
// [electionTimeoutMin, electionTimeoutMax), runs phase 1 itself.
const (
	heartbeatInterval  = 50 * time.Millisecond
	electionTimeoutMin = 300 * time.Millisecond
	electionTimeoutMax = 600 * time.Millisecond
	// maxBatch caps the slots one Accept carries to a follower catching up.
	maxBatch = 64
)

// ApplyMsg is what a peer hands its service through apply, in slot order,
// with the same fields as Raft's.
//
// CommandValid: the command at CommandIndex (a slot) is chosen; apply it.
// A slot that a leader filled with a no-op carries a Noop command.
// SnapshotValid: replace the service's state with Snapshot, which covers
// every slot up to SnapshotIndex. A peer sends one when it installs a
// snapshot from another peer, and as the first message after a restart if it
// has a snapshot. SnapshotTerm is always 0: a chosen slot has no ballot that
// matters, since its value is final.
//
// It is the replicated-log contract's message (protolab/replog), Raft's
// ApplyMsg under the same name.
type ApplyMsg = replog.Msg

// Noop is the command a new leader proposes for a slot in which no earlier
// leader's proposal can have been chosen (noop.go). Services skip it.
type Noop struct {
	Slot int
}

func (n Noop) String() string { return "no-op" }

func init() { labgob.Register(Noop{}) }

type mpRole int

const (
	follower mpRole = iota
	candidate
	leader
)

func (r mpRole) String() string { return [...]string{"follower", "candidate", "leader"}[r] }

// A MultiPaxos is one peer of part 5B: acceptor, learner, and leader when
// it holds the highest ballot. Its RPC handlers are Prepare (phase 1, for all
// slots at once), Accept (phase 2, heartbeats, and the commit point) and
// InstallSnapshot.
type MultiPaxos struct {
	env       labrpc.Env
	persister *labrpc.Persister
	apply     func(ApplyMsg)
	me        int
	peers     []int

	//lab:solution 5B
	// The acceptor's state, on stable storage (persist.go): one promise
	// for every slot, and what it accepted in each slot after the snapshot.
	promised      Ballot
	savedPromised Ballot // the promise persist saved last (it checks that promises only grow)
	log           []slot // log[i] is slot snapshotIndex+1+i

	// The snapshot covers every slot up to snapshotIndex.
	snapshotIndex int
	snapshot      []byte

	// The learner: every slot up to commitIndex is chosen and known here;
	// lastApplied is the last one handed to the service.
	commitIndex int
	lastApplied int
	applying    bool // apply is running: a nested call must not apply too

	role           mpRole
	ballot         Ballot // the ballot this peer campaigns or leads with
	cancelElection func()

	// A candidate's phase 1 (leader.go).
	promises int
	adopted  map[int]Entry // slot -> the highest-ballot proposal reported

	// A leader's view of each follower (replicate.go).
	next     []int           // next[p]: the next slot to send p
	learned  []int           // learned[p]: p's commitIndex as it last said (-1: unknown)
	lastSent []time.Duration // when this leader last sent p anything
	//lab:end

	reads readState // a leader's reads without a log entry (readindex.go, part 6B)
}

// slot is this peer's state for one slot of the log.
type slot struct {
	//lab:solution 5B
	accepted Ballot // the ballot in which the acceptor accepted command (zero: nothing)
	command  any
	chosen   bool   // the learner knows command is chosen
	acks     uint64 // a leader: the peers that accepted command in its ballot, one bit each
	//lab:stub
	// TODO(5B): what the acceptor accepted in this slot, whether the learner
	// knows it is chosen, and (for a leader) who accepted it.
	//lab:end
}

// Entry is a slot's command as messages and stable storage carry it.
type Entry struct {
	Slot    int
	Ballot  Ballot // the ballot in which it was accepted
	Command any
}

// Make creates a peer from its stable storage and starts it as a follower.
// apply is called from this peer's own event handlers with each chosen
// command, in slot order, exactly once per incarnation; apply may call
// Snapshot. Slots are numbered from 1, like Raft's log indexes.
func Make(env labrpc.Env, persister *labrpc.Persister, apply func(ApplyMsg)) *MultiPaxos {
	mp := &MultiPaxos{env: env, persister: persister, apply: apply, me: env.Me(), peers: env.Peers()}
	//lab:solution 5B
	mp.readPersist(persister.ReadState())
	mp.snapshot = persister.ReadSnapshot()
	mp.commitIndex, mp.lastApplied = mp.snapshotIndex, mp.snapshotIndex
	if mp.snapshotIndex > 0 {
		mp.apply(ApplyMsg{SnapshotValid: true, Snapshot: append([]byte(nil), mp.snapshot...), SnapshotIndex: mp.snapshotIndex})
	}
	mp.becomeFollower()
	//lab:stub
	// TODO(5B): restore the acceptor's state and the snapshot (hand the
	// snapshot to the service first), then wait for a leader as a follower.
	//lab:end
	return mp
}

// Start proposes command for the next free slot, if this peer is the leader.
// It returns at once with the slot, the ballot (as one number, in Raft's
// term's place; see GetState) and whether this peer believes it leads; the
// command is chosen only if this peer's ballot is still the highest.
func (mp *MultiPaxos) Start(command any) (index int, ballot int, isLeader bool) {
	//lab:solution 5B
	if mp.role != leader {
		return -1, mp.ballotNumber(mp.promised), false
	}
	if b, ok := command.([]byte); ok {
		command = append([]byte(nil), b...) // the caller may reuse its buffer
	}
	index = mp.lastSlot() + 1
	sl := mp.slotAt(index)
	sl.accepted, sl.command, sl.acks = mp.ballot, command, 1<<mp.me
	mp.persist()
	mp.env.Logf("start", "slot %d: %s", index, short(command))
	for _, p := range mp.peers {
		// A follower that is not catching up gets the new slot at once: one
		// round trip per command. One that is gets it with the rest.
		if p != mp.me && mp.next[p] == index {
			mp.replicateTo(p)
		}
	}
	if len(mp.peers) == 1 {
		// With one peer, this peer's acceptance is a majority: the slot is
		// chosen now. But apply must not run inside Start: the service
		// learns the slot from Start's answer and waits for it, so the
		// command is chosen and applied in an event of its own, as soon as
		// this one is over (replog's contract).
		b := mp.ballot
		mp.env.After(0, func() {
			if mp.role == leader && mp.ballot == b {
				mp.countAcks(index)
			}
		})
	}
	return index, mp.ballotNumber(mp.ballot), true
	//lab:stub
	// TODO(5B): as the leader, put command in the next slot, accept it yourself,
	// and send it to the followers (replicate.go).
	//
	// In a group of one, your own acceptance is a majority, but do not choose
	// and apply the slot inside Start: the service learns the slot from
	// Start's answer and then waits for it. Choose it in an event of its own
	// (env.After(0, ...)) once Start has returned.
	//> return -1, 0, false
	//lab:end
}

// GetState reports this peer's ballot and whether it believes it leads. The
// ballot is given as one number, round × peers + owner, which orders ballots
// as Less does and is unique to its owner: at most one peer leads with any
// number, as at most one Raft peer leads in any term.
func (mp *MultiPaxos) GetState() (ballot int, isLeader bool) {
	//lab:solution 5B
	if mp.role == leader {
		return mp.ballotNumber(mp.ballot), true
	}
	return mp.ballotNumber(mp.promised), false
	//lab:stub
	// TODO(5B)
	//> return 0, false
	//lab:end
}

// ballotNumber renders a ballot as one number (see GetState).
func (mp *MultiPaxos) ballotNumber(b Ballot) int { return b.N*len(mp.peers) + b.Peer }

// The log, with an offset: slots up to snapshotIndex are gone.

//lab:solution 5B

// lastSlot is the highest slot in the log (snapshotIndex if it is empty).
func (mp *MultiPaxos) lastSlot() int { return mp.snapshotIndex + len(mp.log) }

// slotAt returns slot s, growing the log with empty slots (holes) up to it.
// s must be above snapshotIndex.
func (mp *MultiPaxos) slotAt(s int) *slot {
	for mp.lastSlot() < s {
		mp.log = append(mp.log, slot{})
	}
	return &mp.log[s-mp.snapshotIndex-1]
}

//lab:end

// applyChosen hands the service every chosen slot up to commitIndex that it
// has not had, in order.
func (mp *MultiPaxos) applyChosen() {
	//lab:solution 5B
	if mp.applying {
		return // apply called back into this peer; the loop below goes on
	}
	mp.applying = true
	defer func() { mp.applying = false }()
	for mp.lastApplied < mp.commitIndex {
		s := mp.lastApplied + 1
		cmd := mp.slotAt(s).command
		mp.lastApplied = s
		mp.apply(ApplyMsg{CommandValid: true, Command: cmd, CommandIndex: s})
	}
	//lab:stub
	// TODO(5B): apply the slots after lastApplied, up to commitIndex.
	//lab:end
}

// advanceCommit moves commitIndex over the chosen slots that follow it,
// then applies them.
func (mp *MultiPaxos) advanceCommit() {
	//lab:solution 5B
	for mp.commitIndex < mp.lastSlot() && mp.slotAt(mp.commitIndex+1).chosen {
		mp.commitIndex++
	}
	mp.applyChosen()
	//lab:stub
	// TODO(5B)
	//lab:end
}
