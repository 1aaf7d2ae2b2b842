package replog

import (
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/raft"
	"protolab/replog"
)

// The scenarios' self-tests. A scenario is a test of the engines, and a
// scenario that silently weakens (a step dropped, a loop cut short, a
// partition that no longer cuts the leader off) passes on every correct
// engine and on many broken ones. So each scenario runs here on a liar: Raft
// with one deliberate bug, wrapped around the reference in this file only,
// that the scenario exists to catch. The scenario must fail on it, with the
// failure that names the bug. A weakened scenario passes on its liar, or
// fails elsewhere with another message, and its self-test fails. A case
// with no failure to expect is a correct engine the scenario must pass. The
// cases and what they kill are in docs/mutation.md.
//
// A scenario takes a *testing.T and ends it on failure, so each runs in a
// child process: this test binary again, running TestScenarioOnLiar with the
// case's name in $PROTOLAB_REPLOG_LIAR and the parent's -seed (or the
// case's pinnedSeed). The parent reads the child's output. Every child runs
// one seed, whatever -seeds says; under coverage its counters join the
// parent's.

// A liar is one cluster's broken engine: the knobs of its bug, and what it
// has seen, shared by every node and incarnation of the cluster (the world
// runs one event at a time, so no locking).
type liar struct {
	// stallAfter > 0: no peer hands its service an index above it (the
	// engine stops committing after that many entries).
	stallAfter int
	// unanimous: a candidate needs every other peer's vote, not a
	// majority's (no leader while any peer is cut off).
	unanimous bool
	// forgetOne: a peer whose last incarnation applied exactly one index
	// boots with its stable storage wiped (a restore that skips a log of
	// one entry).
	forgetOne bool
	// aliasStart: Start keeps the caller's []byte, so a service that
	// reuses its buffer changes the command (Start without a copy).
	aliasStart bool
	// snapshotToEmptyOnly: InstallSnapshot reaches only a peer that has
	// applied nothing (a follower with entries of its own never takes one).
	snapshotToEmptyOnly bool
	// giveUpAfterLoss: once an AppendEntries to a peer is lost, the leader
	// sends that peer no more (it never catches up after a partition).
	giveUpAfterLoss bool
	// sulk: once a call of a peer is lost, that peer refuses every vote
	// and pre-vote it is asked for (no election after a total partition).
	sulk bool
	// allLead: every peer says it leads (election safety broken).
	allLead bool
	// muteAtBoot > 0: a node's incarnation number muteAtBoot and every
	// later one hand their service nothing (a restarted peer that never
	// applies again).
	muteAtBoot int
	// refuseOnce > 0: a leader refuses the refuseOnce-th command started
	// on a leader (isLeader false, as a leader deposed and re-elected
	// would), once; a scenario that can start again must not fail.
	refuseOnce int
	// bloat: after every index it applies, a peer pads its stable state
	// to 9000 bytes more (a log never cut at its snapshots).
	bloat bool
	// readWrites: every read through ReadIndex also appends an entry,
	// 150ms later (a read through the log, where ReadIndex must write
	// nothing).
	readWrites bool
	// readFallback: a leader whose read it could not confirm answers it
	// ok anyway, with the last index it applied (a stale read).
	readFallback bool
	// readsRefused: ReadIndex answers every read done(0, false).
	readsRefused bool
	// readsServed > 0: after that many reads, ReadIndex answers every read
	// done(0, false).
	readsServed int
	// readTwice: ReadIndex runs done twice.
	readTwice bool
	// readCostly: a read begun within 5ms of the one before (but not at
	// the same instant) sends two needless RPCs (a read that does not wait
	// for the round in flight).
	readCostly bool
	// readTogetherCostly: a read begun at the same instant as the one
	// before sends a round of needless RPCs of its own (reads begun
	// together do not share a round).
	readTogetherCostly bool
	// readCold > 0: a read begun 200ms or more after the one before sends
	// that many needless RPCs (a read that is dear after a quiet spell).
	readCold int
	// readAbove > 0: a read answered ok carries an index that much above
	// the real one (a read index not yet committed).
	readAbove int
	// readOnFollowers: a follower answers every read ok, with the last index
	// it applied (only the leader may serve one).
	readOnFollowers bool
	// readLease > 0: a leader answers a read at once, with the last index
	// it applied, if it confirmed a read less than readLease ago (a lease
	// taken for a confirmation: no majority answers after the read began).
	readLease time.Duration
	// readsHang: a read the leader could not confirm is never answered (it
	// should fail, done(0, false), so that the client tries elsewhere).
	readsHang bool
	// readLeak, if set: a read the reference answers after ReadIndex has
	// returned (after a round, or when leadership is lost), that readLeak
	// accepts (by its ok, and whether it began at the same instant as
	// another read on this peer), has its done run late by a count of such
	// reads kept from one run to the next (state outside the world in the
	// read path).
	readLeak func(ok, batched bool) bool
	// readWaitInstead > 0: a leader serves a read it refused at once (no
	// entry of its term committed yet) with the last index it applied, once
	// readWaitInstead has passed since its first read in that term (a wait
	// for a timer, not for a commit of its term).
	readWaitInstead time.Duration
	// readFallbackFromTerm > 0: readFallback, but only on a leader of that
	// term or a later one (met only after that many elections).
	readFallbackFromTerm int
	// persistAlias: Snapshot keeps the caller's buffer and, at the next
	// Start, persists it (Snapshot without a copy, persisted later).
	persistAlias bool
	// refuseAlways: a leader refuses every Start.
	refuseAlways bool
	// leakAfterReelection: like leaky, but only once some run has seen a
	// second election (state outside the world, met only after a leader
	// change).
	leakAfterReelection bool
	// startIndex, if set, is the index Start reports for the index the
	// command really got (Start reporting the wrong index).
	startIndex func(index int) int
	// ghost: a leader hands its service, after each command, one more
	// index that nobody started and no other peer has (it runs ahead of
	// the log: the next real entry at that index is then a repeat).
	ghost bool
	// lostIsAck: a lost AppendEntries counts as a success (a leader cut
	// off from the majority commits).
	lostIsAck bool
	// slowCatchUp: once an AppendEntries to a peer is lost, the leader
	// sends that peer one entry at a time, each 20ms late (it catches up,
	// slowly).
	slowCatchUp bool
	// aliasSnapshot: Snapshot keeps the caller's buffer (Snapshot without
	// a copy), so a service that reuses it changes the snapshot another
	// peer installs.
	aliasSnapshot bool
	// leaky: every timer is late by a count of the timers set so far, a
	// count the liar keeps from one run to the next (state outside the
	// world: the same seed no longer gives the same run).
	leaky bool
	// neverLeads: GetState never reports a leader (the peers still elect
	// one inside, and its Start still takes commands).
	neverLeads bool
	// applyInStart: a leader hands its service each command it takes inside
	// Start, before Start returns and before the command commits (a group
	// of one that applies at once; a leader that applies what it may lose).
	applyInStart bool
	// snapshotsLost: every InstallSnapshot is lost (a peer far behind never
	// catches up).
	snapshotsLost bool
	// fourOfFive: like unanimous, but a candidate may miss one vote (it
	// needs all but one of the others: no leader while two peers of five
	// are cut off).
	fourOfFive bool
	// persistLate: with persistAlias, the caller's buffer is persisted
	// 100ms after the Start, not at once.
	persistLate bool
	// muteAfterLoss: once a call of a peer is lost, that peer hands its
	// service nothing more (a peer cut off never applies again).
	muteAfterLoss bool
	// startedWins: a peer hands its service, at an index where it took a
	// command as leader, that command, whatever was committed there (a
	// deposed leader that keeps its own uncommitted entries).
	startedWins bool
	// muteDeposed: a peer that has led and is deposed hands its service
	// nothing more.
	muteDeposed bool
	// muteFromBoot > 0: from the cluster's muteFromBoot-th boot (counting
	// every node's), each new incarnation hands its service nothing.
	muteFromBoot int
	// ignoreSnapshot: Snapshot does nothing (the log is never cut).
	ignoreSnapshot bool
	// leakFromIndex > 0: like leaky, once some peer has applied that index.
	leakFromIndex int
	// loneCommits: a follower whose last two calls were both lost, in its
	// current term, takes a command started on it, and 100ms later hands
	// its service that command at the index after the last it applied (a
	// peer cut off that commits alone).
	loneCommits bool
	// giveUpFromBoot > 0: like giveUpAfterLoss, but only for a lost
	// AppendEntries that carried entries, once the cluster has booted
	// giveUpFromBoot times (counting every node's boots).
	giveUpFromBoot int
	// quietCommit: with lostIsAck, once an AppendEntries of a leader is
	// lost, it tells its followers no commit index above the one it last
	// sent before (only the leader applies what it commits alone).
	quietCommit bool
	// snapshotToLeadersOnly: InstallSnapshot reaches only a peer that has
	// sent an AppendEntries (has led) itself; a follower that never led and
	// fell behind never catches up.
	snapshotToLeadersOnly bool
	// muteFollowersFromBoot > 0: from the cluster's muteFollowersFromBoot-th
	// boot (counting every node's), an incarnation of a node that has never
	// sent an AppendEntries (never led) hands its service nothing.
	muteFollowersFromBoot int

	ballots   map[[2]int]*ballot // unanimous: (candidate, term) -> its votes so far
	applied   map[int]int        // node -> the last index its current incarnation applied
	aliases   map[string][]byte  // a started command's bytes -> the caller's buffer
	lost      map[[2]int]bool    // giveUpAfterLoss, slowCatchUp: the (leader, peer) links an AppendEntries was lost on
	timers    int                // leaky: the timers set, in every run
	boots     map[int]int        // node -> its incarnations so far
	starts    int                // refuseOnce: commands started on leaders so far
	reads     int                // readsServed: reads asked for so far
	sulking   map[int]bool       // sulk, muteAfterLoss: the peers that have lost a call
	reelected bool               // leakAfterReelection: a vote was asked for a term above 1
	readLeaks int                // readLeak: the leaking reads, in every run
	allBoots  int                // muteFromBoot: the boots of every node so far
	top       int                // leakFromIndex: the highest index any peer applied
	lostRun   map[int]int        // loneCommits: node -> its calls lost in a row
	told      map[int]int        // quietCommit: node -> the commit index it last sent before a loss
	quiet     map[int]bool       // quietCommit: the nodes that have lost an AppendEntries
	haveLed   map[int]bool       // snapshotToLeadersOnly: the nodes that have sent an AppendEntries
	loneTerm  map[int]int        // loneCommits: node -> its term when its second call in a row was lost
}

