package paxos

//lab:solution 5A
import (
	"bytes"
	"slices"

	"protolab/labgob"
)

//lab:end

//lab:solution 5B
import "protolab/labrpc"

//lab:end

// Stable storage. An acceptor's promise and its accepted proposal must
// survive a crash (Paxos Made Simple §2.2: "an acceptor must remember this
// information even if it fails and then restarts"): an acceptor that forgot
// a promise could accept a lower ballot's value after a higher ballot's
// proposer had counted on it, and two values could be chosen. So state is
// saved before any reply that depends on it leaves the peer.
//
// A Synod saves, for each instance it has not forgotten, the acceptor's state
// and the decision if known; and every peer's Done value, so that Min (and
// with it what is forgotten) never moves back after a restart.

//lab:solution 5A

// synodState is what a Synod saves.
type synodState struct {
	Dones     []int
	Max       int
	Instances []savedInstance // by sequence number
}

type savedInstance struct {
	Seq                int
	Promised, Accepted Ballot
	Value              any
	Decided            bool
	Decision           any
}

//lab:end

// persist writes this peer's state to stable storage.
func (px *Synod) persist() {
	//lab:solution 5A
	st := synodState{Dones: px.dones, Max: px.max}
	for seq, in := range px.instances {
		st.Instances = append(st.Instances, savedInstance{Seq: seq, Promised: in.promised, Accepted: in.accepted,
			Value: in.value, Decided: in.decided, Decision: in.decision})
	}
	slices.SortFunc(st.Instances, func(a, b savedInstance) int { return a.Seq - b.Seq })
	var buf bytes.Buffer
	if err := labgob.NewEncoder(&buf).Encode(st); err != nil {
		panic(err)
	}
	px.persister.Save(buf.Bytes(), nil)
	//lab:stub
	// TODO(5A): encode the acceptor state of every instance (and whatever else
	// must survive a crash) with labgob, and Save it.
	//lab:end
}

// readPersist restores the state saved by persist (nothing on first boot).
func (px *Synod) readPersist(data []byte) {
	//lab:solution 5A
	if len(data) == 0 {
		return
	}
	var st synodState
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		panic(err)
	}
	px.dones, px.max = st.Dones, st.Max
	for _, s := range st.Instances {
		px.instances[s.Seq] = &instance{promised: s.Promised, accepted: s.Accepted, value: s.Value,
			decided: s.Decided, decision: s.Decision}
	}
	//lab:stub
	// TODO(5A): decode what persist saved.
	//lab:end
}

// A MultiPaxos peer saves its acceptor state: the promise, which covers
// every slot, and the proposals it accepted in the slots after its snapshot,
// which it saves with the state in one write (Raft §7 does the same, so
// that a crash never leaves a snapshot that disagrees with the log).
// What the learner knows is not saved, just as Raft does not save
// commitIndex: a restarted peer learns it again from the leader.

//lab:solution 5B

// multiPaxosState is what a MultiPaxos peer saves.
type multiPaxosState struct {
	Promised      Ballot
	SnapshotIndex int
	Accepted      []Entry // the slots with an accepted proposal, in order
}

//lab:end

// persist writes the acceptor's state, with the snapshot, to stable storage.
func (mp *MultiPaxos) persist() {
	//lab:solution 5B
	// A promise is never taken back (Paxos Made Simple §2.2): the promised
	// ballot only grows, and every change of it is saved, so passes here.
	if mp.promised.Less(mp.savedPromised) {
		labrpc.Violated("the promised ballot never decreases (Paxos Made Simple §2.2)",
			"n%d would promise %v, after it promised %v", mp.me, mp.promised, mp.savedPromised)
	}
	mp.savedPromised = mp.promised
	st := multiPaxosState{Promised: mp.promised, SnapshotIndex: mp.snapshotIndex}
	for i, sl := range mp.log {
		if !sl.accepted.IsZero() {
			st.Accepted = append(st.Accepted, Entry{Slot: mp.snapshotIndex + 1 + i, Ballot: sl.accepted, Command: sl.command})
		}
	}
	var buf bytes.Buffer
	if err := labgob.NewEncoder(&buf).Encode(st); err != nil {
		panic(err)
	}
	mp.persister.Save(buf.Bytes(), mp.snapshot)
	//lab:stub
	// TODO(5B): encode the promise, the snapshot index and the accepted slots
	// with labgob; Save them with the snapshot.
	//lab:end
}

// readPersist restores what persist saved (nothing on first boot).
func (mp *MultiPaxos) readPersist(data []byte) {
	//lab:solution 5B
	if len(data) == 0 {
		return
	}
	var st multiPaxosState
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		panic(err)
	}
	mp.promised, mp.snapshotIndex = st.Promised, st.SnapshotIndex
	mp.savedPromised = st.Promised
	for _, e := range st.Accepted {
		sl := mp.slotAt(e.Slot)
		sl.accepted, sl.command = e.Ballot, e.Command
	}
	//lab:stub
	// TODO(5B)
	//lab:end
}
