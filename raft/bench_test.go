package raft

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
)

// Benchmarks report protocol figures, in virtual time, with self-explaining
// units; the real time per operation that go test prints is the simulator's
// cost. Every figure is a pure function of the seed (1) and b.N, so
// -benchtime=200x gives the same numbers on any machine:
//
//	go test ./raft -run '^$' -bench . -benchtime=200x

// newBenchCluster is a cluster in a world of its own, for a benchmark.
func newBenchCluster(b *testing.B, n int, cfg clusterConfig) *cluster {
	wc := worldConfig(n, cfg)
	wc.Seed = 1
	w := labrpc.NewWorld(wc)
	b.Cleanup(func() {
		w.Close()
		if err := w.Err(); err != nil {
			b.Fatalf("the run failed: %v", err)
		}
	})
	return newClusterIn(b, w, n, cfg)
}

// simSecPerSec is how many seconds of virtual time the simulator ran per
// second of real time.
func simSecPerSec(virtual time.Duration, b *testing.B) float64 {
	return virtual.Seconds() / b.Elapsed().Seconds()
}

// BenchmarkElection crashes the leader of five peers b.N times and reports
// how long the others take to elect a new one: the median (p50-ms), the 99th
// percentile (p99-ms) and the worst (max-ms), in virtual milliseconds.
func BenchmarkElection(b *testing.B) {
	c := newBenchCluster(b, 5, clusterConfig{})
	c.checkOneLeader()
	v0 := c.w.Now()
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		old := c.checkOneLeader()
		c.w.Sleep(time.Duration(c.w.Rand().IntN(int(heartbeatInterval/time.Millisecond))) * time.Millisecond)
		c.crash(old)
		t0 := c.w.Now()
		if !c.w.WaitUntil(c.anyLeader, time.Millisecond, 10*time.Second) {
			b.Fatalf("no leader 10s after the leader crashed")
		}
		times = append(times, c.w.Now()-t0)
		c.start(old)
		c.w.Sleep(electionTimeoutMax)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(times, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(times, 99)), "p99-ms")
	b.ReportMetric(ms(percentile(times, 100)), "max-ms")
	b.ReportMetric(simSecPerSec(c.w.Now()-v0, b), "simsec/s")
}

// BenchmarkAgreement commits b.N commands one after the other through the
// leader and reports the RPCs (msgs/op) and bytes, requests and replies
// (bytes/commit), each agreement costs, heartbeats included, and the commit
// latency at the leader.
func BenchmarkAgreement(b *testing.B) {
	for _, n := range []int{3, 5} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			c := newBenchCluster(b, n, clusterConfig{})
			c.one(0, n, false)
			leader := c.checkOneLeader()
			rpcs0, bytes0, v0 := c.w.TotalRPCs(), c.w.TotalBytes(), c.w.Now()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				index, _, ok := c.peers[leader].Start(i + 1)
				if !ok {
					b.Fatalf("the leader n%d lost its office in a healthy cluster", leader)
				}
				if !c.w.WaitUntil(func() bool { return c.applied[leader] >= index }, time.Millisecond, 5*time.Second) {
					b.Fatalf("command %d did not commit within 5s", i+1)
				}
			}
			b.StopTimer()
			v := c.w.Now() - v0
			b.ReportMetric(float64(c.w.TotalRPCs()-rpcs0)/float64(b.N), "msgs/op")
			b.ReportMetric(float64(c.w.TotalBytes()-bytes0)/float64(b.N), "bytes/commit")
			b.ReportMetric(float64(v)/float64(time.Millisecond)/float64(b.N), "commit-ms")
			b.ReportMetric(simSecPerSec(v, b), "simsec/s")
		})
	}
}

// BenchmarkBatchedAgreement submits commands in bursts of 100 and reports the
// same figures: concurrent Starts share AppendEntries, so each agreement
// costs a small fraction of an RPC.
func BenchmarkBatchedAgreement(b *testing.B) {
	const n, burst = 5, 100
	c := newBenchCluster(b, n, clusterConfig{snapEvery: 1000})
	c.one(0, n, false)
	leader := c.checkOneLeader()
	rpcs0, bytes0, v0 := c.w.TotalRPCs(), c.w.TotalBytes(), c.w.Now()
	b.ResetTimer()
	for done := 0; done < b.N; {
		k := min(burst, b.N-done)
		last := 0
		for j := 0; j < k; j++ {
			index, _, ok := c.peers[leader].Start(done + j + 1)
			if !ok {
				b.Fatalf("the leader n%d lost its office in a healthy cluster", leader)
			}
			last = index
		}
		if !c.w.WaitUntil(func() bool { return c.applied[leader] >= last }, time.Millisecond, 5*time.Second) {
			b.Fatalf("a burst did not commit within 5s")
		}
		done += k
	}
	b.StopTimer()
	b.ReportMetric(float64(c.w.TotalRPCs()-rpcs0)/float64(b.N), "msgs/op")
	b.ReportMetric(float64(c.w.TotalBytes()-bytes0)/float64(b.N), "bytes/commit")
	b.ReportMetric(float64(c.w.Now()-v0)/float64(time.Millisecond)/float64(b.N), "ms/op")
}