// engine is Raft with l's bugs.
func (l *liar) engine() replog.Engine {
	l.ballots, l.applied, l.aliases, l.lost, l.boots = map[[2]int]*ballot{}, map[int]int{}, map[string][]byte{}, map[[2]int]bool{}, map[int]int{}
	l.sulking, l.lostRun, l.loneTerm = map[int]bool{}, map[int]int{}, map[int]int{}
	l.told, l.quiet, l.haveLed = map[int]int{}, map[int]bool{}, map[int]bool{}
	return replog.Engine{Name: "raft", Boot: l.boot}
}

func (l *liar) boot(env labrpc.Env, persister *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
	me := env.Me()
	if l.forgetOne && l.applied[me] == 1 {
		persister.Save(nil, nil)
	}
	l.applied[me] = 0
	l.boots[me]++
	l.allBoots++
	muted := l.muteAtBoot > 0 && l.boots[me] >= l.muteAtBoot || l.muteFromBoot > 0 && l.allBoots >= l.muteFromBoot ||
		l.muteFollowersFromBoot > 0 && l.allBoots >= l.muteFollowersFromBoot && !l.haveLed[me]
	p := &Raft{l: l, me: me, env: env, persister: persister, apply: apply, started: map[int]any{}}
	p.Raft = raft.Make(liarEnv{Env: env, l: l}, persister, func(m replog.Msg) {
		if muted || m.CommandValid && m.CommandIndex <= p.appliedInStart || l.muteAfterLoss && l.sulking[me] {
			return
		}
		if l.muteDeposed {
			_, leads := p.Raft.GetState()
			if p.led = p.led || leads; p.led && !leads {
				return
			}
		}
		if cmd, ok := p.started[m.CommandIndex]; ok && m.CommandValid && l.startedWins {
			m.Command = cmd
		}
		if m.CommandValid {
			l.top = max(l.top, m.CommandIndex)
		}
		if l.bloat {
			defer func() { persister.Save(append(persister.ReadState(), make([]byte, 9000)...), persister.ReadSnapshot()) }()
		}
		if m.CommandValid {
			if l.stallAfter > 0 && m.CommandIndex > l.stallAfter {
				return
			}
			if b, ok := m.Command.([]byte); ok && (l.aliasStart || l.aliasSnapshot) {
				if buf, ok := l.aliases[string(b)]; ok {
					m.Command = buf
				}
			}
			l.applied[me] = m.CommandIndex
			if _, leads := p.Raft.GetState(); leads && l.ghost {
				apply(m)
				apply(replog.Msg{CommandValid: true, Command: "ghost", CommandIndex: m.CommandIndex + 1})
				return
			}
		}
		if m.SnapshotValid {
			if buf, ok := l.aliases[string(m.Snapshot)]; ok && l.aliasSnapshot {
				m.Snapshot = buf
			}
			l.applied[me] = m.SnapshotIndex
		}
		apply(m)
	})
	return p
}

