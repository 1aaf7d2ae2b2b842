package raft

import (
	"fmt"
	"slices"
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// The cluster is the Raft tests' harness: it starts n peers in a simulated
// world, plays their service (it records what each peer applies, and takes a
// snapshot every so often if asked), and checks Raft's safety properties
// after every event of the run, not only at the end:
//
//   - election safety: at most one leader per term (§5.2);
//   - state-machine safety: no two peers apply different commands at one
//     index, and each peer applies each index once, in order (§5.4.3);
//   - leader completeness: a new leader's log holds every entry committed
//     before it was elected (§5.4);
//   - log matching: two logs with an entry of the same index and term agree
//     on it and on the term of the entry before it, hence on the whole prefix
//     (§5.3). The last entry of every log is checked after every event, the
//     whole logs every fullCheckEvery of virtual time.
//
// The helpers use the API a replicated log gives its service (Start,
// GetState, apply), which Multi-Paxos (lab 5) shares; only the log-matching
// and leader-completeness checks look inside Raft.

const fullCheckEvery = 200 * time.Millisecond

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
	t   testingT
	w   *labrpc.World
	n   int
	cfg clusterConfig

	peers   []*Raft // each node's current incarnation (check w.Alive too)
	applied []int   // the last index each peer's current incarnation applied

	// Everything applied so far, by anyone: committed[i] is the command at
	// index i (committed[0] is unused), appliedBy[i] the first peer that
	// applied it, and prefix[i] a hash of the commands 1..i, which is what
	// the service's snapshots hold.
	committed []any
	appliedBy []int
	prefix    []uint64

	snapshotAt []int // the last snapshot each node took or installed, across crashes

	booting   []bool // Make is running for this node: its apply calls restore
	installed int    // snapshots installed by a leader (not restored at boot)

	leaders   map[int]int // term -> the leader seen in it
	logs      map[logKey]logVal
	nextFull  time.Duration
	applyErrs int

	// onCommand, if set, is called after peer i applies the command at
	// index: the benchmarks time commits with it.
	onCommand func(i, index int)
}

type logKey struct{ index, term int }

type logVal struct {
	cmd      any
	prevTerm int
	peer     int
}

func newCluster(t *tests.T, n int, cfg clusterConfig) *cluster {
	c := newClusterIn(t, t.NewWorld(worldConfig(n, cfg)), n, cfg)
	t.CountCommitted(func() int { return len(c.committed) - 1 }) // -v's closing line
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
		peers:      make([]*Raft, n),
		applied:    make([]int, n),
		committed:  []any{nil},
		appliedBy:  []int{-1},
		prefix:     []uint64{0},
		snapshotAt: make([]int, n),
		booting:    make([]bool, n),
		leaders:    map[int]int{},
		logs:       map[logKey]logVal{},
	}
	w.Check(c.checkSafety)
	for i := 0; i < n; i++ {
		if cfg.only == nil || slices.Contains(cfg.only, i) {
			c.start(i)
		}
	}
	return c
}

// boot is node i's boot function: a fresh Raft from the node's Persister,
// with this cluster as its service.
func (c *cluster) boot(i int) labrpc.Boot {
	return func(env labrpc.Env) any {
		c.peers[i] = nil
		c.applied[i] = 0 // a new incarnation rebuilds its state machine
		c.booting[i] = true
		rf := Make(env, env.Persister(), func(m ApplyMsg) { c.onApply(i, m) })
		c.booting[i] = false
		if c.snapshotAt[i] > c.applied[i] {
			c.w.Fail(fmt.Errorf("n%d restarted with its state at index %d, but it had a snapshot through index %d before it crashed: restore the snapshot at boot, and never let its index go back (§7)", i, c.applied[i], c.snapshotAt[i]))
		}
		c.peers[i] = rf
		return rf
	}
}

func (c *cluster) start(i int) { c.w.Start(i, c.boot(i)) }

// crash stops node i; its Persister survives.
func (c *cluster) crash(i int) { c.w.Crash(i) }

// restart starts node i again from its Persister (crashing it first if it
// runs).
func (c *cluster) restart(i int) {
	c.w.Crash(i)
	c.start(i)
}

func (c *cluster) disconnect(i int) { c.w.Disconnect(i) }
func (c *cluster) connect(i int)    { c.w.Connect(i) }

// up reports whether node i runs and is connected.
func (c *cluster) up(i int) bool { return c.w.Alive(i) && c.w.Connected(i) && c.peers[i] != nil }

// raft is node i's current Raft, or nil if it is down.
func (c *cluster) raft(i int) *Raft {
	if !c.w.Alive(i) {
		return nil
	}
	return c.peers[i]
}

func (c *cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.w.Note("test fails: "+format, args...)
	c.t.Fatalf(format, args...)
}

// The service: what each peer applies.

func (c *cluster) onApply(i int, m ApplyMsg) {
	switch {
	case m.CommandValid:
		c.applyCommand(i, m)
	case m.SnapshotValid:
		c.applySnapshot(i, m)
	default:
		c.w.Fail(fmt.Errorf("n%d applied a message with neither CommandValid nor SnapshotValid: %+v", i, m))
	}
}

