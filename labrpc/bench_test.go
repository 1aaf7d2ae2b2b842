package labrpc

import (
	"testing"
	"time"
)

// BenchmarkEvents measures the bare scheduler: 100 nodes whose timers
// re-arm themselves, so every event is a timer firing plus one scheduling.
func BenchmarkEvents(b *testing.B) {
	w := NewWorld(Config{Nodes: 100, MaxEvents: 1 << 62, MaxTime: 1 << 62, KeepTrace: 4000})
	fired := 0
	for i := 0; i < 100; i++ {
		w.Start(i, func(env Env) any {
			var tick func()
			tick = func() {
				fired++
				env.After(time.Duration(1+env.Rand().IntN(1000))*time.Microsecond, tick)
			}
			env.After(0, tick)
			return &echoNode{env: env}
		})
	}
	b.ResetTimer()
	for b.Loop() {
		if !w.step() {
			b.Fatal(w.Err())
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRPC measures one simulated round trip of a small struct: copy
// through labgob both ways, dispatch by reflection, four events.
func BenchmarkRPC(b *testing.B) {
	w := NewWorld(Config{Nodes: 2, MaxEvents: 1 << 62, MaxTime: 1 << 62})
	w.Start(1, bootEcho)
	var n int
	var send func(env Env)
	send = func(env Env) {
		reply := &EchoReply{}
		env.Call(1, "echoNode.Echo", &EchoArgs{From: 0, Text: "ping"}, reply, func(ok bool) {
			n++
			if n < b.N {
				send(env)
			}
		})
	}
	b.ResetTimer()
	w.Start(0, func(env Env) any { send(env); return &echoNode{env: env} })
	for n < b.N {
		if !w.step() {
			b.Fatal(w.Err())
		}
	}
}