// Raft is a liar's peer: the reference's, with Start and GetState
// overridden. It is named Raft so that the reference's RPCs ("Raft.AppendEntries",
// ...) reach the handlers it embeds.
type Raft struct {
	*raft.Raft
	l         *liar
	me        int
	env       labrpc.Env
	persister *labrpc.Persister
	snapshot  []byte           // persistAlias: the buffer the service passed to Snapshot
	lastRead  time.Duration    // readCostly: when the last read began
	apply     func(replog.Msg) // applyInStart: the service's apply
	// readLease: when this peer last confirmed a read, if it has.
	confirmed   bool
	confirmedAt time.Duration
	began       time.Duration // readLeak: when the last read on this peer began
	// readWaitInstead: the term of this peer's first read as leader, and when.
	firstReadTerm int
	firstReadAt   time.Duration
	// applyInStart: the last index handed to the service inside Start (the
	// engine's own apply of it, later, is dropped)
	appliedInStart int
	started        map[int]any // startedWins: index -> the command this incarnation took there as leader
	led            bool        // muteDeposed: this incarnation has led
}

func (p *Raft) Start(command any) (int, int, bool) {
	if b, ok := command.([]byte); ok && p.l.aliasStart {
		p.l.aliases[string(b)] = b
	}
	if term, leads := p.Raft.GetState(); !leads && p.l.loneCommits && p.l.lostRun[p.me] >= 2 && p.l.loneTerm[p.me] == term {
		p.env.After(100*time.Millisecond, func() {
			index := p.l.applied[p.me] + 1
			p.l.applied[p.me], p.appliedInStart = index, index
			p.apply(replog.Msg{CommandValid: true, Command: command, CommandIndex: index})
		})
		return p.l.applied[p.me] + 1, term, true
	}
	if term, leads := p.Raft.GetState(); leads && p.l.refuseAlways {
		return 0, term, false
	}
	if term, leads := p.Raft.GetState(); leads && p.l.refuseOnce > 0 {
		if p.l.starts++; p.l.starts == p.l.refuseOnce {
			return 0, term, false
		}
	}
	index, term, ok := p.Raft.Start(command)
	if p.snapshot != nil && p.l.persistLate {
		p.env.After(100*time.Millisecond, func() { p.persister.Save(p.persister.ReadState(), p.snapshot) })
	} else if p.snapshot != nil {
		p.persister.Save(p.persister.ReadState(), p.snapshot)
	}
	if ok {
		p.started[index] = command
	}
	if ok && p.l.applyInStart && index == p.appliedInStart+1 {
		p.appliedInStart = index
		p.l.applied[p.me] = index
		p.apply(replog.Msg{CommandValid: true, Command: command, CommandIndex: index})
	}
	if ok && p.l.startIndex != nil {
		index = p.l.startIndex(index)
	}
	return index, term, ok
}