func (c *cluster) applyCommand(i int, m ApplyMsg) {
	index := m.CommandIndex
	if index != c.applied[i]+1 {
		c.w.Fail(fmt.Errorf("n%d applied index %d right after index %d: a peer applies every index once, in order (Figure 2, lastApplied)", i, index, c.applied[i]))
		return
	}
	switch {
	case index < len(c.committed):
		if !replog.SameCommand(c.committed[index], m.Command) {
			c.w.Fail(fmt.Errorf("n%d and n%d applied different commands at index %d: %s and %s (state-machine safety, §5.4.3)",
				c.appliedBy[index], i, index, replog.Show(c.committed[index]), replog.Show(m.Command)))
			return
		}
	case index == len(c.committed):
		c.committed = append(c.committed, m.Command)
		c.appliedBy = append(c.appliedBy, i)
		c.prefix = append(c.prefix, replog.ExtendHash(c.prefix[index-1], m.Command))
	default:
		// Unreachable if the peer applied index-1 first; kept for clarity.
		c.w.Fail(fmt.Errorf("n%d applied index %d, but no peer has applied index %d", i, index, index-1))
		return
	}
	c.applied[i] = index
	if c.onCommand != nil {
		c.onCommand(i, index)
	}
	if c.cfg.snapEvery > 0 && index%c.cfg.snapEvery == 0 && c.peers[i] != nil {
		c.snapshotAt[i] = index
		c.peers[i].Snapshot(index, replog.EncodeSnapshot(index, c.prefix[index]))
	}
}

func (c *cluster) applySnapshot(i int, m ApplyMsg) {
	index, hash, err := replog.DecodeSnapshot(m.Snapshot)
	switch {
	case err != nil:
		c.w.Fail(fmt.Errorf("n%d applied a snapshot through index %d whose data is not the service's (%v): was the snapshot lost or not kept (§7)?", i, m.SnapshotIndex, err))
		return
	case index != m.SnapshotIndex:
		c.w.Fail(fmt.Errorf("n%d applied a snapshot labelled index %d that the service took at index %d (§7)", i, m.SnapshotIndex, index))
		return
	case index < c.applied[i]:
		c.w.Fail(fmt.Errorf("n%d applied a snapshot through index %d after it had applied index %d: its state would go back (§7)", i, index, c.applied[i]))
		return
	case index >= len(c.committed) || hash != c.prefix[index]:
		c.w.Fail(fmt.Errorf("n%d applied a snapshot through index %d whose state is not that of the committed entries 1..%d (§7)", i, index, index))
		return
	}
	c.applied[i] = index
	c.snapshotAt[i] = max(c.snapshotAt[i], index)
	if !c.booting[i] {
		c.installed++
	}
}

// The continuous checks.

