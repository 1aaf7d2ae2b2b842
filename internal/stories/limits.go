package stories

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"protolab/internal/suggest"
	"protolab/labrpc"
	"protolab/replog/harness"
)

// The limits of 'lab run', so that every run it starts ends, in minutes at most,
// with an answer: a load or a length past them is refused before the run, with the
// limit and the way round it.
const (
	// MaxFor bounds --for, the workload's length in virtual time.
	MaxFor = time.Hour
	// SettleBudget is the virtual time a run may take past --for, for its
	// clients to finish and its checks to settle (every runner needs less): the
	// world's time budget is --for plus this.
	SettleBudget = 2 * time.Minute
	// MaxLoad bounds --load, in operations per second of virtual time.
	MaxLoad = 10_000
	// MaxOps bounds --load × --for, the operations a run offers.
	MaxOps = 20_000
	// MaxNodes bounds --nodes for a runner that sets no bound of its own.
	MaxNodes = 25
)

// A Request is what the command line of 'lab run' asks of a runner.
type Request struct {
	Nodes    int
	NodesSet bool // --nodes was given; else the runner's default
	Load     float64
	LoadSet  bool // --load was given; else the runner's default
	For      time.Duration
	Faults   string // a network profile, then nemesis faults after "+"
	Engine   string // --engine: a consensus engine, or "" for the runner's default
}

// A Config is a Request checked, with the runner's defaults filled in.
type Config struct {
	Nodes   int
	Load    float64
	Profile labrpc.Profile
	Faults  []string
	Engine  string // one of the runner's Engines ("" if it has none)
}

// Configure checks a request for the runner and fills in its defaults. Each error
// names the flag, what it may be, and what to do instead.
func (rn Runner) Configure(q Request) (Config, error) {
	cfg := Config{Nodes: q.Nodes, Load: q.Load}
	if !q.NodesSet {
		cfg.Nodes = rn.Nodes
	}
	if !q.LoadSet {
		cfg.Load = rn.Load
	}
	maxLoad := rn.MaxLoad
	if maxLoad == 0 {
		maxLoad = MaxLoad
	}
	lo, hi := max(rn.MinNodes, 1), rn.MaxNodes
	if hi == 0 {
		hi = MaxNodes
	}
	switch {
	case (cfg.Nodes < lo || cfg.Nodes > hi) && lo == hi:
		return cfg, fmt.Errorf("--nodes %d: %s runs with %s; give --nodes %d, or leave it out", cfg.Nodes, rn.Name, nodeRange(lo, hi), lo)
	case cfg.Nodes < lo || cfg.Nodes > hi:
		return cfg, fmt.Errorf("--nodes %d: %s runs with %s; give --nodes from %d to %d, or leave it out for %d", cfg.Nodes, rn.Name, nodeRange(lo, hi), lo, hi, rn.Nodes)
	case q.For <= 0 || q.For > MaxFor:
		return cfg, fmt.Errorf("--for %v: the workload runs for more than 0 and at most %v of virtual time; give a --for in that range", q.For, MaxFor)
	case math.IsNaN(cfg.Load) || cfg.Load <= 0 || cfg.Load > maxLoad:
		return cfg, fmt.Errorf("--load %g: %s offers more than 0 and at most %g operations per second of virtual time; give a --load in that range, or leave it out for %g", cfg.Load, rn.Name, maxLoad, rn.Load)
	}
	switch ops := cfg.Load * q.For.Seconds(); {
	case ops < 1:
		return cfg, fmt.Errorf("--load %g for --for %v offers %.3g operations, less than one: give a --load of at least %.3g, or a longer --for", cfg.Load, q.For, ops, 1/q.For.Seconds())
	case ops > MaxOps:
		return cfg, fmt.Errorf("--load %g for --for %v offers %.0f operations, and a run offers at most %d: lower --load or --for", cfg.Load, q.For, ops, MaxOps)
	}
	engine := q.Engine
	if engine == "multipaxos" {
		engine = "paxos" // the engine's own name for itself (paxos.Engine.Name)
	}
	switch {
	case engine != "" && len(rn.Engines) == 0:
		return cfg, fmt.Errorf("--engine %s: %s runs on no consensus engine; leave --engine out", q.Engine, rn.Name)
	case engine != "" && !slices.Contains(rn.Engines, engine):
		return cfg, fmt.Errorf("--engine %s: %s runs on %s; give one of them, or leave --engine out for %s", q.Engine, rn.Name, strings.Join(rn.Engines, " or "), rn.Engines[0])
	case engine == "" && len(rn.Engines) > 0:
		engine = rn.Engines[0]
	}
	cfg.Engine = engine
	profileName, faultList, _ := strings.Cut(q.Faults, "+")
	var err error
	if cfg.Profile, err = labrpc.NamedProfile(profileName); err != nil {
		return cfg, fmt.Errorf("--faults: no network profile %q%s; the profiles are %s", profileName, didYouMean(profileName, labrpc.ProfileNames()), strings.Join(labrpc.ProfileNames(), ", "))
	}
	if faultList == "" {
		return cfg, nil
	}
	for _, fault := range strings.Split(faultList, "+") {
		switch {
		case !slices.Contains(Faults, fault):
			return cfg, fmt.Errorf("--faults: no fault %q%s; the faults are %s", fault, didYouMean(fault, Faults), strings.Join(Faults, ", "))
		case !slices.Contains(rn.Faults, fault) && len(rn.Faults) == 0:
			return cfg, fmt.Errorf("--faults: %s does not survive %s; it takes none", rn.Name, fault)
		case !slices.Contains(rn.Faults, fault):
			return cfg, fmt.Errorf("--faults: %s does not survive %s; it takes %s", rn.Name, fault, strings.Join(rn.Faults, ", "))
		case slices.Contains(cfg.Faults, fault):
			return cfg, fmt.Errorf("--faults: %s is named twice", fault)
		}
		cfg.Faults = append(cfg.Faults, fault)
	}
	return cfg, nil
}