func (p *Raft) ReadIndex(done func(index int, ok bool)) {
	if p.l.readWrites {
		p.env.After(150*time.Millisecond, func() { p.Raft.Start("read") })
	}
	if p.l.reads++; p.l.readsRefused || p.l.readsServed > 0 && p.l.reads > p.l.readsServed {
		done(0, false)
		return
	}
	needless := func(rpcs int) { // vote requests with term 0, which every peer refuses
		for k := 0; k < rpcs; k++ {
			to := p.env.Peers()[k%len(p.env.Peers())]
			p.env.Call(to, "Raft.RequestVote", &raft.RequestVoteArgs{CandidateId: p.me}, &raft.RequestVoteReply{}, func(bool) {})
		}
	}
	if now := p.env.Now(); p.l.readCostly || p.l.readTogetherCostly || p.l.readCold > 0 {
		if p.l.readTogetherCostly && now == p.lastRead {
			needless(len(p.env.Peers()) - 1)
		}
		if p.l.readCostly && now != p.lastRead && now-p.lastRead < 5*time.Millisecond {
			needless(2)
		}
		if p.l.readCold > 0 && now-p.lastRead >= 200*time.Millisecond {
			needless(p.l.readCold)
		}
		p.lastRead = now
	}
	term, led := p.Raft.GetState()
	if !led && p.l.readOnFollowers {
		done(p.l.applied[p.me], true)
		return
	}
	if led && p.l.readLease > 0 && p.confirmed && p.env.Now()-p.confirmedAt < p.l.readLease {
		done(p.l.applied[p.me], true)
		return
	}
	if led && p.l.readWaitInstead > 0 && p.firstReadTerm != term {
		p.firstReadTerm, p.firstReadAt = term, p.env.Now()
	}
	inCall, batched := true, p.began > 0 && p.env.Now() == p.began
	p.began = p.env.Now()
	p.Raft.ReadIndex(func(index int, ok bool) {
		if p.l.readWaitInstead > 0 && inCall && !ok && led && p.env.Now()-p.firstReadAt >= p.l.readWaitInstead {
			index, ok = p.l.applied[p.me], true
		}
		if leak := p.l.readLeak; leak != nil && !inCall && leak(ok, batched) {
			p.l.readLeaks++
			p.env.After(time.Duration(p.l.readLeaks)*time.Microsecond, func() { done(index, ok) })
			return
		}
		if ok {
			p.confirmed, p.confirmedAt = true, p.env.Now()
		}
		fallback := p.l.readFallback || p.l.readFallbackFromTerm > 0 && term >= p.l.readFallbackFromTerm
		if !ok && led && fallback {
			index, ok = p.l.applied[p.me], true
		}
		if !ok && led && p.l.readsHang {
			return
		}
		if ok {
			index += p.l.readAbove
		}
		done(index, ok)
		if p.l.readTwice {
			done(index, ok)
		}
	})
	inCall = false
}

func (p *Raft) Snapshot(index int, snapshot []byte) {
	if p.l.aliasSnapshot {
		p.l.aliases[string(snapshot)] = snapshot
	}
	if p.l.persistAlias {
		p.snapshot = snapshot
	}
	if p.l.ignoreSnapshot {
		return
	}
	p.Raft.Snapshot(index, snapshot)
}

func (p *Raft) GetState() (int, bool) {
	term, isLeader := p.Raft.GetState()
	if p.l.allLead {
		return term, true
	}
	if p.l.neverLeads {
		return term, false
	}
	return term, isLeader
}

// liarEnv is a liar peer's view of the network.
type liarEnv struct {
	labrpc.Env
	l *liar
}

// lose fails a call as a lost message would, after a time-out.
func (e liarEnv) lose(done func(bool)) {
	e.After(100*time.Millisecond, func() { done(false) })
}

func (e liarEnv) After(d time.Duration, f func()) func() {
	if e.l.leaky || e.l.leakAfterReelection && e.l.reelected || e.l.leakFromIndex > 0 && e.l.top >= e.l.leakFromIndex {
		e.l.timers++
		d += time.Duration(e.l.timers) * time.Microsecond
	}
	return e.Env.After(d, f)
}

