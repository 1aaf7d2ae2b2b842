package kv

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"protolab/labgob"
	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
)

// The store's benchmarks, in virtual time on the benchmarks' network
// (harness.BenchProfile: every message 10 ms one way, none lost), so every
// figure is exact and the same on every machine:
//
//	go test ./services/kv -run '^$' -bench . -benchtime 1x
//
// BenchmarkKV: five servers (snapshotting past 64 KiB of log), 100 clients, each doing Gets of random keys
// and Puts of its own key (half and half), one operation at a time, for
// 3 s after a 1 s warm-up. ops/simsec is completed operations per virtual
// second; msgs/op counts every message (clients' and servers', requests and
// replies) sent in the window per operation completed in it; p50-ms and
// p99-ms are operation latencies as clients see them.

// kvBench is one run's figures.
type kvBench struct {
	ops      int
	opsPerS  float64
	msgsOp   float64
	p50, p99 time.Duration
}

const (
	benchMaxState = 64 << 10 // snapshots keep the log short, as a deployment would
	benchClients  = 100
	benchWarm     = time.Second
	benchWindow   = 3 * time.Second
)

func runKVBench(e replog.Engine, reads ReadPath, seed int64) (kvBench, error) {
	w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 5, Profile: harness.BenchProfile, MaxEndpoints: 5 + benchClients + 1})
	defer w.Close()
	servers := []int{0, 1, 2, 3, 4}
	for i := range servers {
		w.Start(i, func(env labrpc.Env) any { return MakeKVServer(env, e, benchMaxState, reads).Services() })
	}
	var res kvBench
	var lat []time.Duration
	var rpcs0 int64
	err := harness.Run(w, func() error {
		start := w.Now()
		from, until := start+benchWarm, start+benchWarm+benchWindow
		w.At(benchWarm, func() { rpcs0 = w.TotalRPCs() })
		for i := 0; i < benchClients; i++ {
			ck := MakeClerk(w.NewClient(), servers)
			clnt := ck.ck.Client()
			rng := clnt.Rand()
			w.Go(fmt.Sprint("client", i), func() {
				mine, version := fmt.Sprint("k", i), Tversion(0)
				for clnt.Now() < until {
					t0 := clnt.Now()
					if rng.IntN(2) == 0 {
						ck.Get(fmt.Sprint("k", rng.IntN(benchClients)))
					} else if ck.Put(mine, "v", version) == OK {
						version++
					}
					if t0 >= from && clnt.Now() <= until {
						lat = append(lat, clnt.Now()-t0)
					}
				}
			})
		}
		if !w.RunUntilDone(until - start + 10*time.Second) {
			return fmt.Errorf("clients still running 10s after the window")
		}
		return nil
	})
	if err != nil {
		return res, err
	}
	res.ops = len(lat)
	res.opsPerS = float64(len(lat)) / benchWindow.Seconds()
	res.p50, res.p99 = harness.Percentile(lat, 50), harness.Percentile(lat, 99)
	// Messages over the window and a little after (the last operations'
	// replies): requests and replies, two per RPC, on a lossless network.
	res.msgsOp = float64(2*(w.TotalRPCs()-rpcs0)) / float64(max(len(lat), 1))
	return res, nil
}