// didYouMean returns ` (did you mean "x"?)` for the candidate that name is most
// likely a typo of, or "".
func didYouMean(name string, candidates []string) string {
	if best := suggest.Closest(name, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// nodeRange says how many nodes a runner takes: from lo to hi, both at least 1.
func nodeRange(lo, hi int) string {
	if lo == hi {
		return fmt.Sprintf("%d node(s)", lo)
	}
	return fmt.Sprintf("%d to %d nodes", lo, hi)
}

// Summary is what 'lab run' reports of a run, and what its --json prints.
type Summary struct {
	Protocol   string  `json:"protocol"`
	Nodes      int     `json:"nodes"`
	Seed       int64   `json:"seed"`
	Faults     string  `json:"faults"`
	ForMS      float64 `json:"for_ms"`
	Load       float64 `json:"load"`
	Messages   int64   `json:"messages"`
	Bytes      int64   `json:"bytes"`
	Counts     []Count `json:"counts"`
	Operations int     `json:"timed_operations"`
	P50MS      float64 `json:"latency_p50_ms"`
	P99MS      float64 `json:"latency_p99_ms"`
	Events     int64   `json:"events"`
	VirtualMS  float64 `json:"virtual_ms"`
	WallMS     float64 `json:"wall_ms"`
	SimSecPerS float64 `json:"simsec_per_s"`
	Digest     string  `json:"digest"`
	Checks     []Check `json:"checks"`
	OK         bool    `json:"ok"`
	HTML       string  `json:"html,omitempty"`
}

// Summarize sums up the run, which took wall of wall time; faults is --faults as
// given.
func (r *Run) Summarize(protocol, faults string, wall time.Duration) Summary {
	w := r.W
	s := Summary{Protocol: protocol, Nodes: r.Nodes, Seed: r.Seed, Faults: faults, ForMS: ms(r.For), Load: r.Load,
		Messages: w.TotalRPCs(), Bytes: w.TotalBytes(), Counts: r.Counts, Operations: len(r.Latencies),
		Events: w.Steps(), VirtualMS: ms(w.Now()), WallMS: ms(wall), Digest: w.Digest(), Checks: r.Checks, OK: true}
	if s.Counts == nil {
		s.Counts = []Count{}
	}
	if wall > 0 {
		s.SimSecPerS = w.Now().Seconds() / wall.Seconds()
	}
	s.P50MS, s.P99MS = ms(harness.Percentile(r.Latencies, 50)), ms(harness.Percentile(r.Latencies, 99))
	for _, ch := range r.Checks {
		s.OK = s.OK && ch.OK
	}
	return s
}

// ms is a duration in milliseconds, for JSON.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
