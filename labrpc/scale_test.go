package labrpc

import (
	"slices"
	"testing"
	"time"

	"protolab/labgob"
)

// BenchmarkScaleWorld is the world's own cost, in CPU time (the process's,
// user and system, as the other scale benchmarks count it), measured in
// one run so that its figures compare (make scale; issue 14):
//
//   - copy-ns: the bare labgob copies a round trip of a small RPC makes,
//     its args (EchoArgs) one way and its reply (EchoReply) the other, warm,
//     through a Wire as the world's: the cost of isolation alone;
//   - rpc-ns: one simulated round trip of that call (the same two copies,
//     dispatch by reflection, four events, the trace), the caller making a
//     fresh args, reply and callback for each call as node code usually
//     does; and rpc/copy, their ratio: what the world adds to the copies;
//   - rpc-reuse-ns and rpc-reuse/copy: the same, the caller reusing one
//     args value and one callback (Call copies the args when it is made)
//     and making only the fresh reply the world requires. The bare copies
//     reuse their values too, so this ratio leaves out the caller's own
//     allocations and counts only what the world adds;
//   - events/cpu-s: bare timer events, 100 nodes re-arming their timers.
//
// The bars: rpc/copy at most 1.5, events/cpu-s at least 5 M.
func BenchmarkScaleWorld(b *testing.B) {
	const copies, rpcs, events = 100_000, 100_000, 2_000_000
	for b.Loop() {
		copyNs := cpuPer(copies, func() { bareCopies(b, copies) })
		rpcNs := cpuPer(rpcs, func() { roundTrips(b, rpcs) })
		reuseNs := cpuPer(rpcs, func() { roundTripsReusing(b, rpcs) })
		eventNs := cpuPer(events, func() { timerEvents(b, events) })
		b.ReportMetric(copyNs, "copy-ns")
		b.ReportMetric(rpcNs, "rpc-ns")
		b.ReportMetric(rpcNs/copyNs, "rpc/copy")
		b.ReportMetric(reuseNs, "rpc-reuse-ns")
		b.ReportMetric(reuseNs/copyNs, "rpc-reuse/copy")
		b.ReportMetric(1e9/eventNs, "events/cpu-s")
	}
}

// BenchmarkRoundTripRatio is BenchmarkScaleWorld's rpc/copy, measured so
// that a busy machine's noise averages out: the bare copies and the round
// trips run by turns, 15 times each in one process, and it reports the
// median of each and their ratio (about 5 s). Compare two versions of the
// code by running this for each, several times, one after the other.
func BenchmarkRoundTripRatio(b *testing.B) {
	const n, rounds = 100_000, 15
	for b.Loop() {
		var copyNs, rpcNs []float64
		for range rounds {
			copyNs = append(copyNs, cpuPer(n, func() { bareCopies(b, n) }))
			rpcNs = append(rpcNs, cpuPer(n, func() { roundTrips(b, n) }))
		}
		slices.Sort(copyNs)
		slices.Sort(rpcNs)
		c, r := copyNs[rounds/2], rpcNs[rounds/2]
		b.ReportMetric(c, "copy-ns")
		b.ReportMetric(r, "rpc-ns")
		b.ReportMetric(r/c, "rpc/copy")
	}
}

// bareCopies copies a small RPC's args and reply n times each, warm,
// through a Wire as the world's.
func bareCopies(b *testing.B, n int) {
	wire := labgob.NewWire()
	var there, back labgob.Link
	args, reply := &EchoArgs{From: 0, Text: "ping"}, &EchoReply{Text: "ping", By: 1}
	for i := 0; i < n; i++ {
		if _, _, err := wire.Copy(&there, args); err != nil {
			b.Fatal(err)
		}
		if _, _, err := wire.Copy(&back, reply); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuPer runs f and returns the CPU nanoseconds it took per one of its n
// operations.
func cpuPer(n int, f func()) float64 {
	start := processCPU()
	f()
	return float64(processCPU()-start) / float64(n)
}

// roundTrips makes n calls of Echo from node 0 to node 1, one after the
// other, on a reliable network.
func roundTrips(b *testing.B, n int) {
	w := NewWorld(Config{Nodes: 2, MaxEvents: 1 << 62, MaxTime: 1 << 62})
	defer w.Close()
	w.Start(1, bootEcho)
	done := 0
	var send func(env Env)
	send = func(env Env) {
		reply := &EchoReply{}
		env.Call(1, "echoNode.Echo", &EchoArgs{From: 0, Text: "ping"}, reply, func(ok bool) {
			if done++; done < n {
				send(env)
			}
		})
	}
	w.Start(0, func(env Env) any { send(env); return &echoNode{env: env} })
	for done < n {
		if !w.step() {
			b.Fatal(w.Err())
		}
	}
}

// roundTripsReusing is roundTrips with a caller that makes one args value
// and one callback for all its calls, and a fresh reply for each.
func roundTripsReusing(b *testing.B, n int) {
	w := NewWorld(Config{Nodes: 2, MaxEvents: 1 << 62, MaxTime: 1 << 62})
	defer w.Close()
	w.Start(1, bootEcho)
	done := 0
	var env Env
	args := &EchoArgs{From: 0, Text: "ping"}
	var again func(ok bool)
	again = func(ok bool) {
		if done++; done < n {
			env.Call(1, "echoNode.Echo", args, &EchoReply{}, again)
		}
	}
	w.Start(0, func(e Env) any {
		env = e
		env.Call(1, "echoNode.Echo", args, &EchoReply{}, again)
		return &echoNode{env: e}
	})
	for done < n {
		if !w.step() {
			b.Fatal(w.Err())
		}
	}
}

// timerEvents runs n timer events: 100 nodes whose timers re-arm
// themselves at random.
func timerEvents(b *testing.B, n int) {
	w := NewWorld(Config{Nodes: 100, MaxEvents: 1 << 62, MaxTime: 1 << 62})
	defer w.Close()
	for i := 0; i < 100; i++ {
		w.Start(i, func(env Env) any {
			var tick func()
			tick = func() { env.After(time.Duration(1+env.Rand().IntN(1000))*time.Microsecond, tick) }
			env.After(0, tick)
			return &echoNode{env: env}
		})
	}
	for i := 0; i < n; i++ {
		if !w.step() {
			b.Fatal(w.Err())
		}
	}
}
