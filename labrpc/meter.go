package labrpc

import (
	"runtime"
	"runtime/metrics"
	"time"
)

// A Meter measures what a stretch of a run costs the machine, for the scale
// benchmarks (`go test -run '^$' -bench Scale ./...`): CPU time (user and
// system, of the whole process, so the garbage collector's work counts; real
// time on a system without getrusage),
// events run, virtual time passed, bytes allocated, and the peak of the
// heap, sampled every few thousand events. Start it after the set-up that
// should not count; read it once the stretch has run.
type Meter struct {
	w      *World
	cpu    time.Duration
	steps  int64
	now    time.Duration
	alloc  uint64
	peak   uint64
	sample []metrics.Sample
	on     bool
}

const meterEvery = 4096 // events between two samples of the heap

// NewMeter returns a Meter for w, running from now.
func NewMeter(w *World) *Meter {
	m := &Meter{w: w, sample: []metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
	}}
	w.Check(func() error {
		if m.on && w.steps%meterEvery == 0 {
			m.sampleHeap()
		}
		return nil
	})
	m.Restart()
	return m
}

// Restart starts the measurement afresh from now. It collects the garbage
// first (before the clock starts), so that the peak is this stretch's and
// not what an earlier world left behind.
func (m *Meter) Restart() {
	runtime.GC()
	m.on = true
	m.cpu, m.steps, m.now = processCPU(), m.w.steps, m.w.now
	metrics.Read(m.sample)
	m.alloc = m.sample[0].Value.Uint64()
	m.peak = m.sample[1].Value.Uint64()
}

func (m *Meter) sampleHeap() {
	metrics.Read(m.sample[1:])
	m.peak = max(m.peak, m.sample[1].Value.Uint64())
}

// A Measure is what a Meter measured.
type Measure struct {
	CPU     time.Duration // user and system CPU of the process
	Events  int64         // events the world ran
	Virtual time.Duration // virtual time that passed
	Alloc   uint64        // bytes allocated
	Peak    uint64        // the largest heap sampled (live and not yet collected objects)
	Live    uint64        // the heap after a collection at the end
}

// Read ends the measurement and returns it.
func (m *Meter) Read() Measure {
	m.sampleHeap()
	r := Measure{CPU: processCPU() - m.cpu, Events: m.w.steps - m.steps, Virtual: m.w.now - m.now, Peak: m.peak}
	metrics.Read(m.sample[:1])
	r.Alloc = m.sample[0].Value.Uint64() - m.alloc
	m.on = false
	runtime.GC()
	metrics.Read(m.sample[1:])
	r.Live = m.sample[1].Value.Uint64()
	return r
}

// A Reporter takes named figures: *testing.B is one.
type Reporter interface{ ReportMetric(n float64, unit string) }

// Report gives the figures the scale benchmarks compare: virtual seconds
// per CPU-second, CPU milliseconds per virtual second, events per
// CPU-second, bytes allocated per event, and peak and live heap in MB.
func (r Measure) Report(b Reporter) {
	cpu := max(r.CPU.Seconds(), 1e-9)
	b.ReportMetric(r.Virtual.Seconds()/cpu, "sim-s/cpu-s")
	if r.Virtual > 0 {
		b.ReportMetric(1000*cpu/r.Virtual.Seconds(), "cpu-ms/sim-s")
	}
	b.ReportMetric(float64(r.Events)/cpu, "events/cpu-s")
	if r.Events > 0 {
		b.ReportMetric(float64(r.Alloc)/float64(r.Events), "B/event")
	}
	b.ReportMetric(float64(r.Peak)/(1<<20), "peak-heap-MB")
	b.ReportMetric(float64(r.Live)/(1<<20), "live-heap-MB")
}