func (e liarEnv) Call(to int, method string, args, reply any, done func(bool)) {
	l, link := e.l, [2]int{e.Me(), to}
	if a, ok := args.(*raft.RequestVoteArgs); ok && a.Term > 1 {
		l.reelected = true
	}
	if l.loneCommits {
		me, inner, term := e.Me(), done, 0
		switch a := args.(type) {
		case *raft.AppendEntriesArgs:
			term = a.Term
		case *raft.RequestVoteArgs:
			term = a.Term
		case *raft.PreVoteArgs:
			term = a.NextTerm - 1
		}
		done = func(ok bool) {
			if l.lostRun[me]++; ok {
				l.lostRun[me] = 0
			}
			if l.lostRun[me] == 2 {
				l.loneTerm[me] = term
			}
			inner(ok)
		}
	}
	if l.sulk || l.muteAfterLoss {
		me, sulks, inner := e.Me(), l.sulk && l.sulking[to], done
		done = func(ok bool) {
			if !ok {
				l.sulking[me] = true
			}
			if r, vote := reply.(*raft.RequestVoteReply); vote && sulks {
				r.VoteGranted = false
			}
			if r, vote := reply.(*raft.PreVoteReply); vote && sulks {
				r.Granted = false
			}
			inner(ok)
		}
	}
	if (l.snapshotToLeadersOnly || l.muteFollowersFromBoot > 0) && method == "Raft.AppendEntries" {
		l.haveLed[e.Me()] = true
	}
	switch {
	case l.snapshotToLeadersOnly && method == "Raft.InstallSnapshot" && !l.haveLed[to]:
		e.lose(done)
		return
	case l.lostIsAck && method == "Raft.AppendEntries":
		if a, me := args.(*raft.AppendEntriesArgs), e.Me(); l.quietCommit && l.quiet[me] {
			b := *a
			b.LeaderCommit = min(b.LeaderCommit, l.told[me])
			args = &b
		} else if l.quietCommit {
			l.told[me] = a.LeaderCommit
		}
		inner := done
		done = func(ok bool) {
			if !ok && l.quietCommit {
				l.quiet[e.Me()] = true
			}
			if !ok {
				a, r := args.(*raft.AppendEntriesArgs), reply.(*raft.AppendEntriesReply)
				r.Term, r.Success = a.Term, true
			}
			inner(true)
		}
	case l.slowCatchUp && method == "Raft.AppendEntries":
		inner := done
		done = func(ok bool) {
			if !ok {
				l.lost[link] = true
			}
			inner(ok)
		}
		if l.lost[link] {
			a := args.(*raft.AppendEntriesArgs)
			if len(a.Entries) > 1 {
				a.Entries = a.Entries[:1]
			}
			e.Env.After(20*time.Millisecond, func() { e.Env.Call(to, method, args, reply, done) })
			return
		}
	case (l.unanimous || l.fourOfFive) && method == "Raft.RequestVote":
		a := args.(*raft.RequestVoteArgs)
		key := [2]int{a.CandidateId, a.Term}
		b := l.ballots[key]
		if b == nil {
			b = &ballot{all: true}
			l.ballots[key] = b
		}
		others := len(e.Peers()) - 1
		inner := done
		done = func(ok bool) {
			r := reply.(*raft.RequestVoteReply)
			if !ok || !r.VoteGranted {
				b.missed++
			}
			b.all = b.missed == 0 || l.fourOfFive && b.missed == 1
			if b.released { // a retried request's answer
				r.VoteGranted = r.VoteGranted && b.all
				inner(ok)
				return
			}
			b.replies = append(b.replies, vote{ok, r, inner})
			if len(b.replies) < others {
				return // held until every peer has answered
			}
			b.released = true
			for _, v := range b.replies {
				if !b.all {
					v.reply.VoteGranted = false
				}
				v.done(v.ok)
			}
		}
	case l.snapshotsLost && method == "Raft.InstallSnapshot",
		l.snapshotToEmptyOnly && method == "Raft.InstallSnapshot" && l.applied[to] > 0:
		e.lose(done)
		return
	case (l.giveUpAfterLoss || l.giveUpFromBoot > 0) && method == "Raft.AppendEntries":
		if l.lost[link] {
			e.lose(done)
			return
		}
		inner, carries := done, len(args.(*raft.AppendEntriesArgs).Entries) > 0
		done = func(ok bool) {
			if !ok && (l.giveUpAfterLoss || carries && l.allBoots >= l.giveUpFromBoot) {
				l.lost[link] = true
			}
			inner(ok)
		}
	}
	e.Env.Call(to, method, args, reply, done)
}

// A ballot is a candidate's votes in one term, held back until every
// other peer has answered.
type ballot struct {
	all      bool // so far every answer is a granted vote (fourOfFive: all but one)
	missed   int  // the answers that are not a granted vote
	released bool // every peer has answered, and the answers were handed on
	replies  []vote
}

type vote struct {
	ok    bool
	reply *raft.RequestVoteReply
	done  func(bool)
}

