package chash

import (
	"fmt"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// The comparison table of lab 2 (part 2C):
//
//	go test ./chash -run '^$' -bench .
//
// Each line of BenchmarkLookup is one placement at one cluster size N:
//
//	ns/op, allocs/op   one lookup of an already hashed key (LookupHash)
//	peak/mean          the largest member's keys over the mean, 2^20 keys
//	stddev%            standard deviation of the members' keys, % of the mean
//	join-moved/ideal   keys moved when member N+1 joins, over the ideal 1/(N+1)
//	join-to-new        1 if every moved key went to the new member, else 0
//	leave-moved/ideal  keys moved when the last member leaves, over the ideal 1/N
//	leave-from-gone    1 if every moved key came from the member that left
//
// The balance figures include the sampling noise of a finite key set,
// √(N/K) (0.3% at N = 8, 6% at N = 4096): jump and mod N, which are
// balanced in expectation, show that floor. The timed loops call each
// concrete type, never the Hasher interface, so the compiler can inline.

var benchSizes = []int{8, 64, 512, 4096}

const (
	lookupKeys  = 1 << 16 // distinct keys the timed loops cycle through
	qualityKeys = 1 << 20 // keys behind the balance and movement figures
)

var sink string // keeps the timed lookups from being optimised away

func BenchmarkLookup(b *testing.B) {
	keys := testKeys(lookupKeys)
	for _, algo := range []string{"ring", "jump", "rendezvous", "maglev", "modn"} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/N=%d", algo, n), func(b *testing.B) {
				names := memberNames(n)
				// The quality figures of the previous run leave garbage;
				// collect it now rather than during the timed loop.
				runtime.GC()
				b.ReportAllocs()
				switch algo {
				case "ring":
					r := benchRing(b, names)
					b.ResetTimer()
					for i := range b.N {
						sink = r.LookupHash(keys[i&(lookupKeys-1)])
					}
				case "jump":
					j, _ := NewJump(names...)
					b.ResetTimer()
					for i := range b.N {
						sink = j.LookupHash(keys[i&(lookupKeys-1)])
					}
				case "rendezvous":
					r, _ := NewRendezvous(names...)
					b.ResetTimer()
					for i := range b.N {
						sink = r.LookupHash(keys[i&(lookupKeys-1)])
					}
				case "maglev":
					m, _ := NewMaglev(0, names...)
					b.ResetTimer()
					for i := range b.N {
						sink = m.LookupHash(keys[i&(lookupKeys-1)])
					}
				case "modn":
					m, _ := NewModN(names...)
					b.ResetTimer()
					for i := range b.N {
						sink = m.LookupHash(keys[i&(lookupKeys-1)])
					}
				}
				b.StopTimer()
				placementQuality(b, algo, n).report(b)
			})
		}
	}
}

func benchRing(t testing.TB, names []string) *Ring {
	r := NewRing(DefaultVnodes)
	if err := r.Add(names...); err != nil {
		t.Fatal(err)
	}
	return r
}

// builders make each placement over a member list, for the quality figures.
var builders = map[string]func(t testing.TB, names []string, base int) Hasher{
	"ring":       func(t testing.TB, names []string, _ int) Hasher { return benchRing(t, names) },
	"jump":       func(t testing.TB, names []string, _ int) Hasher { return mustJump(t, names) },
	"rendezvous": func(t testing.TB, names []string, _ int) Hasher { return mustRendezvous(t, names) },
	// Maglev keeps its table size across a change of membership, as a
	// deployment does: the size for the base cluster.
	"maglev": func(t testing.TB, names []string, base int) Hasher {
		return mustMaglevSize(t, MaglevTableSize(base), names)
	},
	"modn": func(t testing.TB, names []string, _ int) Hasher {
		m, err := NewModN(names...)
		if err != nil {
			t.Fatal(err)
		}
		return m
	},
}

// quality is what BenchmarkLookup reports besides the time.
type quality struct {
	balance
	joinRatio, leaveRatio float64
	joinToNew, leaveFrom  bool
}

func (q quality) report(b *testing.B) {
	b.ReportMetric(q.peakOverMean, "peak/mean")
	b.ReportMetric(100*q.stddev, "stddev%")
	b.ReportMetric(q.joinRatio, "join-moved/ideal")
	b.ReportMetric(b2f(q.joinToNew), "join-to-new")
	b.ReportMetric(q.leaveRatio, "leave-moved/ideal")
	b.ReportMetric(b2f(q.leaveFrom), "leave-from-gone")
}

func b2f(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// qualities caches the figures: the benchmark function runs several times
// with growing b.N, and rendezvous at N = 4096 takes seconds to measure.
var qualities = map[string]quality{}

func placementQuality(t testing.TB, algo string, n int) quality {
	id := fmt.Sprintf("%s/%d", algo, n)
	if q, ok := qualities[id]; ok {
		return q
	}
	build := builders[algo]
	keys := testKeys(qualityKeys)
	names := memberNames(n + 1)
	before := assignParallel(keys, build(t, names[:n], n))
	join := movementTo(before, assignParallel(keys, build(t, names, n)), names[n])
	leave := movementFrom(before, assignParallel(keys, build(t, names[:n-1], n)), names[n-1])
	q := quality{
		balance:    balanceOf(t, before, names[:n]),
		joinRatio:  float64(join.moved) / (float64(len(keys)) / float64(n+1)),
		joinToNew:  join.onlyThatMember,
		leaveRatio: float64(leave.moved) / (float64(len(keys)) / float64(n)),
		leaveFrom:  leave.onlyThatMember,
	}
	qualities[id] = q
	return q
}

// assignParallel is assign on every core: lookups only read the structure.
func assignParallel(keys []uint64, h Hasher) []string {
	owners := make([]string, len(keys))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < len(keys); i += workers {
				owners[i] = h.LookupHash(keys[i])
			}
		})
	}
	wg.Wait()
	return owners
}

