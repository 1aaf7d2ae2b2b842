package harness

import (
	"fmt"
	"time"

	"protolab/labrpc"
	"protolab/replog"
)

// BenchProfile is the network of the benchmarks: every message takes
// exactly 10ms one way, and none is lost, so a round trip is 20ms and every
// figure below is exact and the same on every machine.
var BenchProfile = labrpc.Profile{Name: "fixed-10ms", MinDelay: 10 * time.Millisecond, MaxDelay: 10 * time.Millisecond,
	Timeout: 100 * time.Millisecond}

// Metrics describe a steady workload: what each commit cost on the wire,
// and how long each took, in virtual time.
type Metrics struct {
	Commits        int
	RPCs, Bytes    int64   // sent during the measured commits, by everyone
	MsgsPerCommit  float64 // requests and replies: two messages per RPC
	BytesPerCommit float64
	P50, P99       time.Duration // from Start to the proposer's own apply
}

// Summarize computes Metrics from the latencies of the commits and the RPCs
// and bytes sent meanwhile (on a lossless network, each RPC is a request
// and a reply).
func Summarize(latencies []time.Duration, rpcs, bytes int64) Metrics {
	m := Metrics{Commits: len(latencies), RPCs: rpcs, Bytes: bytes}
	if len(latencies) == 0 {
		return m
	}
	m.P50 = Percentile(latencies, 50)
	m.P99 = Percentile(latencies, 99)
	m.MsgsPerCommit = float64(2*rpcs) / float64(len(latencies))
	m.BytesPerCommit = float64(bytes) / float64(len(latencies))
	return m
}

// A MetricReporter takes a benchmark's figures: a *testing.B.
type MetricReporter interface {
	ReportMetric(n float64, unit string)
}

// Report adds the metrics to a benchmark's output line.
func (m Metrics) Report(b MetricReporter) {
	b.ReportMetric(m.MsgsPerCommit, "msgs/commit")
	b.ReportMetric(m.BytesPerCommit, "bytes/commit")
	b.ReportMetric(float64(m.P50)/float64(time.Millisecond), "commit-ms-p50")
	b.ReportMetric(float64(m.P99)/float64(time.Millisecond), "commit-ms-p99")
	b.ReportMetric(0, "ns/op") // the simulator's cost, not the protocol's
}

func (m Metrics) String() string {
	return fmt.Sprintf("%d commits: %.1f msgs/commit, %.0f bytes/commit, p50 %v, p99 %v", m.Commits, m.MsgsPerCommit, m.BytesPerCommit, m.P50, m.P99)
}

// Measure runs the steady-state workload on engine e with n peers on
// BenchProfile: once a leader is elected and settled, it starts commits
// small commands on the leader one after another, each once the leader has
// applied the one before, and measures each from Start to the leader's
// apply. The cluster's checker watches the run. The run is a pure function
// of the engine and the seed.
func Measure(e replog.Engine, n, commits int, seed int64) (Metrics, error) {
	w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: n, Profile: BenchProfile})
	defer w.Close()
	c := New(w, e, nil)
	appliedAt := make([]map[int]time.Duration, n)
	for i := range appliedAt {
		appliedAt[i] = map[int]time.Duration{}
	}
	c.OnApply = func(i int, m replog.Msg) {
		if m.CommandValid {
			appliedAt[i][m.CommandIndex] = w.Now()
		}
	}
	c.StartAll()
	var m Metrics
	err := Run(w, func() error {
		leader := -1
		findLeader := func() bool {
			for i := 0; i < n; i++ {
				if p := c.Peer(i); p != nil {
					if _, isLeader := p.GetState(); isLeader {
						leader = i
						return true
					}
				}
			}
			return false
		}
		if !w.WaitUntil(findLeader, 10*time.Millisecond, 10*time.Second) {
			return fmt.Errorf("%s: no leader after 10s", e.Name)
		}
		w.Sleep(time.Second) // let the new leader finish what it inherited
		commit := func(cmd any) (time.Duration, error) {
			start := w.Now()
			index, _, ok := c.Peer(leader).Start(cmd)
			if !ok {
				return 0, fmt.Errorf("%s: n%d stopped leading on a lossless network", e.Name, leader)
			}
			if !w.WaitUntil(func() bool { return c.Applied(leader) >= index }, time.Millisecond, 10*time.Second) {
				return 0, fmt.Errorf("%s: command %v at index %d not applied by the leader in 10s", e.Name, cmd, index)
			}
			return appliedAt[leader][index] - start, nil
		}
		if _, err := commit(0); err != nil { // warm-up: the first command may carry set-up costs
			return err
		}
		rpcs, bytes := w.TotalRPCs(), w.TotalBytes()
		latencies := make([]time.Duration, 0, commits)
		for k := 1; k <= commits; k++ {
			d, err := commit(k)
			if err != nil {
				return err
			}
			latencies = append(latencies, d)
		}
		m = Summarize(latencies, w.TotalRPCs()-rpcs, w.TotalBytes()-bytes)
		return nil
	})
	return m, err
}
