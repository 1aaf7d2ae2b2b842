package balance

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/replog/harness"
)

// benchSetup is the benchmark: 10 servers, one at half speed,
// offered 90% of their capacity, with exponential service times.
func benchSetup(spec Spec, refresh, measure time.Duration) Setup {
	speeds := []float64{0.5, 1, 1, 1, 1, 1, 1, 1, 1, 1}
	return Setup{Servers: 10, Clients: 10, Speeds: speeds, Load: 0.9, Balancer: spec, Refresh: refresh,
		Warmup: 10 * time.Second, Measure: measure}
}

// runBench runs one scenario on a fresh world and reports its figures.
func runBench(b *testing.B, s Setup) {
	for b.Loop() {
		w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: s.Nodes(), MaxTime: time.Hour, MaxEvents: 1 << 40})
		res, err := Run(w, s)
		w.Close()
		if err != nil {
			b.Fatal(err)
		}
		ms := func(p float64) float64 {
			return float64(harness.Percentile(res.Latencies, p)) / float64(time.Millisecond)
		}
		b.ReportMetric(ms(50), "p50-ms")
		b.ReportMetric(ms(99), "p99-ms")
		b.ReportMetric(ms(99.9), "p99.9-ms")
		b.ReportMetric(float64(res.MaxQueue), "max-queue")
		b.ReportMetric(float64(res.OnLeast)/float64(res.Sent), "on-least-share")
		b.ReportMetric(0, "ns/op")
	}
}

// BenchmarkBalance measures every balancer on the scenario (10
// servers, one at half speed, 90% load, exponential service of 100ms mean),
// and least-loaded and two choices on reported loads as the board's period
// grows. The figures are virtual time, so they are exact for the seed.
//
//	go test ./chash/balance -run '^$' -bench Balance -benchtime 1x
func BenchmarkBalance(b *testing.B) {
	const measure = 300 * time.Second
	for _, spec := range []Spec{{Kind: KindRoundRobin}, {Kind: KindRandom}, {Kind: KindWeighted},
		{Kind: KindLeastLoaded, Source: Outstanding}, {Kind: KindTwoChoices, Source: Outstanding}, {Kind: KindBoundedHash}} {
		b.Run(spec.String(), func(b *testing.B) { runBench(b, benchSetup(spec, 0, measure)) })
	}
	for _, kind := range []string{KindLeastLoaded, KindTwoChoices} {
		for _, age := range []time.Duration{0, 10 * time.Millisecond, 100 * time.Millisecond, time.Second} {
			spec := Spec{Kind: kind, Source: Reported}
			b.Run(fmt.Sprintf("%s/age=%v", spec, age), func(b *testing.B) { runBench(b, benchSetup(spec, age, measure)) })
		}
	}
}