// A liarCase is a scenario, the liar it must catch, and what its failure
// says.
type liarCase struct {
	name     string
	scenario func(*testing.T, replog.Engine)
	liar     func() *liar
	want     []string // the failure names the bug with one of these; none: the scenario must pass
}

// pinnedSeed is the seed a case's child runs whatever -seed says, for the
// cases whose scenario meets their bug on some seeds only.
var pinnedSeed = map[string]string{
	// On other seeds the first leader is deposed before the rounds, and
	// the scenario fails at one(30).
	"Partitions/mute-once-deposed": "1",
	// The lone follower sees two calls in a row lost within the scenario's
	// second on 7 of the first 11 seeds.
	"LeaderFailure/a-lone-follower-commits": "1",
	// On 8 of the first 11 seeds a loss of the entries sent to the crashed
	// leader is reported after the 8th boot, and the liar gives up on it
	// before the loop of follower crashes.
	"CrashRestart/gives-up-on-a-follower-from-the-8th-boot": "1",
	// On most seeds every peer has led once before the loop of follower
	// crashes, and the liar mutes nobody; on 9, 10 and 11 of the first 11 a
	// follower that never led restarts in the loop.
	"CrashRestart/mute-followers-from-the-9th-boot": "9",
	// A seed sweep of the self-test (-seed=1 to 200, one at a time) found
	// three more cases whose liar is met differently on a few seeds: on
	// seeds 53, 66 and 86 the sulking peer stalls the scenario already at
	// one(102), before the step the case names; on 50 and 98 the deposed
	// leader's unconfirmed read is caught by the stale-read check before
	// the read that misses a write; on 151 the churn passes on the liar
	// (that seed's schedule never waits on a peer the liar muted).
	"LeaderFailure/sulks-after-a-loss":                "1",
	"ReadIndexDeposedLeader/serves-unconfirmed-reads": "1",
	"UnreliableChurn/mute-after-a-restart":            "1",
}

