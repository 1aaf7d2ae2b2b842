package paxos

// Log compaction (as Raft's §7). The service snapshots its state up to a
// slot it has applied and hands it to Snapshot; the peer then drops those
// slots. Every slot in a snapshot is chosen, so nothing an acceptor drops
// can be needed by a future leader: a candidate that is behind an acceptor's
// snapshot receives the snapshot with that acceptor's promise (leader.go),
// and a follower behind the leader's receives it by InstallSnapshot.

// InstallSnapshotArgs carries a leader's snapshot to a follower that needs
// slots the leader has compacted.
type InstallSnapshotArgs struct {
	Ballot        Ballot
	SnapshotIndex int
	Snapshot      []byte
}

// InstallSnapshotReply is the follower's answer.
type InstallSnapshotReply struct {
	Promised Ballot
	Commit   int
}

// Snapshot says that the service's snapshot covers every slot up to index.
func (mp *MultiPaxos) Snapshot(index int, snapshot []byte) {
	//lab:solution 5B
	if index <= mp.snapshotIndex || index > mp.lastApplied {
		return
	}
	mp.log = append([]slot(nil), mp.log[index-mp.snapshotIndex:]...)
	// A copy: the service may reuse its buffer, and this snapshot is
	// persisted again and sent to followers that fall behind.
	mp.snapshotIndex, mp.snapshot = index, append([]byte(nil), snapshot...)
	mp.persist()
	//lab:stub
	// TODO(5B): drop the slots up to index, keep a copy of the snapshot (the
	// service may reuse its buffer), persist both.
	//lab:end
}

// InstallSnapshot is a follower's handler for a leader's snapshot.
func (mp *MultiPaxos) InstallSnapshot(args *InstallSnapshotArgs, reply *InstallSnapshotReply) {
	//lab:solution 5B
	if !args.Ballot.Less(mp.promised) {
		mp.follow(args.Ballot)
		mp.installSnapshot(args.SnapshotIndex, args.Snapshot)
	}
	reply.Promised, reply.Commit = mp.promised, mp.commitIndex
	//lab:stub
	// TODO(5B): refuse a ballot below your promise; otherwise follow the leader
	// and install the snapshot.
	//lab:end
}

// installSnapshot replaces what this peer has up to index with a snapshot
// from another peer, and hands it to the service.
func (mp *MultiPaxos) installSnapshot(index int, snapshot []byte) {
	//lab:solution 5B
	if index <= mp.commitIndex {
		return // this peer knows those slots already
	}
	if index < mp.lastSlot() {
		mp.log = append([]slot(nil), mp.log[index-mp.snapshotIndex:]...)
	} else {
		mp.log = nil
	}
	mp.snapshotIndex, mp.snapshot = index, snapshot
	mp.commitIndex, mp.lastApplied = index, index
	mp.persist()
	mp.env.Logf("snapshot", "installed up to %d", index)
	mp.apply(ApplyMsg{SnapshotValid: true, Snapshot: append([]byte(nil), snapshot...), SnapshotIndex: index}) // the service's own copy
	mp.advanceCommit()
	//lab:stub
	// TODO(5B): drop the slots up to index, move commitIndex and lastApplied
	// to it, persist, and hand the snapshot to the service.
	//lab:end
}

// sendSnapshot sends follower p this leader's snapshot.
func (mp *MultiPaxos) sendSnapshot(p int) {
	//lab:solution 5B
	args := &InstallSnapshotArgs{Ballot: mp.ballot, SnapshotIndex: mp.snapshotIndex, Snapshot: mp.snapshot}
	mp.next[p] = max(mp.next[p], mp.snapshotIndex+1)
	mp.lastSent[p] = mp.env.Now()
	b := mp.ballot
	reply := &InstallSnapshotReply{}
	mp.env.Call(p, "MultiPaxos.InstallSnapshot", args, reply, func(ok bool) {
		switch {
		case mp.role != leader || mp.ballot != b:
		case !ok:
			mp.next[p] = min(mp.next[p], args.SnapshotIndex)
		case reply.Promised != b:
			mp.stepDown(reply.Promised)
		default:
			mp.learned[p] = reply.Commit // the latest word: a restarted follower knows less than before
		}
	})
	//lab:stub
	// TODO(5B)
	//lab:end
}
