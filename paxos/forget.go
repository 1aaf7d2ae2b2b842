package paxos

// Forgetting. An application calls Done(seq) when it will never again ask
// about instances up to seq. Once every peer has said so, no one will ever
// need those instances, and every peer may drop their state: Min is one more
// than the lowest Done value across all peers. Peers learn one another's
// Done values from a field that every request and reply carries, so
// forgetting needs no messages of its own.
//
// An acceptor refuses to take part in an instance below its Min, and a
// forgotten instance is never created again: if it were, a proposer would
// find no acceptor that remembers the value chosen, and could choose another.

// Done says that this peer's application no longer needs instances up to
// and including seq.
func (px *Synod) Done(seq int) {
	//lab:solution 5A
	px.heardDone(px.me, seq)
	//lab:stub
	// TODO(5A): record this peer's own Done value; forget what can be forgotten.
	//lab:end
}

// Max is the highest instance sequence number this peer has heard of, or -1.
func (px *Synod) Max() int {
	//lab:solution 5A
	return px.max
	//lab:stub
	// TODO(5A)
	//> return -1
	//lab:end
}

// Min is one more than the lowest Done value across all peers, as far as
// this peer has heard: every instance below it is Forgotten here, and its
// memory released. A peer that has not heard from another holds Min back.
func (px *Synod) Min() int {
	//lab:solution 5A
	lowest := px.dones[0]
	for _, d := range px.dones {
		lowest = min(lowest, d)
	}
	return lowest + 1
	//lab:stub
	// TODO(5A)
	//> return 0
	//lab:end
}

// heardDone records that peer p has called Done(done), and forgets the
// instances that every peer is now done with. Done values only grow: a
// delayed message carrying an older one changes nothing.
func (px *Synod) heardDone(p, done int) {
	//lab:solution 5A
	if done <= px.dones[p] {
		return
	}
	px.dones[p] = done
	px.max = max(px.max, done)
	lowest := px.Min()
	for seq := range px.instances {
		if seq < lowest {
			delete(px.instances, seq) // the values go with them, for the garbage collector
		}
	}
	px.persist()
	//lab:stub
	// TODO(5A): keep the highest Done value heard from p, then drop every
	// instance below Min.
	//lab:end
}
