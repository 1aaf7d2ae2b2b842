package stories

import (
	"math/rand/v2"
	"slices"
	"time"

	"protolab/labrpc"
	"protolab/replog/harness"
	"protolab/tests/nemesis"
)

// A Runner is one lab's workload for 'lab run': a cluster, clients offering a
// load, the nemesis faults the lab survives, and the lab's checks.
type Runner struct {
	Name    string // one word: 'lab run NAME'
	Summary string // one line, for 'lab help run'
	// Nodes is the default cluster size; MinNodes and MaxNodes bound --nodes
	// (0: no bound of the runner's own).
	Nodes, MinNodes, MaxNodes int
	// Load is the default offered load, in operations per second of virtual
	// time; what an operation is depends on the lab (a client's Get or Put, a
	// command submitted to the leader, a broadcast).
	Load float64
	// MaxLoad bounds --load (0: the tool's own bound): a log replicated on
	// every command falls behind a load it cannot carry, and a run that offers
	// more takes minutes without saying more.
	MaxLoad float64
	// Faults lists the nemesis faults the lab survives, beyond the network
	// profile: some of Faults below.
	Faults []string
	// Engines names the consensus engines the runner's service runs on, the
	// default first ("raft", "paxos"), which 'lab run --engine' picks from;
	// none: it runs on no engine, and --engine is refused.
	Engines []string
	// Run boots the nodes on r.W, starts the workload and r.StartFaults, runs
	// for r.For of virtual time, and records what happened through r's
	// methods. An error means the run could not be done (a misuse); a broken
	// invariant is recorded with r.Check.
	Run func(r *Run) error
}

// Faults are the nemesis faults 'lab run --faults' knows (tests/nemesis).
var Faults = []string{"partitions", "crashes", "outages"}

// A Run is one 'lab run': what the runner is given, and what it records.
type Run struct {
	W      *labrpc.World
	Nodes  int
	Seed   int64
	For    time.Duration // how long the workload runs, in virtual time
	Load   float64       // offered load, operations per second of virtual time
	Faults []string      // the nemesis faults asked for (a subset of the runner's)
	Engine string        // the engine asked for (one of the runner's Engines), or ""

	Counts    []Count
	Latencies []time.Duration
	Checks    []Check
}

// A Count is a number the runner counted, with its name.
type Count struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// A Check is the result of one of the runner's invariant checks.
type Check struct {
	Name  string `json:"name"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// Count adds n to the count called name ("operations", "commits",
// "elections", "deliveries"); the summary lists counts in the order they
// were first counted.
func (r *Run) Count(name string, n int64) {
	for i := range r.Counts {
		if r.Counts[i].Name == name {
			r.Counts[i].Value += n
			return
		}
	}
	r.Counts = append(r.Counts, Count{name, n})
}

// Latency records how long one operation took, in virtual time.
func (r *Run) Latency(d time.Duration) { r.Latencies = append(r.Latencies, d) }

// Check records the result of an invariant check (nil: it holds).
func (r *Run) Check(name string, err error) {
	c := Check{Name: name, OK: err == nil}
	if err != nil {
		c.Error = err.Error()
	}
	r.Checks = append(r.Checks, c)
}

// Has reports whether the nemesis fault was asked for.
func (r *Run) Has(fault string) bool { return slices.Contains(r.Faults, fault) }

// StartFaults starts the nemesis with the faults --faults asked for, over the
// first 80% of r.For from now, drawing from the world's harness stream (so it
// replays from the seed). At its end the nemesis undoes what it did; the
// network profile stays the one --faults named.
func (r *Run) StartFaults() {
	if len(r.Faults) == 0 {
		return
	}
	nodes := make([]int, r.Nodes)
	for i := range nodes {
		nodes[i] = i
	}
	nemesis.Nemesis{Nodes: nodes, Every: max(r.For/20, 50*time.Millisecond), For: r.For * 8 / 10,
		Partitions: r.Has("partitions"), Crashes: r.Has("crashes"), Outages: r.Has("outages")}.Start(r.W)
}

// Arrivals is a client's workload, run in the client's simulated process:
// operations arrive at random (a Poisson process with the given mean gap,
// drawn from rng) until r.For has passed since the call, and op(n, at) runs
// the n-th (from 0), which arrived at virtual time at. One that arrives while
// the last is still running starts as soon as it ends.
func (r *Run) Arrivals(rng *rand.Rand, gap time.Duration, op func(n int, at time.Duration)) {
	w := r.W
	end := w.Now() + r.For
	next := w.Now()
	for n := 0; ; n++ {
		next += time.Duration(rng.ExpFloat64() * float64(gap))
		if next >= end {
			// The next arrival is past the workload's end: wait for the end,
			// not for it, so that a light load never outlasts the run.
			w.Sleep(max(end-w.Now(), 0))
			return
		}
		if next > w.Now() {
			w.Sleep(next - w.Now())
		}
		if w.Now() >= end {
			return
		}
		op(n, next)
	}
}

// Execute runs rn on a new world with cfg's seed, nodes and profile, for
// length of virtual time at load operations per second with the faults named,
// and returns what it recorded, its world closed. A run that stops the world
// (a broken check, a misuse) is recorded as the check "the run completes".
func (rn Runner) Execute(cfg labrpc.Config, length time.Duration, c Config) *Run {
	w := labrpc.NewWorld(cfg)
	r := &Run{W: w, Nodes: cfg.Nodes, Seed: cfg.Seed, For: length, Load: c.Load, Faults: c.Faults, Engine: c.Engine}
	err := harness.Run(w, func() error { return rn.Run(r) })
	w.Close()
	if err == nil {
		err = w.Err()
	}
	if err != nil {
		r.Check("the run completes", err)
	}
	return r
}

// perCommit is n / commits, rounded to the nearest whole number.
func perCommit(n, commits int64) int64 {
	if commits == 0 {
		return 0
	}
	return (n + commits/2) / commits
}
