package raft

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
)

// Benchmarks report protocol figures, in virtual time, with self-explaining
// units; the real time per operation that go test prints is the simulator's
// cost, and so is simsec/s (virtual seconds simulated per real second), the
// one figure that depends on the machine. All three run five peers on the
// benchmarks' network (harness.BenchProfile): every message takes exactly
// 10 ms one way and none is lost, so a round trip is 20 ms. b.N counts
// commands (BenchmarkAgreement, BenchmarkLoneCommit) or leader crashes
// (BenchmarkElection). Every other figure is a pure function of the seed (1)
// and b.N, so -benchtime=1000x gives the same numbers on any machine:
//
//	go test ./raft -run '^$' -bench . -benchtime=1000x
//
// msgs/commit counts every message sent from the first command's Start to
// the last command's commit, heartbeats included, a request and its reply
// being two messages (as in tests/replog and the other labs); bytes/commit
// counts their bytes. commit-ms-p50 and commit-ms-p99 time each command
// from Start to the leader applying it.

const benchPeers = 5

// benchWorldConfig is the benchmarks' world: n peers on replog.BenchProfile.
func benchWorldConfig(n int) labrpc.Config {
	return labrpc.Config{Nodes: n, Profile: harness.BenchProfile}
}

// benchClusterConfig is the benchmarks' service: it snapshots every 100
// entries, as a real one would, so that the log stays short (and the
// restarts short: a peer reads its whole log back at boot).
var benchClusterConfig = clusterConfig{snapEvery: 100}

// newBenchCluster is a cluster in a world of its own, for a benchmark.
func newBenchCluster(b *testing.B, n int) *cluster {
	wc := benchWorldConfig(n)
	wc.Seed = 1
	w := labrpc.NewWorld(wc)
	b.Cleanup(func() {
		w.Close()
		if err := w.Err(); err != nil {
			b.Fatalf("the run failed: %v", err)
		}
	})
	return newClusterIn(b, w, n, benchClusterConfig)
}

// simSecPerSec is how many seconds of virtual time the simulator ran per
// second of real time.
func simSecPerSec(virtual time.Duration, b *testing.B) float64 {
	return virtual.Seconds() / b.Elapsed().Seconds()
}

// A load is commands submitted to the leader by client processes.
type load struct {
	clients  int
	commands int
	// rate is the commands per virtual second of all clients together:
	// client k starts its first command k/rate seconds in, and one every
	// clients/rate seconds after that (an open loop: no client waits for
	// its commands), so the commands come evenly spaced. Zero means a
	// closed loop: each client starts a command once the leader has
	// applied its previous one.
	rate int
}

// measure lets the cluster elect a leader and bring every peer up to date,
// then submits the load to the leader and measures it: messages and bytes
// sent by everyone from the first Start until the leader has applied the
// last command, and each command's latency from Start to the leader's apply.
// It also returns the virtual time the load took.
func (l load) measure(c *cluster) (m harness.Metrics, took time.Duration, err error) {
	err = harness.Run(c.w, func() error {
		c.One(0, c.n, false)
		leader := c.CheckOneLeader()
		rf := c.peers[leader]
		rpcs0, bytes0, v0 := c.w.TotalRPCs(), c.w.TotalBytes(), c.w.Now()
		var rpcs, bytes int64 // sent until the leader applied the last command
		startedAt := map[int]time.Duration{}
		var latencies []time.Duration
		c.OnApply = func(i int, msg replog.Msg) {
			if t0, ok := startedAt[msg.CommandIndex]; ok && msg.CommandValid && i == leader {
				latencies = append(latencies, c.w.Now()-t0)
				delete(startedAt, msg.CommandIndex)
				if len(latencies) == l.commands {
					rpcs, bytes = c.w.TotalRPCs()-rpcs0, c.w.TotalBytes()-bytes0
				}
			}
		}
		defer func() { c.OnApply = nil }()

		for k := 0; k < l.clients; k++ {
			c.w.Go(fmt.Sprintf("client%d", k), func() {
				if l.rate > 0 {
					c.w.Sleep(time.Duration(k) * time.Second / time.Duration(l.rate))
				}
				for cmd := k + 1; cmd <= l.commands; cmd += l.clients {
					index, _, ok := rf.Start(cmd)
					if !ok {
						c.w.Fail(fmt.Errorf("the leader n%d lost its office on a lossless network", leader))
						return
					}
					startedAt[index] = c.w.Now()
					if l.rate > 0 {
						c.w.Sleep(time.Duration(l.clients) * time.Second / time.Duration(l.rate))
					} else if !c.w.WaitUntil(func() bool { return c.Applied(leader) >= index }, time.Millisecond, 10*time.Second) {
						c.w.Fail(fmt.Errorf("command %d at index %d was not applied by the leader n%d within 10s", cmd, index, leader))
						return
					}
				}
			})
		}
		all := func() bool { return len(latencies) == l.commands }
		if !c.w.WaitUntil(all, time.Millisecond, time.Duration(l.commands)*time.Second) {
			return fmt.Errorf("%d of %d commands not applied by the leader n%d", l.commands-len(latencies), l.commands, leader)
		}
		m, took = harness.Summarize(latencies, rpcs, bytes), c.w.Now()-v0
		return nil
	})
	return m, took, err
}