var liarCases = []liarCase{
	{"BasicAgreement/stalls-after-4", TestBasicAgreement,
		func() *liar { return &liar{stallAfter: 4} },
		[]string{"one(500): 0 of the 3 expected peers applied index 5 within 2s"}},
	{"BasicAgreement/commits-a-ghost", TestBasicAgreement,
		func() *liar { return &liar{ghost: true} },
		[]string{"index 2 committed before Start"}},
	{"LeaderFailure/unanimous-votes", TestLeaderFailure,
		func() *liar { return &liar{unanimous: true} },
		[]string{"one(102): no agreement within 10s"}},
	{"LeaderFailure/stalls-after-2", TestLeaderFailure,
		func() *liar { return &liar{stallAfter: 2} },
		[]string{"one(103): no agreement within 10s"}},
	{"LeaderFailure/gives-up-after-a-loss", TestLeaderFailure,
		func() *liar { return &liar{giveUpAfterLoss: true} },
		[]string{"one(104): no agreement within 10s"}},
	{"LeaderFailure/sulks-after-a-loss", TestLeaderFailure,
		func() *liar { return &liar{sulk: true} },
		[]string{"one(106): no agreement within 10s"}},
	{"Partitions/commits-without-a-majority", TestPartitions,
		func() *liar { return &liar{lostIsAck: true} },
		[]string{"committed index 2 with a leader cut off from the majority"}},
	{"Partitions/commits-without-a-majority-on-the-leader-only", TestPartitions,
		func() *liar { return &liar{lostIsAck: true, quietCommit: true} },
		[]string{"1 peers committed index 2 with a leader cut off from the majority"}},
	{"Partitions/unanimous-votes", TestPartitions,
		func() *liar { return &liar{unanimous: true} },
		[]string{"one(2000): no agreement within 10s"}},
	{"Partitions/stalls-after-10", TestPartitions,
		func() *liar { return &liar{stallAfter: 10} },
		[]string{"no agreement within 10s"}},
	{"FollowerCatchUp/gives-up-after-a-loss", TestFollowerCatchUp,
		func() *liar { return &liar{giveUpAfterLoss: true} },
		[]string{"only 2 peers applied index 201; wanted 3"}},
	{"ConcurrentStarts/one-index-for-all", TestConcurrentStarts,
		func() *liar { return &liar{startIndex: func(int) int { return 7 }} },
		[]string{"Start returned index 7 for both command 100 and command 101"}},
	{"ConcurrentStarts/index-off-by-one", TestConcurrentStarts,
		func() *liar { return &liar{startIndex: func(i int) int { return i - 1 }} },
		[]string{"command 119, started concurrently with 19 others, was not committed at the index Start gave"}},
	{"ConcurrentStarts/refuses-once", TestConcurrentStarts,
		func() *liar { return &liar{refuseOnce: 10} },
		nil},
	{"ConcurrentStarts/refuses-always", TestConcurrentStarts,
		func() *liar { return &liar{refuseAlways: true} },
		[]string{"the leader kept changing; concurrent starts never all committed"}},
	{"FollowerCatchUp/catches-up-slowly", TestFollowerCatchUp,
		func() *liar { return &liar{slowCatchUp: true} },
		[]string{"to catch up on 200 commands"}},
	{"CrashRestart/forgets-a-log-of-one", TestCrashRestart,
		func() *liar { return &liar{forgetOne: true} },
		[]string{"two commands committed at one index", "two leaders with term or ballot"}},
	{"CrashRestart/mute-from-second-boot", TestCrashRestart,
		func() *liar { return &liar{muteAtBoot: 2} },
		[]string{"one(12): no agreement within 10s"}},
	{"CrashRestart/mute-from-third-boot", TestCrashRestart,
		func() *liar { return &liar{muteAtBoot: 3} },
		[]string{"one(13): no agreement within 10s"}},
	{"UnreliableChurn/mute-after-a-restart", TestUnreliableChurn,
		func() *liar { return &liar{muteAtBoot: 2} },
		[]string{"one(99): no agreement within 10s"}},
	{"UnreliableChurn/all-lead", TestUnreliableChurn,
		func() *liar { return &liar{allLead: true} },
		[]string{"two leaders with term or ballot"}},
	{"UnreliableChurn/stalls-after-5", TestUnreliableChurn,
		func() *liar { return &liar{stallAfter: 5} },
		[]string{"one(99): no agreement within 10s"}},
	{"Snapshots/stalls-after-77", TestSnapshots,
		func() *liar { return &liar{stallAfter: 77} },
		[]string{"no agreement within 10s"}},
	{"Snapshots/bloated-state", TestSnapshots,
		func() *liar { return &liar{bloat: true} },
		[]string{"is the log cut at each snapshot?"}},
	{"Snapshots/only-to-an-empty-follower", TestSnapshots,
		func() *liar { return &liar{snapshotToEmptyOnly: true} },
		[]string{"one(200): no agreement within 10s"}},
	{"SameSeedSameRun/state-outside-the-world", TestSameSeedSameRun,
		func() *liar { return &liar{leaky: true} },
		[]string{"not deterministic"}},
	{"SameSeedSameRun/state-outside-the-world-after-a-reelection", TestSameSeedSameRun,
		func() *liar { return &liar{leakAfterReelection: true} },
		[]string{"not deterministic"}},
	{"SnapshotKeepsItsOwnCopy/aliases-the-buffer", TestSnapshotKeepsItsOwnCopy,
		func() *liar { return &liar{aliasSnapshot: true} },
		[]string{"Snapshot must copy the bytes it keeps"}},
	{"SnapshotKeepsItsOwnCopy/persists-the-callers-buffer", TestSnapshotKeepsItsOwnCopy,
		func() *liar { return &liar{persistAlias: true} },
		[]string{"the leader persisted the snapshot"}},
	{"StartKeepsItsOwnCopy/applies-nothing", TestStartKeepsItsOwnCopy,
		func() *liar { return &liar{muteAtBoot: 1} },
		[]string{"applied 0 commands, not 1"}},
	{"StartKeepsItsOwnCopy/aliases-the-buffer", TestStartKeepsItsOwnCopy,
		func() *liar { return &liar{aliasStart: true} },
		[]string{"Start must copy a []byte command"}},
	{"BasicAgreement/never-says-it-leads", TestBasicAgreement,
		func() *liar { return &liar{neverLeads: true} },
		[]string{"no leader among the connected peers after 5s"}},
	{"Partitions/mute-after-a-loss", TestPartitions,
		func() *liar { return &liar{muteAfterLoss: true} },
		[]string{"one(30): "}},
	{"Partitions/needs-four-votes-of-five", TestPartitions,
		func() *liar { return &liar{fourOfFive: true} },
		[]string{"one(2000): no agreement within 10s"}},
	{"SnapshotKeepsItsOwnCopy/never-says-it-leads", TestSnapshotKeepsItsOwnCopy,
		func() *liar { return &liar{neverLeads: true} },
		[]string{"no leader after"}},
	{"SnapshotKeepsItsOwnCopy/stalls-after-3", TestSnapshotKeepsItsOwnCopy,
		func() *liar { return &liar{stallAfter: 3} },
		[]string{"the leader applied 3 of 5 commands"}},
	{"SnapshotKeepsItsOwnCopy/loses-every-snapshot", TestSnapshotKeepsItsOwnCopy,
		func() *liar { return &liar{snapshotsLost: true} },
		[]string{"far behind, installed no snapshot"}},
	{"SnapshotKeepsItsOwnCopy/persists-the-callers-buffer-late", TestSnapshotKeepsItsOwnCopy,
		func() *liar { return &liar{persistAlias: true, persistLate: true} },
		[]string{"the leader persisted the snapshot"}},
	{"GroupOfOne/never-says-it-leads", TestGroupOfOne,
		func() *liar { return &liar{neverLeads: true} },
		[]string{"a group of one peer has no leader after"}},
	{"GroupOfOne/applies-inside-start", TestGroupOfOne,
		func() *liar { return &liar{applyInStart: true} },
		[]string{"the peer applied index 1 inside Start(1)"}},
	{"GroupOfOne/stalls-after-4", TestGroupOfOne,
		func() *liar { return &liar{stallAfter: 4} },
		[]string{"after Start(5) and 100ms, the only peer applied 4 of the 5 commands started"}},
	{"GroupOfOne/refuses-every-start", TestGroupOfOne,
		func() *liar { return &liar{refuseAlways: true} },
		[]string{"Start(1) on the only peer, which leads, returned false"}},
	{"LeaderFailure/a-lone-follower-commits", TestLeaderFailure,
		func() *liar { return &liar{loneCommits: true} },
		[]string{"committed on 1 peers with no majority connected"}},
	{"Partitions/stalls-after-12", TestPartitions,
		func() *liar { return &liar{stallAfter: 12} },
		[]string{"one(220"}}, // the third round
	{"Partitions/refuses-the-second-start", TestPartitions,
		func() *liar { return &liar{refuseOnce: 2} },
		[]string{"stopped leading at once"}},
	{"Partitions/a-deposed-leader-keeps-its-entries", TestPartitions,
		func() *liar { return &liar{startedWins: true} },
		[]string{"two commands committed at one index"}},
	{"Partitions/mute-once-deposed", TestPartitions,
		func() *liar { return &liar{muteDeposed: true} },
		[]string{"one(3000): no agreement within 10s"}},
	{"FollowerCatchUp/refuses-the-tenth-start", TestFollowerCatchUp,
		func() *liar { return &liar{refuseOnce: 10} },
		[]string{"stopped leading with a majority connected"}},
	{"CrashRestart/gives-up-on-a-follower-from-the-8th-boot", TestCrashRestart,
		func() *liar { return &liar{giveUpFromBoot: 8} },
		[]string{"one(101): no agreement within 10s"}},
	{"CrashRestart/mute-followers-from-the-9th-boot", TestCrashRestart,
		func() *liar { return &liar{muteFollowersFromBoot: 9} },
		[]string{"one(101): no agreement within 10s"}},
	{"CrashRestart/mute-from-the-17th-boot", TestCrashRestart,
		func() *liar { return &liar{muteFromBoot: 17} },
		[]string{"one(141): no agreement within 10s"}},
	{"CrashRestart/mute-from-the-18th-boot", TestCrashRestart,
		func() *liar { return &liar{muteFromBoot: 18} },
		[]string{"one(142): no agreement within 10s"}},
	{"CrashRestart/mute-from-the-19th-boot", TestCrashRestart,
		func() *liar { return &liar{muteFromBoot: 19} },
		[]string{"one(200): no agreement within 10s"}},
	{"Snapshots/only-to-a-peer-that-led", TestSnapshots,
		func() *liar { return &liar{snapshotToLeadersOnly: true} },
		[]string{"one(200): no agreement within 10s"}},
	{"Snapshots/never-cuts-its-log", TestSnapshots,
		func() *liar { return &liar{ignoreSnapshot: true} },
		[]string{"caught up without a snapshot"}},
	{"Snapshots/mute-after-a-restart", TestSnapshots,
		func() *liar { return &liar{muteAtBoot: 2} },
		[]string{"restarted without handing its snapshot to the service"}},
	{"SameSeedSameRun/state-outside-the-world-from-index-3", TestSameSeedSameRun,
		func() *liar { return &liar{leakFromIndex: 3} },
		[]string{"not deterministic"}},
}