func (c *cluster) checkSafety() error {
	full := c.w.Now() >= c.nextFull
	if full {
		c.nextFull = c.w.Now() + fullCheckEvery
	}
	for i := 0; i < c.n; i++ {
		rf := c.raft(i)
		if rf == nil {
			continue
		}
		term, isLeader := rf.GetState()
		if isLeader {
			if err := c.checkLeader(i, rf, term); err != nil {
				return err
			}
		}
		if full {
			for k := rf.log.firstIndex() + 1; k <= rf.log.lastIndex(); k++ {
				if err := c.checkEntry(i, rf, k); err != nil {
					return err
				}
			}
		} else if last := rf.log.lastIndex(); last > rf.log.firstIndex() {
			if err := c.checkEntry(i, rf, last); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLeader checks election safety for a leader seen in term, and, the
// first time it is seen, leader completeness.
func (c *cluster) checkLeader(i int, rf *Raft, term int) error {
	if l, seen := c.leaders[term]; seen {
		if l != i {
			return fmt.Errorf("two leaders in term %d: peers %d and %d (election safety, §5.2)", term, min(l, i), max(l, i))
		}
		return nil
	}
	c.leaders[term] = i
	last := len(c.committed) - 1
	if rf.log.lastIndex() < last {
		return fmt.Errorf("n%d became leader of term %d with a log that ends at index %d, but entries up to %d are committed (leader completeness, §5.4; check the up-to-date rule of §5.4.1)",
			i, term, rf.log.lastIndex(), last)
	}
	for k := rf.log.firstIndex() + 1; k <= last; k++ {
		if e := rf.log.entry(k); !replog.SameCommand(e.Command, c.committed[k]) {
			return fmt.Errorf("n%d became leader of term %d with %s at index %d, but %s is committed there (leader completeness, §5.4; check the up-to-date rule of §5.4.1)",
				i, term, replog.Show(e.Command), k, replog.Show(c.committed[k]))
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

// The helpers tests are written with.

// checkOneLeader waits until a peer that runs and is connected leads, and
// returns it (the one in the highest term if several think they lead).
func (c *cluster) checkOneLeader() int {
	c.t.Helper()
	var leader int
	found := c.w.WaitUntil(func() bool {
		leader = -1
		best := -1
		for i := 0; i < c.n; i++ {
			if !c.up(i) {
				continue
			}
			if term, isLeader := c.peers[i].GetState(); isLeader && term > best {
				leader, best = i, term
			}
		}
		return leader >= 0
	}, 50*time.Millisecond, 5*time.Second)
	if !found {
		c.fatalf("no leader among the connected peers after 5s (expected one, §5.2)")
	}
	return leader
}

// checkNoLeader requires that no connected peer believes it leads.
func (c *cluster) checkNoLeader() {
	c.t.Helper()
	for i := 0; i < c.n; i++ {
		if !c.up(i) {
			continue
		}
		if term, isLeader := c.peers[i].GetState(); isLeader {
			c.fatalf("n%d is leader of term %d, but no majority is connected: there should be no leader", i, term)
		}
	}
}

// checkTerms requires that the connected peers agree on the term, and
// returns it.
func (c *cluster) checkTerms() int {
	c.t.Helper()
	term := -1
	for i := 0; i < c.n; i++ {
		if !c.up(i) {
			continue
		}
		t, _ := c.peers[i].GetState()
		if term == -1 {
			term = t
		} else if t != term {
			c.fatalf("the connected peers disagree on the term: %d and %d", term, t)
		}
	}
	return term
}

// nCommitted is how many peers have applied index, and the command there.
func (c *cluster) nCommitted(index int) (int, any) {
	count := 0
	for i := 0; i < c.n; i++ {
		if c.applied[i] >= index {
			count++
		}
	}
	if index < len(c.committed) {
		return count, c.committed[index]
	}
	return count, nil
}

// one submits cmd to a leader and waits until expected peers have applied
// it; it returns the command's index. It tries the peers in turn until one
// takes the command; if the command then does not commit within 2s it fails,
// unless retry, in which case it submits it again (for tests where a leader
// may lose its office meanwhile). After 10s it fails in any case.
func (c *cluster) one(cmd any, expected int, retry bool) int {
	c.t.Helper()
	deadline := c.w.Now() + 10*time.Second
	next := 0
	for c.w.Now() < deadline {
		index := -1
		for k := 0; k < c.n; k++ {
			i := next
			next = (next + 1) % c.n
			if !c.up(i) {
				continue
			}
			if idx, _, ok := c.peers[i].Start(cmd); ok {
				index = idx
				break
			}
		}
		if index < 0 {
			c.w.Sleep(50 * time.Millisecond)
			continue
		}
		until := c.w.Now() + 2*time.Second
		for c.w.Now() < until {
			if n, got := c.nCommitted(index); n > 0 && n >= expected && replog.SameCommand(got, cmd) {
				return index
			}
			c.w.Sleep(20 * time.Millisecond)
		}
		if !retry {
			n, got := c.nCommitted(index)
			c.fatalf("one(%s): %d of the %d expected peers applied index %d within 2s (it holds %s)", replog.Show(cmd), n, expected, index, replog.Show(got))
		}
	}
	c.fatalf("one(%s): no agreement within 10s", replog.Show(cmd))
	return -1
}

// wait waits until n peers have applied index and returns the command
// there; it gives up (returning nil) if a peer moves past startTerm, since
// the command may then never commit.
func (c *cluster) wait(index, n int, startTerm int) any {
	c.t.Helper()
	to := 10 * time.Millisecond
	for iters := 0; iters < 30; iters++ {
		if nd, _ := c.nCommitted(index); nd >= n {
			break
		}
		c.w.Sleep(to)
		if to < time.Second {
			to *= 2
		}
		if startTerm > -1 {
			for i := 0; i < c.n; i++ {
				if rf := c.raft(i); rf != nil {
					if t, _ := rf.GetState(); t > startTerm {
						return nil
					}
				}
			}
		}
	}
	nd, cmd := c.nCommitted(index)
	if nd < n {
		c.fatalf("only %d peers applied index %d; wanted %d", nd, index, n)
	}
	return cmd
}

// rpcs is the number of RPCs the peers have sent.
func (c *cluster) rpcs() int64 { return c.w.TotalRPCs() }

// percentiles returns the largest and the median of ds.
func percentiles(ds []time.Duration) (worst, median time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	return sorted[len(sorted)-1], sorted[len(sorted)/2]
}

// percentile returns the p-th percentile (0 < p <= 100) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Clone(ds)
	slices.Sort(sorted)
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

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
		f.c.fatalf("RequestVote to n%d got no reply on a reliable network", to)
	}
	return reply
}

func (f fakePeer) appendEntries(to int, args AppendEntriesArgs) AppendEntriesReply {
	f.c.t.Helper()
	var reply AppendEntriesReply
	if !f.cl.Call(to, "Raft.AppendEntries", &args, &reply) {
		f.c.fatalf("AppendEntries to n%d got no reply on a reliable network", to)
	}
	return reply
}
