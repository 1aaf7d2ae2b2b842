package raft

import (
	"fmt"
	"slices"
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
	"protolab/tests"
)

// The cluster is the Raft tests' harness: the cluster harness every
// replicated log shares (replog/harness) running raft.Engine, which plays
// the service (it records what each peer applies, and takes a snapshot every
// so often if asked) and checks the contract's safety properties after every
// event of the run, not only at the end:
//
//   - election safety: at most one leader per term (§5.2);
//   - state-machine safety: no two peers apply different commands at one
//     index, and each peer applies each index once, in order (§5.4.3);
//   - snapshots: a snapshot holds what was committed up to it, never takes
//     a peer's state back, and a restart restores the latest one (§7).
//
// On top of those, it checks the two properties only Raft has, looking
// inside each peer's log:
//
//   - leader completeness: a new leader's log holds every entry committed
//     before it was elected (§5.4);
//   - log matching: two logs with an entry of the same index and term agree
//     on it and on the term of the entry before it, hence on the whole prefix
//     (§5.3). The last entry of every log is checked after every event, the
//     whole logs every fullCheckEvery of virtual time: up to fullCheckEntries
//     of each log at a time, from where the last check stopped, so that a
//     long log is covered over several checks and the checks' cost does not
//     grow with the log (the scale benchmarks run logs of 32k entries).
//
// The helpers (CheckOneLeader, One, NCommitted, Wait, Crash, Start, ...) are
// the harness's, which use only the API a replicated log gives its service
// (Start, GetState, apply), as Multi-Paxos (lab 5) shares it.

const (
	fullCheckEvery   = 200 * time.Millisecond
	fullCheckEntries = 4096
)

type clusterConfig struct {
	profile   string // network profile; "" means reliable
	snapEvery int    // the service snapshots after every snapEvery-th entry (0: never)
	only      []int  // start only these nodes (nil: all); the tests play the others
}

// testingT is what the cluster needs of a test or a benchmark.
type testingT interface {
	Helper()
	Fatalf(format string, args ...any)
	Logf(format string, args ...any)
}

type cluster struct {
	*harness.Cluster
	t   testingT
	w   *labrpc.World
	n   int
	cfg clusterConfig

	peers []*Raft // each node's current incarnation (check w.Alive too)

	completeChecked map[int]bool // terms whose leader's log was checked for completeness
	// committedBy[k] bounds from above the term in which index k was
	// committed: the lowest current term among the peers that had applied
	// k when the harness first saw it committed (each learned of the
	// commit from a leader of that term or a later one). Leader
	// completeness (§5.4) promises an entry only to the leaders of terms
	// after the one that committed it: a candidate of an older term may
	// still win with held votes after a newer leader has committed more,
	// and must not be blamed for it.
	committedBy []int
	highestTerm int // the highest term any peer has reached so far
	logs        map[logKey]logVal
	nextFull    time.Duration
	swept       []int // swept[i]: the index of peer i's log the next full check starts after
}

type logKey struct{ index, term int }

type logVal struct {
	cmd      any
	prevTerm int
	peer     int
}

func newCluster(t *tests.T, n int, cfg clusterConfig) *cluster {
	c := newClusterIn(t, t.NewWorld(worldConfig(n, cfg)), n, cfg)
	t.CountCommitted(c.LastCommitted) // -v's closing line
	return c
}

func worldConfig(n int, cfg clusterConfig) labrpc.Config {
	profile := labrpc.MustProfile("reliable")
	if cfg.profile != "" {
		profile = labrpc.MustProfile(cfg.profile)
	}
	return labrpc.Config{Nodes: n, Profile: profile}
}

// newClusterIn starts the cluster in a world made elsewhere (a benchmark's).
func newClusterIn(t testingT, w *labrpc.World, n int, cfg clusterConfig) *cluster {
	c := &cluster{
		t: t, w: w, n: n, cfg: cfg,
		peers:           make([]*Raft, n),
		completeChecked: map[int]bool{},
		logs:            map[logKey]logVal{},
		swept:           make([]int, n),
	}
	// raft.Engine, keeping each incarnation's *Raft for the checks below
	// and for the tests that look inside a peer.
	e := Engine.WithSnapshots(cfg.snapEvery)
	e.Boot = func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		c.peers[env.Me()] = nil
		rf := Engine.Boot(env, p, apply).(*Raft)
		c.peers[env.Me()] = rf
		return rf
	}
	c.Cluster = harness.New(w, e, t)
	w.Check(c.checkRaft)
	for i := 0; i < n; i++ {
		if cfg.only == nil || slices.Contains(cfg.only, i) {
			c.Start(i)
		}
	}
	return c
}

// raft is node i's current Raft, or nil if it is down.
func (c *cluster) raft(i int) *Raft {
	if !c.w.Alive(i) {
		return nil
	}
	return c.peers[i]
}

// installed is how many snapshots the peers have installed from a leader
// (not restored at boot).
func (c *cluster) installed() int {
	total := 0
	for i := 0; i < c.n; i++ {
		total += c.Installs(i)
	}
	return total
}

// The continuous checks of Raft's own properties; the harness checks the
// contract's.

