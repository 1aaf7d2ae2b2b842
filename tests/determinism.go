package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"testing"
)

// RunTwice is the run-twice check: it runs scenario twice with the same
// seed and requires the same digest, then once with the next seed and
// requires a different one. Same code and same seed must give the same run;
// when they do not, something in the code reads the wall clock, uses global
// randomness, depends on goroutine scheduling or on map order, and the
// report shows the first trace line where the two runs parted.
func RunTwice(t *testing.T, scenario func(t *T)) {
	t.Helper()
	seed := *seedFlag
	run := func(s int64, trace io.Writer) string {
		st := runSeed(t, s, func(st *T) {
			st.traceTo = trace
			scenario(st)
		}, true)
		if t.Failed() {
			t.Fatalf("the scenario failed with seed %d; replay: %s", s, ReplayCommand(t.Name(), s))
		}
		return st.Digest()
	}
	d, err := compareRuns(seed, run)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		t.Logf("seed=%d digest=%s twice; seed=%d gives another", seed, d, seed+1)
	}
}

// compareRuns runs a scenario twice with seed and once with seed+1 and
// explains what is wrong if the digests do not say "deterministic, and
// driven by the seed". It returns the seed's digest.
func compareRuns(seed int64, run func(seed int64, trace io.Writer) (digest string)) (string, error) {
	var a, b bytes.Buffer
	d1, d2 := run(seed, &a), run(seed, &b)
	if d1 != d2 {
		return "", fmt.Errorf("not deterministic: seed %d gave digests %s and %s.\n"+
			"Node code must not read the wall clock, use global randomness, start goroutines or depend on map order.\n"+
			"The runs parted here:\n%s", seed, d1, d2, firstDifference(a.Bytes(), b.Bytes()))
	}
	if d3 := run(seed+1, nil); d3 == d1 {
		return "", fmt.Errorf("seeds %d and %d gave the same digest %s: the seed does not reach the run", seed, seed+1, d1)
	}
	return d1, nil
}

// firstDifference shows the first line at which two traces differ, with
// the line before it.
func firstDifference(a, b []byte) string {
	sa, sb := bufio.NewScanner(bytes.NewReader(a)), bufio.NewScanner(bytes.NewReader(b))
	prev := ""
	for n := 1; ; n++ {
		okA, okB := sa.Scan(), sb.Scan()
		if !okA && !okB {
			return "(the traces are equal: the difference is outside the first world)"
		}
		la, lb := sa.Text(), sb.Text()
		if !okA || !okB || la != lb {
			return fmt.Sprintf("  line %d, both runs: %s\n  first run:  %s\n  second run: %s", n, prev, la, lb)
		}
		prev = la
	}
}