// BenchmarkBounded shows what bounded loads buy and cost: the peak load is
// capped at ⌈c·mean⌉ (against the ring's on the same keys, ring-peak/mean),
// for some extra movement on a join. 1000 keys per member; the time is a
// lookup of a placed key.
func BenchmarkBounded(b *testing.B) {
	for _, c := range []float64{1.25, 1.05} {
		for _, n := range benchSizes[:3] {
			b.Run(fmt.Sprintf("c=%.2f/N=%d", c, n), func(b *testing.B) {
				bl, err := NewBounded(c, DefaultVnodes)
				if err != nil {
					b.Fatal(err)
				}
				names := memberNames(n + 1)
				for _, name := range names[:n] {
					if _, err := bl.AddMember(name); err != nil {
						b.Fatal(err)
					}
				}
				keys := make([]string, 1000*n)
				ringLoad := map[string]int{}
				for i := range keys {
					keys[i] = fmt.Sprintf("key-%d", i)
					if _, err := bl.AddKey(keys[i]); err != nil {
						b.Fatal(err)
					}
					ringLoad[bl.ring.Lookup(keys[i])]++
				}
				load := map[string]int{}
				for _, name := range names[:n] {
					load[name] = bl.Load(name)
				}
				moves, err := bl.AddMember(names[n])
				if err != nil {
					b.Fatal(err)
				}
				toNew := 0
				for _, mv := range moves {
					if mv.To == names[n] {
						toNew++
					}
				}

				b.ReportAllocs()
				b.ResetTimer()
				for i := range b.N {
					sink = bl.Lookup(keys[i%len(keys)])
				}
				b.StopTimer()
				b.ReportMetric(balanceOfLoads(load).peakOverMean, "peak/mean")
				b.ReportMetric(balanceOfLoads(ringLoad).peakOverMean, "ring-peak/mean")
				b.ReportMetric(float64(len(moves))/(float64(len(keys))/float64(n+1)), "join-moved/ideal")
				b.ReportMetric(float64(toNew)/float64(len(moves)), "join-to-new-frac")
			})
		}
	}
}

// BenchmarkHashKey is the cost of hashing a key, which Lookup adds to
// the LookupHash figures above.
func BenchmarkHashKey(b *testing.B) {
	for _, key := range []string{"user:1234", "session/6ba7b810-9dad-11d1-80b4-00c04fd430c8"} {
		b.Run(fmt.Sprintf("len=%d", len(key)), func(b *testing.B) {
			var h uint64
			for range b.N {
				h += HashKey(key)
			}
			sink = fmt.Sprint(h != 0)
		})
	}
}

// BenchmarkBoundedJoin is the cost of a join and of a leave with 2^17
// keys placed: each op is one AddMember followed by the RemoveMember that
// undoes it, so the placement is the same at every iteration. Both cost
// time in the keys they can move (about 2^17/(N+1)), not in all the keys.
func BenchmarkBoundedJoin(b *testing.B) {
	for _, c := range []float64{1.25, 1.05} {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("c=%.2f/N=%d", c, n), func(b *testing.B) {
				bl, err := NewBounded(c, DefaultVnodes)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := bl.AddMembers(memberNames(n)...); err != nil {
					b.Fatal(err)
				}
				for i := range 1 << 17 {
					if _, err := bl.AddKey(fmt.Sprintf("key-%d", i)); err != nil {
						b.Fatal(err)
					}
				}
				moved := 0
				var joinCPU, leaveCPU time.Duration
				runtime.GC() // the garbage of the setup, collected now
				b.ReportAllocs()
				b.ResetTimer()
				for range b.N {
					t0 := cpuTime()
					in, err := bl.AddMember("newcomer")
					if err != nil {
						b.Fatal(err)
					}
					t1 := cpuTime()
					out, err := bl.RemoveMember("newcomer")
					if err != nil {
						b.Fatal(err)
					}
					joinCPU, leaveCPU = joinCPU+t1-t0, leaveCPU+cpuTime()-t1
					moved += len(in) + len(out)
				}
				b.ReportMetric(float64(joinCPU.Microseconds())/float64(b.N), "join-cpu-µs")
				b.ReportMetric(float64(leaveCPU.Microseconds())/float64(b.N), "leave-cpu-µs")
				b.ReportMetric(float64(moved)/float64(b.N), "moves/op")
			})
		}
	}
}

// cpuTime is the CPU time the process has used, all threads: on a
// shared machine it varies far less than the wall clock.
func cpuTime() time.Duration {
	// CLOCK_PROCESS_CPUTIME_ID: nanoseconds, where getrusage counts in
	// scheduler ticks of a few milliseconds.
	const clockProcessCPUTime = 2
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockProcessCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		panic(errno)
	}
	return time.Duration(ts.Nano())
}