func (c *cluster) checkRaft() error {
	for i := 0; i < c.n; i++ {
		if rf := c.raft(i); rf != nil {
			term, _ := rf.GetState()
			c.highestTerm = max(c.highestTerm, term)
		}
	}
	for last := c.LastCommitted(); len(c.committedBy) <= last; {
		k, bound := len(c.committedBy), c.highestTerm
		for i := 0; i < c.n; i++ {
			if rf := c.raft(i); rf != nil && c.Applied(i) >= k {
				term, _ := rf.GetState()
				bound = min(bound, term)
			}
		}
		c.committedBy = append(c.committedBy, bound)
	}
	full := c.w.Now() >= c.nextFull
	if full {
		c.nextFull = c.w.Now() + fullCheckEvery
	}
	for i := 0; i < c.n; i++ {
		rf := c.raft(i)
		if rf == nil {
			continue
		}
		if term, isLeader := rf.GetState(); isLeader && !c.completeChecked[term] {
			c.completeChecked[term] = true
			if err := c.checkLeaderComplete(i, rf, term); err != nil {
				return err
			}
		}
		if full {
			if c.swept[i] < rf.log.firstIndex() || c.swept[i] >= rf.log.lastIndex() {
				c.swept[i] = rf.log.firstIndex() // start again from the log's start
			}
			to := min(c.swept[i]+fullCheckEntries, rf.log.lastIndex())
			for k := c.swept[i] + 1; k <= to; k++ {
				if err := c.checkEntry(i, rf, k); err != nil {
					return err
				}
			}
			c.swept[i] = to
		} else if last := rf.log.lastIndex(); last > rf.log.firstIndex() {
			if err := c.checkEntry(i, rf, last); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLeaderComplete checks leader completeness for peer i, seen leading
// term for the first time: its log holds every entry committed in an
// earlier term (§5.4). An entry the harness saw committed while some peer
// had already reached this term or a later one is left out, since the
// term that committed it may be this one or later.
func (c *cluster) checkLeaderComplete(i int, rf *Raft, term int) error {
	// Entries 1..last were committed in terms before this one: a log's
	// prefix commits no later than the entries after it.
	last := len(c.committedBy) - 1
	for last > 0 && c.committedBy[last] >= term {
		last--
	}
	if rf.log.lastIndex() < last {
		return fmt.Errorf("n%d became leader of term %d with a log that ends at index %d, but entries up to %d were committed in earlier terms (leader completeness, §5.4; check the up-to-date rule of §5.4.1)",
			i, term, rf.log.lastIndex(), last)
	}
	for k := rf.log.firstIndex() + 1; k <= last; k++ {
		if e := rf.log.entry(k); !replog.SameCommand(e.Command, c.CommandAt(k)) {
			return fmt.Errorf("n%d became leader of term %d with %s at index %d, but %s was committed there in an earlier term (leader completeness, §5.4; check the up-to-date rule of §5.4.1)",
				i, term, replog.Show(e.Command), k, replog.Show(c.CommandAt(k)))
		}
	}
	return nil
}

// checkEntry checks log matching for the entry at index k of peer i.
func (c *cluster) checkEntry(i int, rf *Raft, k int) error {
	e := rf.log.entry(k)
	prevTerm := rf.log.term(k - 1)
	key := logKey{k, e.Term}
	v, seen := c.logs[key]
	if !seen {
		c.logs[key] = logVal{cmd: e.Command, prevTerm: prevTerm, peer: i}
		return nil
	}
	if !replog.SameCommand(v.cmd, e.Command) {
		return fmt.Errorf("n%d and n%d both hold an entry of term %d at index %d, but with different commands, %s and %s (log matching, §5.3)",
			v.peer, i, e.Term, k, replog.Show(v.cmd), replog.Show(e.Command))
	}
	if v.prevTerm != prevTerm {
		return fmt.Errorf("n%d and n%d both hold an entry of term %d at index %d, but the entries before it have terms %d and %d (log matching, §5.3)",
			v.peer, i, e.Term, k, v.prevTerm, prevTerm)
	}
	return nil
}

// Raft's own helpers; the others are the harness's.

// checkNoLeader requires that no connected peer believes it leads.
func (c *cluster) checkNoLeader() {
	c.t.Helper()
	for i := 0; i < c.n; i++ {
		if !c.Up(i) {
			continue
		}
		if term, isLeader := c.peers[i].GetState(); isLeader {
			c.Fatalf("n%d is leader of term %d, but no majority is connected: there should be no leader", i, term)
		}
	}
}

// checkTerms requires that the connected peers agree on the term, and
// returns it.
func (c *cluster) checkTerms() int {
	c.t.Helper()
	term := -1
	for i := 0; i < c.n; i++ {
		if !c.Up(i) {
			continue
		}
		t, _ := c.peers[i].GetState()
		if term == -1 {
			term = t
		} else if t != term {
			c.Fatalf("the connected peers disagree on the term: %d and %d", term, t)
		}
	}
	return term
}

// rpcs is the number of RPCs the peers have sent.
func (c *cluster) rpcs() int64 { return c.w.TotalRPCs() }

// A fakePeer is a test playing a Raft peer towards the real ones: it sends
// them RPCs from a client endpoint, with whatever arguments the test wants.
type fakePeer struct {
	c  *cluster
	cl labrpc.Client
}

func (c *cluster) fake() fakePeer { return fakePeer{c, c.w.NewClient()} }

func (f fakePeer) requestVote(to int, args RequestVoteArgs) RequestVoteReply {
	f.c.t.Helper()
	var reply RequestVoteReply
	if !f.cl.Call(to, "Raft.RequestVote", &args, &reply) {
		f.c.Fatalf("RequestVote to n%d got no reply on a reliable network", to)
	}
	return reply
}

func (f fakePeer) appendEntries(to int, args AppendEntriesArgs) AppendEntriesReply {
	f.c.t.Helper()
	var reply AppendEntriesReply
	if !f.cl.Call(to, "Raft.AppendEntries", &args, &reply) {
		f.c.Fatalf("AppendEntries to n%d got no reply on a reliable network", to)
	}
	return reply
}