const liarEnvVar = "PROTOLAB_REPLOG_LIAR"

// TestScenarioOnLiar is the child: it runs the case named in
// $PROTOLAB_REPLOG_LIAR, and is skipped otherwise.
func TestScenarioOnLiar(t *testing.T) {
	name := os.Getenv(liarEnvVar)
	if name == "" {
		t.Skip("runs only as the child of TestScenariosCatchTheirLiars")
	}
	for _, c := range liarCases {
		if c.name == name {
			c.scenario(t, c.liar().engine())
			return
		}
	}
	t.Fatalf("no liar case %q in liarCases", name)
}

func TestScenariosCatchTheirLiars(t *testing.T) {
	seed := "1"
	if f := flag.Lookup("seed"); f != nil {
		seed = f.Value.String()
	}
	for _, c := range liarCases {
		t.Run(c.name, func(t *testing.T) {
			seed := seed
			if s, ok := pinnedSeed[c.name]; ok {
				seed = s
			}
			args := []string{"-test.run=^TestScenarioOnLiar$", "-test.count=1", "-test.timeout=60s", "-seed=" + seed}
			if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" {
				// Under coverage (go test -cover, lab mutation's baseline),
				// the child's counters go where the parent's do, and count.
				args = append(args, "-test.gocoverdir="+f.Value.String())
			}
			cmd := exec.Command(os.Args[0], args...)
			cmd.Env = append(os.Environ(), liarEnvVar+"="+c.name)
			out, err := cmd.CombinedOutput()
			if len(c.want) == 0 {
				require.NoError(t, err, "the scenario failed on an engine it must accept; its output:\n%s", out)
				return
			}
			require.Error(t, err, "the scenario passed on a liar it exists to catch; its output:\n%s", out)
			for _, want := range c.want {
				if strings.Contains(string(out), want) {
					return
				}
			}
			t.Fatalf("the scenario failed on its liar, but not with the failure that names the bug (%q); its output:\n%s", c.want, out)
		})
	}
}
