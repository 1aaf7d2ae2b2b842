package harness

import (
	"math"
	"slices"
	"time"

	"protolab/labrpc"
)

// Run runs body, which drives w, and returns the error that ended the run:
// body's own, or else the world's. Once a run has failed, a blocking call
// of the world (Sleep, WaitUntil) stops its caller by panicking with
// labrpc.Stopped; Run turns that back into the world's error, so that code
// outside a test (a tool, a benchmark) can drive a world as a test does.
// Any other panic goes on.
func Run(w *labrpc.World, body func() error) (err error) {
	defer func() {
		if v := recover(); v != nil {
			s, ok := labrpc.IsStopped(v)
			if !ok {
				panic(v)
			}
			err = s.Err
		}
	}()
	if err := body(); err != nil {
		return err
	}
	return w.Err()
}

// Percentile is the p-th percentile of ds (0 < p <= 100) by nearest rank:
// the smallest value that at least p% of ds are no greater than. It is 0
// for no values. Percentile(ds, 50) is the median (the lower one of an
// even count), Percentile(ds, 100) the largest.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	sorted := slices.Sorted(slices.Values(ds))
	rank := int(math.Ceil(float64(len(sorted)) * p / 100))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
