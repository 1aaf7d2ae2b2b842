package stories

import (
	"slices"
	"strings"
	"testing"
)

// The tables are the only registration there is, so their rules are checked
// here, on the tables themselves: each name one word and given once, every
// demo and runner runnable, the default demo among the demos, each runner's
// defaults within its own bounds and its faults ones the nemesis knows.
func TestTablesAreWellFormed(t *testing.T) {
	oneWord := func(name string) bool { return name != "" && !strings.ContainsAny(name, " \t") }
	seen := map[string]bool{}
	for _, d := range Demos {
		if !oneWord(d.Name) || seen[d.Name] || d.Summary == "" || d.Run == nil {
			t.Errorf("demo %q: a demo needs a one-word name of its own, a summary and a Run", d.Name)
		}
		seen[d.Name] = true
	}
	if !seen[DefaultDemo] {
		t.Errorf("the default demo %q is not in the table", DefaultDemo)
	}
	clear(seen)
	for _, r := range Runners {
		if !oneWord(r.Name) || seen[r.Name] || r.Summary == "" || r.Run == nil {
			t.Errorf("runner %q: a runner needs a one-word name of its own, a summary and a Run", r.Name)
		}
		seen[r.Name] = true
		if r.Nodes < max(r.MinNodes, 1) || (r.MaxNodes > 0 && r.Nodes > r.MaxNodes) {
			t.Errorf("runner %s: its default of %d nodes is outside its own bounds %d..%d", r.Name, r.Nodes, r.MinNodes, r.MaxNodes)
		}
		if r.Load <= 0 || (r.MaxLoad > 0 && r.Load > r.MaxLoad) {
			t.Errorf("runner %s: its default load %g is not positive or over its bound %g", r.Name, r.Load, r.MaxLoad)
		}
		for _, f := range r.Faults {
			if !slices.Contains(Faults, f) {
				t.Errorf("runner %s survives %q, which is no fault the nemesis knows (%v)", r.Name, f, Faults)
			}
		}
	}
}
