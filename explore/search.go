package explore

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"time"

	"protolab/labrpc"
)

// A Runner runs the scenario once: with this seed for the streams of the
// nodes, the clients and the harness, and this chooser for the world's
// choices. It reports how the run ended.
type Runner func(seed int64, ch labrpc.Chooser) Result

// Result is how one run ended.
type Result struct {
	// Err is the invariant the run broke (the world's error: a failed
	// check, a panic in node code); nil if it broke none. A run that ends
	// because the test's own assertions gave up (no leader within the
	// time, under the faults the search chose) breaks no invariant: a search
	// looks for safety violations, not for liveness.
	Err   error
	Steps int64 // events run
	// GoalAt is how many choices the run had taken when its goal (see
	// Options.Goal) first held; -1 if it never did.
	GoalAt int
}

// Strategy names a way to search.
type Strategy string

const (
	Random Strategy = "random" // the seed's choices, seed after seed: what plain testing does
	PCT    Strategy = "pct"    // random priorities with d-1 change points (pct.go)
	BFS    Strategy = "bfs"    // bounded exhaustive search, fewest faults first (bounded.go)
	DFS    Strategy = "dfs"    // the same tree, depth first
)

// Strategies are the strategies there are.
var Strategies = []Strategy{Random, PCT, BFS, DFS}

