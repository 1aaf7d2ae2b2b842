package paxos

import (
	//lab:solution 5A
	"bytes"
	"slices"

	"protolab/labgob"
	//lab:end
)

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
