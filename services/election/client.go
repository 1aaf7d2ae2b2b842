package election

import (
	"time"

	"protolab/labrpc"
	"protolab/services/lock"
)

// An Election is one election as a client node sees it: the handle through
// which the node's application campaigns, resigns and watches. It runs on
// the node's lock client (6C), whose session its candidacy lives in, and is
// written in event style: every answer comes back as a callback from a
// later event, so the node can be paused or crashed like any other.
type Election struct {
	lc   *lock.Client
	env  labrpc.Env
	name string

	// gen counts Campaign and Resign calls: an answer to a request sent for
	// an earlier one is stale, and ignored.
	gen     uint64
	cand    Leader // this client's candidacy (Rev 0: none)
	leading bool   // the candidacy was seen at the head of the queue

	known     Leader   // the newest term this client has learned of (Rev 0: none)
	history   []Leader // every term learned of, in order
	observers []func(Leader)
	observing bool
}

// Client timing, on the client's clock.
const (
	// PollEvery: how often a campaigner asks whether it leads yet.
	PollEvery = 25 * time.Millisecond
	// ObserveEvery: how often an observer asks for new terms.
	ObserveEvery = 25 * time.Millisecond
)

// New returns the handle of election name on a client node, over its lock
// client lc.
func New(lc *lock.Client, name string) *Election {
	return &Election{lc: lc, env: lc.Env(), name: name}
}

// Name is the election's name.
func (e *Election) Name() string { return e.name }

// Leads reports whether this client believes it leads, and its term: its
// candidacy was seen at the head of the queue, it has not resigned, and
// its session's local lease has not ended. When the lease ends the client
// stops believing, whatever the servers may still think: the servers drop
// its candidacy only once the session expires on their side, which is
// later (lock.ClientLease).
func (e *Election) Leads() (Leader, bool) {
	//lab:solution 6D
	if !e.leading || e.lc.Session() != e.cand.Session || e.env.Now() >= e.lc.LeaseEnd() {
		return Leader{}, false
	}
	return e.cand, true
	//lab:stub
	// TODO(6D): a client leads while its candidacy was seen at the head,
	// in its current session, and its local lease lasts.
	//> return Leader{}, false
	//lab:end
}

// Leader is the newest term this client has learned of (from its own
// campaign's queries or from observing), and false if it knows of none. It
// may be out of date: a query through the log is Query's job.
func (e *Election) Leader() (Leader, bool) { return e.known, e.known.Rev != 0 }

// QueryLeader asks the servers who leads now (through the log, so the
// answer is linearizable); done gets the leader, or ErrNoLeader.
func (e *Election) QueryLeader(done func(Leader, Err)) {
	e.lc.DoExt(Query{Election: e.name, After: e.known.Rev}, func(res any) {
		r := res.(Reply)
		e.learn(r.Terms)
		done(r.Leader, r.Err)
	})
}

// Campaign puts this client up for election with value and calls done once
// it leads, with its term. If its session expires while it waits, it
// campaigns again in the next one (at the back of the queue). A client
// that leads already gets its term at once.
func (e *Election) Campaign(value string, done func(Leader)) {
	//lab:solution 6D
	if term, leads := e.Leads(); leads {
		e.env.After(0, func() { done(term) })
		return
	}
	e.gen++
	e.leading = false
	e.campaign(e.gen, value, done)
	//lab:stub
	// TODO(6D): join the queue in this client's session, then ask until
	// the candidacy is at its head.
	//lab:end
}

//lab:solution 6D

func (e *Election) campaign(g uint64, value string, done func(Leader)) {
	if g != e.gen {
		return
	}
	sid := e.lc.Session()
	if sid == 0 {
		e.env.After(PollEvery, func() { e.campaign(g, value, done) })
		return
	}
	e.lc.DoExt(Campaign{Election: e.name, Session: sid, Value: value}, func(res any) {
		if g != e.gen {
			return
		}
		r := res.(Reply)
		if r.Err != OK {
			e.env.After(PollEvery, func() { e.campaign(g, value, done) })
			return
		}
		e.cand = Leader{Election: e.name, Value: value, Rev: r.Rev, Session: sid}
		e.env.Logf("election", "%s: candidate rev %d in session %d", e.name, r.Rev, sid)
		e.wait(g, value, done)
	})
}

// wait asks until the candidacy leads; if it is gone (the session
// expired), it campaigns again.
func (e *Election) wait(g uint64, value string, done func(Leader)) {
	if g != e.gen {
		return
	}
	c := e.cand
	if e.lc.Session() != c.Session {
		e.campaign(g, value, done)
		return
	}
	e.lc.DoExt(Query{Election: e.name, Session: c.Session, Rev: c.Rev, After: e.known.Rev}, func(res any) {
		if g != e.gen {
			return
		}
		r := res.(Reply)
		e.learn(r.Terms)
		switch {
		case r.Err == OK && r.Leader.Rev == c.Rev && r.Leader.Session == c.Session && e.lc.Session() == c.Session:
			e.leading = true
			e.env.Logf("election", "%s: leads with rev %d", e.name, c.Rev)
			done(c)
		case !r.Queued:
			e.env.After(PollEvery, func() { e.campaign(g, value, done) })
		default:
			e.env.After(PollEvery, func() { e.wait(g, value, done) })
		}
	})
}

//lab:end

// Resign steps down, or withdraws a campaign: the client stops believing it
// leads before it asks the servers; done runs once they have answered (at
// once if it has no session).
func (e *Election) Resign(done func()) {
	e.gen++
	//lab:solution 6D
	e.leading = false
	e.cand = Leader{}
	//lab:stub
	// TODO(6D): stop believing you lead, then leave the queue.
	//lab:end
	sid := e.lc.Session()
	if sid == 0 {
		e.env.After(0, done)
		return
	}
	e.lc.DoExt(Resign{Election: e.name, Session: sid}, func(any) { done() })
}

// Observe calls f with each new term of the election, in order, every one
// of them from the first, as the client learns of them (it asks every
// ObserveEvery).
func (e *Election) Observe(f func(Leader)) {
	e.observers = append(e.observers, f)
	for _, t := range e.seen() {
		f(t)
	}
	if !e.observing {
		e.observing = true
		e.env.After(0, e.observe)
	}
}

func (e *Election) observe() {
	e.lc.DoExt(Query{Election: e.name, After: e.known.Rev}, func(res any) {
		e.learn(res.(Reply).Terms)
		e.env.After(ObserveEvery, e.observe)
	})
}

// learn takes in terms from a query's answer: those newer than the newest
// known, in order, go to the observers.
func (e *Election) learn(terms []Leader) {
	for _, t := range terms {
		//lab:solution 6D
		if t.Rev <= e.known.Rev {
			continue // an answer to a query sent before another's answer came
		}
		//lab:end
		e.known = t
		e.history = append(e.history, t)
		for _, f := range e.observers {
			f(t)
		}
	}
}

// seen is every term this client has learned of.
func (e *Election) seen() []Leader { return e.history }

// Write asks the storage server on node storage to set key to value on the
// authority of term's revision (its fencing token); done gets lock.OK or
// lock.ErrStaleSequencer.
func (e *Election) Write(storage int, key, value string, term Leader, done func(lock.Err)) {
	e.lc.Write(storage, key, value, term.Sequencer(), done)
}

// Lock is the node's lock client.
func (e *Election) Lock() *lock.Client { return e.lc }
