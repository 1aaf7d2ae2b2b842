package labrpc

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Clocks that drift. With Config.ClockDrift = ρ > 0, each node's clock
// runs at its own rate r in [1-ρ, 1+ρ], drawn once per node from a stream
// of its own (the seed and the node id), so that turning drift on shifts no
// other draw of the run. The clock belongs to the node's machine, not to
// an incarnation: it keeps running through crashes and pauses, and a
// restarted node reads on from where it is. Env.Now is that clock (virtual
// time since the run began as the node measures it), Env.After(d) fires
// once the node's clock has advanced d, and the world keeps true time for
// the trace, World.Now and clients. With ρ = 0 a node's clock is true time
// and nothing is drawn.

// MaxClockDrift bounds Config.ClockDrift (excluded): a rate of 0.5 or less
// would leave a clock measuring less than half of what passes.
const MaxClockDrift = 0.5

// nodeClock is a node's clock: it read base at true time t0, and advances
// rate per unit of true time since.
type nodeClock struct {
	rate     float64
	base, t0 time.Duration
}

// at is the clock's reading at true time now (>= t0).
func (c *nodeClock) at(now time.Duration) time.Duration {
	return c.base + time.Duration(float64(now-c.t0)*c.rate)
}

// trueDelay is how much true time passes, from now, until the clock has
// advanced by d: the least such duration in nanoseconds.
func (c *nodeClock) trueDelay(now, d time.Duration) time.Duration {
	if d <= 0 || d > math.MaxInt64/4 {
		return d // nothing to scale, or far past any run's end: the caller judges it
	}
	x := time.Duration(math.Ceil(float64(d) / c.rate))
	start := c.at(now)
	for x > 0 && c.at(now+x-1)-start >= d {
		x--
	}
	for c.at(now+x)-start < d {
		x++
	}
	return x
}

func validClockDrift(rho float64) error {
	if rho >= 0 && rho < MaxClockDrift { // false for NaN
		return nil
	}
	return fmt.Errorf("labrpc: Config.ClockDrift = %v: it bounds how far a node's clock rate strays from true time (each node's rate is drawn from [1-ρ, 1+ρ]), so it must be in [0, %v); use a small bound such as 0.01 (1%%), or 0 for clocks without drift", rho, MaxClockDrift)
}

// drawClocks gives each node its clock rate (Config.ClockDrift > 0).
func (w *World) drawClocks() {
	rho := w.cfg.ClockDrift
	var b strings.Builder
	b.WriteString("clock rates")
	for i := range w.cfg.Nodes {
		r := 1 - rho + 2*rho*w.randStream(streamClock, uint64(i), 0).Float64()
		w.ends[i].node.clock = &nodeClock{rate: r}
		if i < 16 {
			b.WriteString(" " + w.Name(i) + " " + strconv.FormatFloat(r, 'f', 5, 64))
		}
	}
	if w.cfg.Nodes > 16 {
		b.WriteString(" ...")
	}
	w.fault(b.String())
}

// localNow is node n's clock reading now.
func (w *World) localNow(n *node) time.Duration {
	if n.clock == nil {
		return w.now
	}
	return n.clock.at(w.now)
}

// Clock is node id's clock reading now: what its Env.Now returns (true
// time when clocks do not drift).
func (w *World) Clock(id int) time.Duration {
	if !w.owned() {
		w.strayCall("World.Clock", -1)
	}
	if !w.nodeID("World.Clock", id) {
		return 0
	}
	return w.localNow(w.ends[id].node)
}

// ClockRate is node id's clock rate: how much its clock advances per unit
// of true time (1 when clocks do not drift).
func (w *World) ClockRate(id int) float64 {
	if !w.owned() {
		w.strayCall("World.ClockRate", -1)
	}
	if !w.nodeID("World.ClockRate", id) {
		return 0
	}
	if c := w.ends[id].node.clock; c != nil {
		return c.rate
	}
	return 1
}

// SetClockRate makes node id's clock run at rate r from now on (a scripted
// fast or slow clock; r need not lie within Config.ClockDrift, so that a
// test can show what a clock outside the bound breaks). The clock does not
// jump. Timers already set keep their true deadlines; those set later
// follow the new rate. r must be in [0.5, 2].
func (w *World) SetClockRate(id int, r float64) {
	if !w.owned() {
		w.strayCall("World.SetClockRate", -1)
	}
	if !w.nodeID("World.SetClockRate", id) {
		return
	}
	if !(r >= 0.5 && r <= 2) {
		w.refuse(fmt.Errorf("labrpc: World.SetClockRate(%d, %v): a rate is how much the clock advances per unit of true time; pass one in [0.5, 2], such as 1.05 for a clock 5%% fast", id, r))
		return
	}
	n := w.ends[id].node
	n.clock = &nodeClock{rate: r, base: w.localNow(n), t0: w.now}
	w.fault(fmt.Sprintf("clock %s rate %s", w.Name(id), strconv.FormatFloat(r, 'f', -1, 64)))
}
