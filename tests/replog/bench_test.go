package replog_test

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/paxos"
	"protolab/replog"
	"protolab/replog/harness"
)

// The benchmarks run one workload on each engine: five peers, every message
// 10ms one way (harness.BenchProfile), and commands started one after another
// on the proposer, each once the one before is done. Run them with
//
//	go test ./tests/replog -run '^$' -bench . -benchtime 1x
//
// The figures are in virtual time and exact: the same on every machine and
// every run.

const (
	benchPeers   = 5
	benchCommits = 200
)

// engines lists the replicated logs benchmarked through the replog contract.
// bench_raft_test.go adds Raft.
var engines = []replog.Engine{paxos.Engine}

func BenchmarkCommit(b *testing.B) {
	b.Run("paxos-instances", func(b *testing.B) {
		var m harness.Metrics
		for b.Loop() {
			var err error
			if m, err = measureInstances(benchPeers, benchCommits, 1); err != nil {
				b.Fatal(err)
			}
		}
		m.Report(b)
	})
	for _, e := range engines {
		b.Run(e.Name, func(b *testing.B) {
			var m harness.Metrics
			for b.Loop() {
				var err error
				if m, err = harness.Measure(e, benchPeers, benchCommits, 1); err != nil {
					b.Fatal(err)
				}
			}
			m.Report(b)
		})
	}
}

// measureInstances runs the workload on lab 5A's Paxos instances: each
// command is its own instance, decided by both phases from scratch (and then
// announced to the other learners).
func measureInstances(n, commits int, seed int64) (m harness.Metrics, err error) {
	w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: n, Profile: harness.BenchProfile})
	defer w.Close()
	decidedAt := map[int]time.Duration{}
	peers := make([]*paxos.Synod, n)
	for i := 0; i < n; i++ {
		w.Start(i, func(env labrpc.Env) any {
			peers[i] = paxos.MakeSynod(env, env.Persister(), func(seq int, v any) {
				if i == 0 {
					decidedAt[seq] = w.Now()
				}
			})
			return peers[i]
		})
	}
	decide := func(seq int) (time.Duration, error) {
		start := w.Now()
		peers[0].Start(seq, seq)
		if !w.WaitUntil(func() bool { _, ok := decidedAt[seq]; return ok }, time.Millisecond, 10*time.Second) {
			return 0, fmt.Errorf("paxos instances: instance %d undecided after 10s", seq)
		}
		return decidedAt[seq] - start, nil
	}
	err = harness.Run(w, func() error {
		if _, err := decide(0); err != nil {
			return err
		}
		rpcs, bytes := w.TotalRPCs(), w.TotalBytes()
		var latencies []time.Duration
		for seq := 1; seq <= commits; seq++ {
			d, err := decide(seq)
			if err != nil {
				return err
			}
			latencies = append(latencies, d)
		}
		m = harness.Summarize(latencies, w.TotalRPCs()-rpcs, w.TotalBytes()-bytes)
		return nil
	})
	return m, err
}
