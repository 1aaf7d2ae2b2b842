package gossip

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"protolab/labrpc"
)

// SWIM's figures (3B, 3C), in virtual time:
//
//	go test ./gossip -run '^$' -bench 'Swim|Lifeguard' -benchtime 1x

// detectionTimes crashes a random member (never the seed) `crashes` times
// in a group of n, one at a time; for each it records the time from the
// crash until every other member has declared it dead, then restarts it
// and waits for it to be back in every view.
func detectionTimes(w *labrpc.World, n int, cfg SwimConfig, crashes int) ([]time.Duration, error) {
	g := newGroup(w, n, cfg)
	g.startAll()
	if !w.WaitUntil(g.converged, 100*time.Millisecond, time.Minute) {
		return nil, fmt.Errorf("no full view after a minute:\n%s", g.views())
	}
	rng := w.Rand()
	var times []time.Duration
	for i := 0; i < crashes; i++ {
		w.Sleep(time.Duration(rng.IntN(1000)) * time.Millisecond)
		victim := 1 + rng.IntN(n-1)
		g.crash(victim)
		crashed := w.Now()
		if !w.WaitUntil(func() bool { _, all := g.allDeclaredDead(victim, crashed); return all }, 10*time.Millisecond, 2*detectionBound(cfg, n)) {
			return nil, fmt.Errorf("n%d not declared dead by everyone:\n%s", victim, g.views())
		}
		last, _ := g.allDeclaredDead(victim, crashed)
		times = append(times, last-crashed)
		g.start(victim)
		if !w.WaitUntil(g.converged, 100*time.Millisecond, time.Minute) {
			return nil, fmt.Errorf("n%d did not rejoin:\n%s", victim, g.views())
		}
	}
	slices.Sort(times)
	return times, nil
}

func seconds(d time.Duration) float64 { return d.Seconds() }

// BenchmarkSwimDetection: time from a crash until every member has
// declared the crashed one dead, 32 members, 40 crashes, p50 and p99.
func BenchmarkSwimDetection(b *testing.B) {
	for _, lifeguard := range []bool{false, true} {
		name := "swim"
		if lifeguard {
			name = "lifeguard"
		}
		b.Run(name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 32, MaxTime: 5 * time.Hour})
				cfg := DefaultSwimConfig()
				cfg.Lifeguard = lifeguard
				var err error
				if times, err = detectionTimes(w, 32, cfg, 40); err != nil {
					b.Fatal(err)
				}
				w.Close()
			}
			b.ReportMetric(seconds(percentile(times, 50)), "detect-p50-s")
			b.ReportMetric(seconds(percentile(times, 99)), "detect-p99-s")
		})
	}
}

// BenchmarkSwimFalseDeaths: declarations of death of running members, per
// member-hour, on 32 members losing 10% and 20% of all messages for 30
// virtual minutes. A declaration counts once per (declarer, victim).
func BenchmarkSwimFalseDeaths(b *testing.B) {
	for _, loss := range []float64{0.10, 0.20} {
		b.Run(fmt.Sprintf("loss=%.0f%%", 100*loss), func(b *testing.B) {
			var falseDeaths int
			for b.Loop() {
				w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 32, MaxTime: time.Hour})
				g := newGroup(w, 32, DefaultSwimConfig())
				g.startAll()
				w.Sleep(30 * time.Second)
				w.SetProfile(lossyNet(loss))
				w.Sleep(30 * time.Minute)
				falseDeaths = len(g.falseDeaths)
				w.Close()
			}
			b.ReportMetric(float64(falseDeaths)/32/0.5, "false/member-hour")
		})
	}
}

// BenchmarkSwimLoad: messages (requests and replies) and bytes each member
// sends per protocol period, on a reliable network, over 5 minutes once
// everyone has joined, at N = 8, 32 and 128. SWIM's promise is that the
// message load is flat in N; the bytes grow only with the piggybacked
// news (log N retransmits of each update).
func BenchmarkSwimLoad(b *testing.B) {
	for _, n := range []int{8, 32, 128} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			var msgs, bytes float64
			for b.Loop() {
				w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: n})
				cfg := DefaultSwimConfig()
				g := newGroup(w, n, cfg)
				g.startAll()
				if !w.WaitUntil(g.converged, 100*time.Millisecond, 2*time.Minute) {
					b.Fatalf("no full view:\n%s", g.views())
				}
				w.Sleep(30 * time.Second) // let the join news die out
				rpcs0, bytes0 := w.TotalRPCs(), w.TotalBytes()
				const span = 5 * time.Minute
				w.Sleep(span)
				periods := float64(n) * float64(span/cfg.ProbeInterval)
				msgs = 2 * float64(w.TotalRPCs()-rpcs0) / periods
				bytes = float64(w.TotalBytes()-bytes0) / periods
				w.Close()
			}
			b.ReportMetric(msgs, "msgs/member/period")
			b.ReportMetric(bytes, "bytes/member/period")
		})
	}
}

// BenchmarkLifeguardSlowMember (3C): 32 members for 10 minutes, one of
// them slow (everything it receives is 5 to 15 s late); false declarations
// of death of healthy members, and the members that declared the slow one
// dead at least once, with plain SWIM and with Lifeguard.
func BenchmarkLifeguardSlowMember(b *testing.B) {
	for _, lifeguard := range []bool{false, true} {
		name := "swim"
		if lifeguard {
			name = "lifeguard"
		}
		b.Run(name, func(b *testing.B) {
			var healthy, slow int
			for b.Loop() {
				w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 32})
				cfg := DefaultSwimConfig()
				cfg.Lifeguard = lifeguard
				healthy, slow, _ = slowMemberRun(w, cfg)
				w.Close()
			}
			b.ReportMetric(float64(healthy), "false-decl/10min")
			b.ReportMetric(float64(slow), "declared-slow-one")
		})
	}
}
