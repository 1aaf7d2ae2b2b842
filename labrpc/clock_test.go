package labrpc

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// clockNode reads its clock when asked, and measures 1s of its own clock
// with a timer.
type clockNode struct {
	env   Env
	fired []time.Duration // the node's clock when each timer fired
}

func (n *clockNode) Now() time.Duration { return n.env.Now() }

func bootClock(env Env) any { return &clockNode{env: env} }

func driftWorld(t *testing.T, seed int64, rho float64, nodes int) *World {
	w := NewWorld(Config{Seed: seed, Nodes: nodes, ClockDrift: rho})
	t.Cleanup(w.Close)
	for i := range nodes {
		w.Start(i, bootClock)
	}
	return w
}

func TestClockDriftNodesMeasureDifferentDurations(t *testing.T) {
	const rho = 0.01
	w := driftWorld(t, 3, rho, 5)
	w.Sleep(time.Second)
	before := make([]time.Duration, 5)
	for i := range before {
		before[i] = w.Service(i, "clockNode").(*clockNode).Now()
		require.Equal(t, w.Clock(i), before[i])
	}
	const interval = 10 * time.Second
	w.Sleep(interval)
	seen := map[time.Duration]bool{}
	for i := range before {
		measured := w.Service(i, "clockNode").(*clockNode).Now() - before[i]
		r := w.ClockRate(i)
		require.InDelta(t, 1, r, rho, "n%d's rate is within the bound", i)
		require.GreaterOrEqual(t, measured, time.Duration(float64(interval)*(1-rho)), "n%d", i)
		require.LessOrEqual(t, measured, time.Duration(float64(interval)*(1+rho)), "n%d", i)
		require.InDelta(t, float64(interval)*r, float64(measured), 2, "n%d measures rate × true time", i)
		seen[measured] = true
	}
	require.Len(t, seen, 5, "each node's clock runs at its own rate")
	require.Equal(t, 11*time.Second, w.Now(), "the world keeps true time")
	require.Contains(t, traceText(w), "clock rates n0 ")
}

// Env.After(d) fires once the node's own clock has advanced d: after d/r of
// true time.
func TestClockDriftTimersFollowTheNodesClock(t *testing.T) {
	w := NewWorld(Config{Seed: 5, Nodes: 2, ClockDrift: 0.2})
	defer w.Close()
	var set, fired [2]time.Duration // node clock
	var trueFired [2]time.Duration
	for i := range 2 {
		w.Start(i, func(env Env) any {
			set[i] = env.Now()
			env.After(time.Second, func() { fired[i], trueFired[i] = env.Now(), w.Now() })
			return &clockNode{env: env}
		})
	}
	w.Sleep(2 * time.Second)
	for i := range 2 {
		r := w.ClockRate(i)
		require.GreaterOrEqual(t, fired[i]-set[i], time.Second, "n%d's clock advanced at least d", i)
		require.Less(t, fired[i]-set[i], time.Second+2, "and not more (to the nanosecond)")
		require.InDelta(t, float64(time.Second)/r, float64(trueFired[i]), 2, "n%d's timer took d/r of true time", i)
	}
	require.NotEqual(t, trueFired[0], trueFired[1])
}

// A scripted fast clock: the rate changes without a jump; later timers
// follow it.
func TestSetClockRate(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 1})
	defer w.Close()
	var env0 Env
	w.Start(0, func(env Env) any { env0 = env; return &clockNode{env: env} })
	w.Sleep(time.Second)
	require.Equal(t, time.Second, w.Clock(0))
	w.SetClockRate(0, 1.5)
	require.Equal(t, time.Second, w.Clock(0), "no jump")
	var firedAt time.Duration
	// A timer the node sets now (from the test, for brevity):
	w.Service(0, "clockNode").(*clockNode).env.After(3*time.Second, func() { firedAt = w.Now() })
	w.Sleep(3 * time.Second)
	require.Equal(t, 3*time.Second, firedAt, "3s of a 1.5× clock take 2s of true time")
	require.Equal(t, 5500*time.Millisecond, env0.Now())
	require.Equal(t, 1.5, w.ClockRate(0))
	w.Restart(0)
	require.Equal(t, 5500*time.Millisecond, w.Clock(0), "the clock is the machine's: a restart keeps it")

	err := mustStop(t, w, func() { w.SetClockRate(0, 3) })
	require.ErrorContains(t, err, "World.SetClockRate(0, 3): a rate is how much the clock advances")
}

func TestClockDriftIsDeterministicAndShiftsNothingElse(t *testing.T) {
	run := func(seed int64, rho float64) (digest string, rates []float64, draws int64) {
		w := NewWorld(Config{Seed: seed, Nodes: 3, ClockDrift: rho, Profile: MustProfile("unreliable")})
		defer w.Close()
		for i := range 3 {
			w.Start(i, bootEcho)
		}
		c := w.NewClient()
		for i := range 30 {
			c.Call(i%3, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{})
		}
		for i := range 3 {
			rates = append(rates, w.ClockRate(i))
		}
		// The digest without the first line (the clock rates).
		var lines []Line
		for _, l := range w.Tail(-1) {
			if l.Kind != KindFault {
				lines = append(lines, l)
			}
		}
		return w.Timeline(lines), rates, w.Draws()
	}
	d1, r1, n1 := run(4, 0.05)
	d2, r2, n2 := run(4, 0.05)
	require.Equal(t, d1, d2)
	require.Equal(t, r1, r2, "rates come from the seed")
	require.Equal(t, n1, n2)
	_, r3, _ := run(5, 0.05)
	require.NotEqual(t, r1, r3, "another seed, other rates")

	d0, r0, n0 := run(4, 0)
	require.Equal(t, []float64{1, 1, 1}, r0)
	require.Equal(t, d1, d0, "drift draws from its own stream: the network's draws are unchanged")
	require.Equal(t, n1-3, n0, "with ClockDrift 0 nothing is drawn for clocks (3 nodes, one draw each)")
}

func TestClockDriftMustBeInRange(t *testing.T) {
	for _, rho := range []float64{-0.01, 0.5, 2, math.NaN()} {
		func() {
			defer func() {
				r := recover()
				require.NotNil(t, r, "ClockDrift %v must be refused", rho)
				require.ErrorContains(t, r.(error), "Config.ClockDrift =")
				require.ErrorContains(t, r.(error), "must be in [0, 0.5); use a small bound such as 0.01")
			}()
			NewWorld(Config{Nodes: 1, ClockDrift: rho})
		}()
	}
}