// reportLoad adds a load's figures to a benchmark's line.
func reportLoad(b *testing.B, m harness.Metrics, took time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(m.MsgsPerCommit, "msgs/commit")
	b.ReportMetric(m.BytesPerCommit, "bytes/commit")
	b.ReportMetric(ms(m.P50), "commit-ms-p50")
	b.ReportMetric(ms(m.P99), "commit-ms-p99")
	b.ReportMetric(simSecPerSec(took, b), "simsec/s")
}

// agreementLoad is the steady load: ten clients submitting 1,000
// commands per virtual second in all, one every millisecond.
func agreementLoad(commands int) load { return load{clients: 10, rate: 1000, commands: commands} }

// BenchmarkAgreement runs b.N commands of agreementLoad through the leader of
// five peers. The goals, which TestBatchedAgreementEfficiency4F asserts:
// commit-ms-p50 at most 30 (about one round trip: the leader sends a
// command at once, not at the next heartbeat) and msgs/commit at most 1
// (batching and pipelining; sending each command on its own costs
// 2 × (peers − 1) = 8).
func BenchmarkAgreement(b *testing.B) {
	c := newBenchCluster(b, benchPeers)
	b.ResetTimer()
	m, took, err := agreementLoad(b.N).measure(c)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	reportLoad(b, m, took)
}

// BenchmarkLoneCommit runs b.N commands from one client, one at a time: each
// is started once the leader has applied the one before. Goal: commit-ms-p50
// at most 25, one round trip and no wait for a batch to fill.
func BenchmarkLoneCommit(b *testing.B) {
	c := newBenchCluster(b, benchPeers)
	b.ResetTimer()
	m, took, err := load{clients: 1, commands: b.N}.measure(c)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	reportLoad(b, m, took)
}

// BenchmarkElection crashes the leader of five peers b.N times, at a random
// moment of a heartbeat interval, and reports how long the others take to
// elect a new one: the median (p50-ms), the 99th percentile (p99-ms) and
// the worst (max-ms), in virtual milliseconds.
func BenchmarkElection(b *testing.B) {
	c := newBenchCluster(b, benchPeers)
	c.CheckOneLeader()
	v0 := c.w.Now()
	var times []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		old := c.CheckOneLeader()
		c.w.Sleep(time.Duration(c.w.Rand().IntN(int(heartbeatInterval/time.Millisecond))) * time.Millisecond)
		c.Crash(old)
		t0 := c.w.Now()
		if !c.w.WaitUntil(c.anyLeader, time.Millisecond, 10*time.Second) {
			b.Fatalf("no leader 10s after the leader crashed")
		}
		times = append(times, c.w.Now()-t0)
		c.Start(old)
		c.w.Sleep(electionTimeoutMax)
	}
	b.StopTimer()
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(harness.Percentile(times, 50)), "p50-ms")
	b.ReportMetric(ms(harness.Percentile(times, 99)), "p99-ms")
	b.ReportMetric(ms(harness.Percentile(times, 100)), "max-ms")
	b.ReportMetric(simSecPerSec(c.w.Now()-v0, b), "simsec/s")
}