func BenchmarkKV(b *testing.B) {
	for _, e := range engines {
		for _, reads := range []ReadPath{ReadLog, ReadIndex} {
			b.Run(e.Name+"/"+reads.String(), func(b *testing.B) {
				var r kvBench
				for n := 0; n < b.N; n++ {
					var err error
					if r, err = runKVBench(e, reads, 1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(r.opsPerS, "ops/simsec")
				b.ReportMetric(r.msgsOp, "msgs/op")
				b.ReportMetric(float64(r.p50)/float64(time.Millisecond), "p50-ms")
				b.ReportMetric(float64(r.p99)/float64(time.Millisecond), "p99-ms")
			})
		}
	}
}

// BenchmarkKVSnapshot10k: the cost of a snapshot of 10,000 keys and of a
// restore from it. Three servers snapshot past 64 KiB of log; one is down
// while 100 clients Put 100 keys each; then it restarts and catches up from
// the leader's snapshot. snap-bytes is the snapshot's size; catchup-ms the
// virtual time from its restart until its store holds every key; encode-ms
// and decode-ms the CPU time of KVServer.Snapshot and Restore on the 10k
// store (real time, so machine-dependent: the only such figures here).
func BenchmarkKVSnapshot10k(b *testing.B) {
	for _, e := range engines {
		b.Run(e.Name, func(b *testing.B) {
			var snapBytes int
			var catchup time.Duration
			for n := 0; n < b.N; n++ {
				var err error
				if snapBytes, catchup, err = runSnapshotBench(e, 1); err != nil {
					b.Fatal(err)
				}
			}
			var st kvState // the store's own snapshot format, built directly
			for i := 0; i < 10000; i++ {
				st.Keys = append(st.Keys, fmt.Sprintf("c%d-%d", i/100, i%100))
				st.Entries = append(st.Entries, entryState{Value: "v", Version: 1})
			}
			var buf bytes.Buffer
			enc := labgob.NewEncoder(&buf)
			if err := enc.Encode(st); err != nil {
				b.Fatalf("encoding 10k keys: %v", err)
			}
			kv := &KVServer{}
			kv.Restore(buf.Bytes())
			t0 := time.Now()
			data := kv.Snapshot()
			encodeTime := time.Since(t0)
			t0 = time.Now()
			kv.Restore(data)
			dec := time.Since(t0)
			b.ReportMetric(float64(snapBytes), "snap-bytes")
			b.ReportMetric(float64(catchup)/float64(time.Millisecond), "catchup-ms")
			b.ReportMetric(float64(encodeTime)/float64(time.Millisecond), "encode-ms")
			b.ReportMetric(float64(dec)/float64(time.Millisecond), "decode-ms")
		})
	}
}

func runSnapshotBench(e replog.Engine, seed int64) (int, time.Duration, error) {
	const servers, clients, perClient = 3, 100, 100
	w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: servers, Profile: harness.BenchProfile, MaxEndpoints: servers + clients + 1})
	defer w.Close()
	kvs := make([]*KVServer, servers)
	boot := func(i int) labrpc.Boot {
		return func(env labrpc.Env) any {
			kvs[i] = MakeKVServer(env, e, benchMaxState, ReadLog)
			return kvs[i].Services()
		}
	}
	for i := 0; i < servers; i++ {
		w.Start(i, boot(i))
	}
	const down = 2
	w.Crash(down)
	var took time.Duration
	err := harness.Run(w, func() error {
		for c := 0; c < clients; c++ {
			ck := MakeClerk(w.NewClient(), []int{0, 1, 2})
			w.Go(fmt.Sprint("client", c), func() {
				for k := 0; k < perClient; k++ {
					ck.Put(fmt.Sprintf("c%d-%d", c, k), "v", 0)
				}
			})
		}
		if !w.RunUntilDone(5 * time.Minute) {
			return fmt.Errorf("the Puts did not finish")
		}
		w.Start(down, boot(down))
		t0 := w.Now()
		caughtUp := func() bool { // every client's last key is there
			for c := 0; c < clients; c++ {
				if kvs[down].get(fmt.Sprintf("c%d-%d", c, perClient-1)).Err != OK {
					return false
				}
			}
			return true
		}
		if !w.WaitUntil(caughtUp, time.Millisecond, time.Minute) {
			return fmt.Errorf("the restarted server did not catch up within a minute")
		}
		took = w.Now() - t0
		return nil
	})
	size := 0
	for i := 0; i < servers; i++ {
		size = max(size, w.Persister(i).SnapshotSize())
	}
	return size, took, err
}
