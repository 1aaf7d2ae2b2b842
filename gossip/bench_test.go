package gossip

import (
	"testing"
	"time"

	"protolab/labrpc"
)

// Benchmarks report protocol figures in virtual time, which are
// deterministic: the same code gives the same figures on any machine. Run:
//
//	go test ./gossip -run '^$' -bench . -benchtime 1x
//
// ns/op is the real time one simulated run takes, and means little.

// BenchmarkBroadcast is the Gossip Glomers efficiency workload (3A): 25
// nodes, 100 ms one-way delay, 100 client operations per second for 20 s,
// half broadcasts and half reads. msgs/op counts server-to-server
// messages (each RPC request and each reply is one) over all client
// operations; latency runs from a broadcast's acknowledgement until the
// last node has the value.
func BenchmarkBroadcast(b *testing.B) {
	var res *workloadResult
	var lat []time.Duration
	for b.Loop() {
		w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: glomers.Nodes, Profile: labrpc.MustProfile("wan")})
		startBroadcast(w, glomers.Nodes, glomersConfig(glomers.Nodes))
		s := newSpread(w, glomers.Nodes)
		res = glomers.run(w, s)
		if err := w.Err(); err != nil || !s.everywhere() {
			b.Fatalf("run failed: %v; missing: %s", err, s.missing())
		}
		lat = s.latencies()
		w.Close()
	}
	b.ReportMetric(res.msgsPerOp(), "msgs/op")
	b.ReportMetric(ms(percentile(lat, 50)), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)-1]), "max-ms")
}

// BenchmarkAntiEntropy is convergence (3A): push, pull and push-pull
// anti-entropy with fan-out 1 on 1,000 nodes, with no mail; rounds until
// a rumor reaches everyone, over 100 rumors (5 batches of 20), on a
// reliable network, losing 30% of calls, and losing 30% of every message.
func BenchmarkAntiEntropy(b *testing.B) {
	for _, mode := range []Mode{Push, Pull, PushPull} {
		for _, network := range []struct {
			name string
			p    labrpc.Profile
		}{{"reliable", reliableNet}, {"lose-30%-calls", lossyCalls}, {"lose-30%-msgs", lossyMessages}} {
			b.Run(mode.String()+"/"+network.name, func(b *testing.B) {
				var rounds []int
				for b.Loop() {
					w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1000})
					rounds = convergence(w, 1000, mode, network.p, 5, 20)
					if err := w.Err(); err != nil {
						b.Fatal(err)
					}
					w.Close()
				}
				b.ReportMetric(float64(rounds[len(rounds)/2]), "rounds-p50")
				b.ReportMetric(float64(rounds[(len(rounds)*99+99)/100-1]), "rounds-p99")
			})
		}
	}
}
