//go:build !unix

package labrpc

import "time"

var meterEpoch = time.Now()

// processCPU stands in for the process's CPU time where getrusage is
// missing: the real time since the process started, so the scale
// benchmarks' CPU figures are wall-clock figures there.
func processCPU() time.Duration { return time.Since(meterEpoch) }
