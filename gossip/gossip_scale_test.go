package gossip

import (
	"fmt"
	"os"
	"testing"
	"time"

	"protolab/labrpc"
)

// The scale benchmarks (issue 14): what a simulated second costs the
// machine as the group grows. Each reports virtual seconds per CPU-second,
// CPU-ms per virtual second, events per CPU-second, bytes allocated per
// event and the peak heap (labrpc.Meter); the protocol's own figures are in
// bench_test.go. Run them once each (make scale):
//
//	go test ./gossip -run '^$' -bench Scale -benchtime 1x
//
// The windows are short, so that the whole suite takes a few minutes. SWIM
// at 4,096 members takes about 20 seconds of CPU and 0.9 GB of heap at the
// peak (its members' tables grow as the square of the group): it runs only
// with PROTOLAB_SCALE_HUGE=1 in the environment.

// BenchmarkScaleSwim runs SWIM (3B's defaults) on n members on a reliable
// network: the group starts, forms its views for 5 virtual seconds, and the
// next 10 are measured.
func BenchmarkScaleSwim(b *testing.B) {
	for _, n := range []int{32, 128, 512, 1024, 4096} {
		b.Run(fmt.Sprintf("members=%d", n), func(b *testing.B) {
			if n > 1024 && os.Getenv("PROTOLAB_SCALE_HUGE") != "1" {
				b.Skip("4,096 members take about 1 GB of memory: set PROTOLAB_SCALE_HUGE=1 to run them")
			}
			var m labrpc.Measure
			for b.Loop() {
				w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n})
				cfg := DefaultSwimConfig()
				for i := 0; i < n; i++ {
					w.Start(i, func(env labrpc.Env) any { return MakeSwim(env, cfg) })
				}
				meter := labrpc.NewMeter(w)
				w.Sleep(5 * time.Second)
				meter.Restart()
				w.Sleep(10 * time.Second)
				m = meter.Read()
				if err := w.Err(); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
			m.Report(b)
		})
	}
}

// BenchmarkScaleBroadcast runs 3A's broadcast (the Glomers configuration:
// a tree, batching, push-pull anti-entropy, 100 ms one-way delays) on n
// nodes under 100 client operations per virtual second, half broadcasts of
// a fresh value and half reads, each to a node drawn at random, for 5
// virtual seconds, and one more to let the values spread. All six seconds
// are measured.
func BenchmarkScaleBroadcast(b *testing.B) {
	for _, n := range []int{25, 100, 400, 1600} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			var m labrpc.Measure
			for b.Loop() {
				w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n, Profile: labrpc.MustProfile("wan")})
				startBroadcast(w, n, glomersConfig(n))
				meter := labrpc.NewMeter(w)
				scaleLoad(w, n, 100, 5*time.Second)
				w.Sleep(6 * time.Second)
				m = meter.Read()
				if err := w.Err(); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
			m.Report(b)
		})
	}
}

// scaleLoad schedules rate client operations per second for d: broadcasts
// of fresh values and reads, alternately, each from a client of its own to
// a random node. Replies are not checked: the tests do that.
func scaleLoad(w *labrpc.World, n, rate int, d time.Duration) {
	gap := time.Second / time.Duration(rate)
	rng := w.Rand()
	for i := 0; i < int(d/gap); i++ {
		node, v := rng.IntN(n), i/2
		read := i%2 == 1
		w.At(time.Duration(i)*gap, func() {
			w.Go(fmt.Sprintf("op %d", i), func() {
				c := w.NewClient()
				if read {
					c.Call(node, "Broadcast.Read", &ReadArgs{}, &ReadReply{})
				} else {
					c.Call(node, "Broadcast.Broadcast", &BroadcastArgs{Value: v}, &BroadcastReply{})
				}
			})
		})
	}
}
