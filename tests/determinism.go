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
// requires a different one, unless the run drew no random number at all (a
// scripted scenario on fixed delays has nothing for the seed to change). Same code and same seed must give the same run;
// when they do not, something in the code reads the wall clock, uses global
// randomness, depends on goroutine scheduling or on map order, and the
// report shows the first trace line where the two runs parted.
func RunTwice(t *testing.T, scenario func(t *T)) {
	t.Helper()
	seed := *seedFlag
	run := func(s int64, trace io.Writer) runResult {
		st := runSeed(t, s, func(st *T) {
			st.traceTo = trace
			scenario(st)
		}, true)
		if t.Failed() {
			// Returned, not reported here: RunTwice reports it, at the
			// line of the test that called it.
			return runResult{failed: fmt.Errorf("the scenario failed with seed %d; replay: %s", s, ReplayCommand(t.Name(), s))}
		}
		return runResult{digest: st.Digest(), draws: st.draws()}
	}
	r, err := compareRuns(seed, run)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		if r.draws == 0 {
			t.Logf("seed=%d digest=%s twice; the run draws no random number, so every seed gives it", seed, r.digest)
		} else {
			t.Logf("seed=%d digest=%s twice; seed=%d gives another", seed, r.digest, seed+1)
		}
	}
}

// runResult is what the run-twice check compares: the digest, and how many
// random numbers the run drew.
type runResult struct {
	digest string
	draws  int64
	failed error // the run failed: there is nothing to compare
}

// compareRuns runs a scenario twice with seed and once with seed+1 and
// explains what is wrong if the digests do not say "deterministic, and
// driven by the seed". It returns the seed's run.
func compareRuns(seed int64, run func(seed int64, trace io.Writer) runResult) (runResult, error) {
	var a, b bytes.Buffer
	r1 := run(seed, &a)
	if r1.failed != nil {
		return r1, r1.failed
	}
	r2 := run(seed, &b)
	if r2.failed != nil {
		return r1, r2.failed
	}
	if r1.digest != r2.digest {
		return r1, fmt.Errorf("not deterministic: seed %d gave digests %s and %s.\n"+
			"Node code must not read the wall clock, use global randomness, start goroutines or depend on map order.\n"+
			"The runs parted here:\n%s", seed, r1.digest, r2.digest, firstDifference(a.Bytes(), b.Bytes()))
	}
	r3 := run(seed+1, nil)
	if r3.failed != nil {
		return r1, r3.failed
	}
	if r3.digest == r1.digest && r1.draws > 0 {
		return r1, fmt.Errorf("seeds %d and %d gave the same digest %s, though the run drew %d random numbers: the seed does not reach the run", seed, seed+1, r1.digest, r1.draws)
	}
	return r1, nil
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