// ParseStrategy is the strategy called s, or an error listing them.
func ParseStrategy(s string) (Strategy, error) {
	for _, st := range Strategies {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("explore: no strategy %q; choose one of random, pct, bfs, dfs", s)
}

// Options bound a search. Every search stops at the first of: an invariant
// broken, Runs schedules, Budget of real time.
type Options struct {
	Strategy Strategy
	Seed     int64         // the first schedule's seed (schedule i runs seed Seed+i, or Seed for bfs/dfs)
	Runs     int           // schedules at most (default 1000)
	Budget   time.Duration // real time at most (default 10 s)

	// PCT: Depth is d, the depth of the bug looked for (d-1 priority change
	// points; default 3). Steps is k, the number of choices over which
	// change points are drawn (default: the first run's number of delay
	// choices).
	Depth, Steps int

	// Bounded search: at most MaxFaults choices differ from the default
	// (default 2), and only the first MaxPos choices of a run are varied
	// (default 300). Without state hashes (labrpc.StateHasher), at most
	// MaxPrefixes prefixes are tried (default Runs): the visited-prefix
	// bound of a stateless search.
	MaxFaults, MaxPos, MaxPrefixes int
	// Seeds is how many seeds (Seed, Seed+1, ...) a bounded search grows a
	// tree from (default 1): the nodes' own draws, such as election
	// time-outs, are the seed's, not choices.
	Seeds int

	// Long is how long a search holds a message it delays past the profile
	// (default 500 ms: past an election time-out).
	Long time.Duration

	// NoFaults keeps the search to the network's ordinary behaviour: no
	// message lost, none held past the profile's longest delay; only the
	// delays within the profile's range and the order of events due at once
	// vary. For properties that hold only without faults (SWIM: no member
	// declared dead while every link is healthy).
	NoFaults bool

	// Staged goals: with Goal set, a first search (bounded, fewest faults
	// first) looks for a run in which the Runner reports GoalAt >= 0; the
	// search proper then varies only the choices after that point, from the
	// state the first one reached.
	Goal bool

	// Shrink bounds the runs spent shrinking what was found (default 300;
	// negative: do not shrink).
	Shrink int

	// Progress, if set, gets a progress line every second or so, and the
	// last one at the end.
	Progress io.Writer
}

func (o *Options) defaults() {
	if o.Strategy == "" {
		o.Strategy = PCT
	}
	if o.Runs <= 0 {
		o.Runs = 1000
	}
	if o.Budget <= 0 {
		o.Budget = 10 * time.Second
	}
	if o.Depth <= 0 {
		o.Depth = 3
	}
	if o.MaxFaults <= 0 {
		o.MaxFaults = 2
	}
	if o.MaxPos <= 0 {
		o.MaxPos = 300
	}
	if o.Seeds <= 0 {
		o.Seeds = 1
	}
	if o.MaxPrefixes <= 0 {
		o.MaxPrefixes = o.Runs
	}
	if o.Long <= 0 {
		o.Long = 500 * time.Millisecond
	}
	if o.Shrink == 0 {
		o.Shrink = 300
	}
}

// Summary describes one run of a failure: its events, the faults among its
// choices, and the choices that differ from the default.
type Summary struct {
	Events, Faults, Choices, Varied int
}

func (s Summary) String() string {
	return fmt.Sprintf("%d events, %d faults, %d of %d choices varied", s.Events, s.Faults, s.Varied, s.Choices)
}

// Found is a failure a search found.
type Found struct {
	Err       error // the invariant broken (by the shrunk run)
	Seed      int64
	Plan      Plan                      // the shrunk run's choices
	Kinds     map[int]labrpc.ChoiceKind // the kind of each of the plan's positions
	Schedules int                       // schedules run until it was found (1 = the first)
	Before    Summary                   // the run as found
	After     Summary                   // the run as shrunk
	Shrinks   int                       // runs spent shrinking
}

// Report is what a search did.
type Report struct {
	Strategy  Strategy
	Found     *Found
	Schedules int // runs, not counting shrinking
	States    int // distinct states seen (bounded search with hashes), else distinct schedules
	Depth     int // the deepest level reached: faults (bfs/dfs), change points (pct)
	Elapsed   time.Duration
	Why       string // why it stopped
}

// Search runs a search.
func Search(run Runner, o Options) Report {
	o.defaults()
	s := &search{run: run, o: o, start: time.Now(), lastProgress: time.Now()}
	s.rep.Strategy = o.Strategy
	switch o.Strategy {
	case Random:
		s.random()
	case PCT:
		s.pct()
	case BFS, DFS:
		s.bounded()
	default:
		s.rep.Why = fmt.Sprintf("no strategy %q", o.Strategy)
	}
	s.rep.Elapsed = time.Since(s.start)
	s.progress(true)
	if s.found != nil && o.Shrink > 0 {
		s.shrink()
	}
	s.rep.Found = s.found
	return s.rep
}

type search struct {
	run          Runner
	o            Options
	start        time.Time
	lastProgress time.Time
	rep          Report
	found        *Found
	foundPoints  []Point
	states       map[uint64]bool
}

// try runs one schedule and keeps it if it broke an invariant.
func (s *search) try(seed int64, r *recorder) Result {
	res := s.run(seed, r)
	s.rep.Schedules++
	if res.Err != nil && s.found == nil {
		s.found = &Found{Err: res.Err, Seed: seed, Plan: planOf(r.points), Kinds: kindsOf(r.points), Schedules: s.rep.Schedules}
		s.found.Before = summarize(r.points, res.Steps)
		s.found.After = s.found.Before
		s.foundPoints = r.points
		s.rep.Why = "found a broken invariant"
	}
	s.progress(false)
	return res
}

// over reports whether the search must stop, and says why.
func (s *search) over() bool {
	switch {
	case s.found != nil:
		return true
	case s.rep.Schedules >= s.o.Runs:
		s.rep.Why = fmt.Sprintf("ran its %d schedules", s.o.Runs)
		return true
	case time.Since(s.start) >= s.o.Budget:
		s.rep.Why = fmt.Sprintf("spent its budget of %v", s.o.Budget)
		return true
	}
	return false
}

func (s *search) progress(last bool) {
	if s.o.Progress == nil || !last && time.Since(s.lastProgress) < time.Second {
		return
	}
	s.lastProgress = time.Now()
	el := time.Since(s.start)
	rate := float64(s.rep.Schedules) / max(el.Seconds(), 1e-3)
	states := s.rep.States
	if states == 0 {
		states = s.rep.Schedules
	}
	fmt.Fprintf(s.o.Progress, "explore %s: %d schedules, %d states, depth %d, %.0f states/s, %v\n",
		s.o.Strategy, s.rep.Schedules, states, s.rep.Depth, rate*float64(states)/max(float64(s.rep.Schedules), 1), el.Round(100*time.Millisecond))
}

// random is plain random testing: seed after seed, every choice the seed's.
func (s *search) random() {
	for i := 0; !s.over(); i++ {
		s.try(s.o.Seed+int64(i), &recorder{plan: Plan{Rest: RestSeeded}})
	}
}

func kindsOf(points []Point) map[int]labrpc.ChoiceKind {
	k := make(map[int]labrpc.ChoiceKind, len(points))
	for i, p := range points {
		k[i] = p.Kind
	}
	return k
}

func summarize(points []Point, steps int64) Summary {
	s := Summary{Events: int(steps), Choices: len(points)}
	for _, p := range points {
		if p.Fault() {
			s.Faults++
		}
		if p.Value != p.Default {
			s.Varied++
		}
	}
	return s
}

// digits normalises a failure's first line for "the same invariant": the
// numbers in it (terms, indexes, nodes, times) may change as it shrinks.
var digits = regexp.MustCompile(`[0-9]+`)

// SameFailure reports whether two errors are the same broken invariant:
// their first lines agree but for numbers.
func SameFailure(a, b error) bool {
	if a == nil || b == nil {
		return false
	}
	return digits.ReplaceAllString(firstLine(a.Error()), "#") == digits.ReplaceAllString(firstLine(b.Error()), "#")
}

func firstLine(s string) string {
	for i := range len(s) {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}

var errNoStrategy = errors.New("explore: no strategy")
