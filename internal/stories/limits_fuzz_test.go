package stories

import (
	"flag"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzRunFlags gives the flags of 'lab run' arbitrary values, as a careless
// or curious user may. Parsing and checking must never panic, and whatever
// Configure accepts for a lab's runner must be a run that ends: nodes in
// the runner's bounds, a finite load within its limit, a length within
// MaxFor, between 1 and MaxOps operations, and a fault the runner
// survives, named once.
//
// The seed corpus (testdata/fuzz/FuzzRunFlags) holds the values of issue 13
// and the edges of each range; go test runs it every time, and `make fuzz`
// runs the fuzzer for longer.
func FuzzRunFlags(f *testing.F) {
	f.Add("kvsrv", "1", "10s", "100", "reliable")
	f.Fuzz(func(t *testing.T, lab, nodes, dur, load, faults string) {
		i := slices.IndexFunc(Runners, func(r Runner) bool { return r.Name == lab })
		if i < 0 {
			return
		}
		rn := Runners[i]
		// The flags as lab run declares them: the flag package parses the values.
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		var q Request
		fs.IntVar(&q.Nodes, "nodes", 0, "")
		fs.DurationVar(&q.For, "for", 10*time.Second, "")
		fs.Float64Var(&q.Load, "load", 0, "")
		fs.StringVar(&q.Faults, "faults", "reliable", "")
		var args []string
		for _, kv := range [][2]string{{"nodes", nodes}, {"for", dur}, {"load", load}, {"faults", faults}} {
			if kv[1] != "" {
				args = append(args, "--"+kv[0]+"="+kv[1])
			}
		}
		fs.SetOutput(io.Discard)
		if err := fs.Parse(args); err != nil {
			return // the flag package refuses it, with its own message
		}
		q.NodesSet, q.LoadSet = nodes != "", load != ""
		cfg, err := rn.Configure(q)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--") {
				t.Fatalf("an error that names no flag: %v", err)
			}
			return
		}
		lo, hi := max(rn.MinNodes, 1), rn.MaxNodes
		if hi == 0 {
			hi = MaxNodes
		}
		maxLoad := rn.MaxLoad
		if maxLoad == 0 {
			maxLoad = MaxLoad
		}
		ops := cfg.Load * q.For.Seconds()
		switch {
		case cfg.Nodes < lo || cfg.Nodes > hi:
			t.Fatalf("accepted %d nodes for %s (%d to %d)", cfg.Nodes, lab, lo, hi)
		case math.IsNaN(cfg.Load) || math.IsInf(cfg.Load, 0) || cfg.Load <= 0 || cfg.Load > maxLoad:
			t.Fatalf("accepted --load %g for %s", cfg.Load, lab)
		case q.For <= 0 || q.For > MaxFor || q.For+SettleBudget < q.For:
			t.Fatalf("accepted --for %v", q.For)
		case ops < 1 || ops > MaxOps:
			t.Fatalf("accepted %g operations", ops)
		case time.Duration(float64(time.Second)*5/cfg.Load) <= 0:
			t.Fatalf("--load %g gives no gap between operations", cfg.Load)
		}
		seen := map[string]bool{}
		for _, fault := range cfg.Faults {
			if seen[fault] || !slices.Contains(rn.Faults, fault) {
				t.Fatalf("accepted fault %q for %s (it takes %v)", fault, lab, rn.Faults)
			}
			seen[fault] = true
		}
	})
}
