package main

import (
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzRunFlags gives the flags of 'lab run' arbitrary values, as a careless
// or curious user may. Parsing and checking must never panic, and whatever
// checkRunFlags accepts for a lab's runner must be a run that ends: nodes in
// the runner's bounds, a finite load within its limit, a length within
// maxRunFor, between 1 and maxRunOps operations, and a fault the runner
// survives, named once.
//
// The seed corpus (testdata/fuzz/FuzzRunFlags) holds the values of issue 13
// and the edges of each range; go test runs it every time, and `make fuzz`
// runs the fuzzer for longer.
func FuzzRunFlags(f *testing.F) {
	f.Add("kvsrv", "1", "10s", "100", "reliable")
	f.Fuzz(func(t *testing.T, lab, nodes, dur, load, faults string) {
		rn, ok := findRunner(lab)
		if !ok {
			return
		}
		fs, fl := newRunFlags()
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
		set := map[string]bool{}
		for _, kv := range [][2]string{{"nodes", nodes}, {"for", dur}, {"load", load}, {"faults", faults}} {
			set[kv[0]] = kv[1] != ""
		}
		cfg, err := checkRunFlags(rn, fl, set)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--") {
				t.Fatalf("an error that names no flag: %v", err)
			}
			return
		}
		lo, hi := max(rn.MinNodes, 1), rn.MaxNodes
		if hi == 0 {
			hi = maxRunNodes
		}
		maxLoad := rn.MaxLoad
		if maxLoad == 0 {
			maxLoad = maxRunLoad
		}
		ops := cfg.load * fl.dur.Seconds()
		switch {
		case cfg.nodes < lo || cfg.nodes > hi:
			t.Fatalf("accepted %d nodes for %s (%d to %d)", cfg.nodes, lab, lo, hi)
		case math.IsNaN(cfg.load) || math.IsInf(cfg.load, 0) || cfg.load <= 0 || cfg.load > maxLoad:
			t.Fatalf("accepted --load %g for %s", cfg.load, lab)
		case fl.dur <= 0 || fl.dur > maxRunFor || fl.dur+runSettleBudget < fl.dur:
			t.Fatalf("accepted --for %v", fl.dur)
		case ops < 1 || ops > maxRunOps:
			t.Fatalf("accepted %g operations", ops)
		case time.Duration(float64(time.Second)*5/cfg.load) <= 0:
			t.Fatalf("--load %g gives no gap between operations", cfg.load)
		}
		seen := map[string]bool{}
		for _, fault := range cfg.faults {
			if seen[fault] || !slices.Contains(rn.Faults, fault) {
				t.Fatalf("accepted fault %q for %s (it takes %v)", fault, lab, rn.Faults)
			}
			seen[fault] = true
		}
	})
}
