package gossip

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Acks that arrive after their probe period is over (issue 10), staged one
// event at a time on a tests.HandNet. An ack answers one probe: the period it
// was sent in, about the member that period probed (SWIM §4: each probe
// carries a sequence number, and the ack names it).

// newHandSwims forms a group of n members on a tests.HandNet in which only
// member 0 probes: every join, sync and probe is delivered until each
// member knows every other.
func newHandSwims(t *tests.T, n int) (*tests.HandNet, func(i int) *Swim) {
	hn := tests.NewHandNet(t, n, t.Seed, func(env labrpc.Env) any {
		cfg := DefaultSwimConfig()
		if env.Me() != 0 {
			// Only member 0 probes: the others' probes, which the test
			// does not deliver, would make them suspect one another, and
			// their news would reach member 0 on the messages it does.
			cfg.ProbeInterval, cfg.ProbeTimeout = time.Hour, time.Hour/2
		}
		return MakeSwim(env, cfg)
	})
	sw := func(i int) *Swim { return hn.Nodes[i].(*Swim) }
	formed := func() bool {
		for i := 0; i < n; i++ {
			if len(sw(i).Members()) != n {
				return false
			}
		}
		return true
	}
	for step := 0; !formed(); step++ {
		require.Less(t, step, 3000, "the group must form within 30 seconds on a network that loses nothing")
		hn.Flush()
		hn.Advance(10 * time.Millisecond)
	}
	hn.Flush()
	return hn, sw
}

// nextProbe lets time pass until member 0 pings someone, and returns whom.
func nextProbe(t *tests.T, hn *tests.HandNet) int {
	t.Helper()
	for i := 0; i < 2000; i++ {
		if to := hn.Targets(0, "Ping"); len(to) > 0 {
			return to[0]
		}
		hn.Advance(time.Millisecond)
	}
	t.Fatal("member 0 started no probe in two seconds")
	return -1
}

// probeBeforeAnother lets time pass until member 0 starts a probe that is
// not the last of its round through the members, so that the next period
// probes someone else, and returns the member it probes.
func probeBeforeAnother(t *tests.T, hn *tests.HandNet, s *Swim) int {
	t.Helper()
	for i := 0; i < 10; i++ {
		target := nextProbe(t, hn)
		if s.probeNext < len(s.probeList) {
			return target
		}
		hn.Flush() // this probe ends a round: let it succeed, and wait for the next
	}
	t.Fatal("member 0 started no probe that another follows in its round")
	return -1
}

// Member 0 probes T1; T1's ack is held on the wire. In the next period
// member 0 probes T2, which answers nothing (it has crashed). Then T1's ack
// arrives. It says T1 was alive a period ago, nothing about T2: T2 must be
// suspected at the end of its period.
func TestLateDirectAck3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, sw := newHandSwims(t, 4)
		cfg := DefaultSwimConfig()

		t1 := probeBeforeAnother(t, hn, sw(0))
		hn.Deliver(0, t1, "Ping") // T1 answers; the ack is held
		hn.Advance(cfg.ProbeInterval - time.Millisecond)
		t2 := nextProbe(t, hn) // the next period
		require.NotEqual(t, t1, t2)
		hn.Answer(0, t1, "Ping") // T1's ack of the last period, at last
		hn.Advance(cfg.ProbeInterval)

		info, _ := sw(0).Lookup(t2)
		require.Equal(t, Suspect, info.State,
			"n%d answered nothing in its probe period, yet n0 does not suspect it: the late ack of n%d from the period before counted for it (SWIM §4: an ack answers the probe whose sequence number it carries)", t2, t1)
	})
}

// The same with an indirect ack: member 0's ping of T1 is lost, a helper
// pings T1 for it and reports the ack, and that report is held until the
// next period, in which member 0 probes T2, which answers nothing.
func TestLateIndirectAck3B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		hn, sw := newHandSwims(t, 4)
		cfg := DefaultSwimConfig()

		t1 := probeBeforeAnother(t, hn, sw(0))
		hn.Lose(0, t1, "Ping", false)
		hn.Advance(cfg.ProbeTimeout) // no ack: member 0 asks helpers
		helpers := hn.Targets(0, "PingReq")
		require.NotEmpty(t, helpers)
		h := helpers[0]
		hn.Exchange(0, h, "PingReq")
		hn.Exchange(h, t1, "Ping") // the helper reaches T1 and reports the ack; the report is held
		hn.Advance(cfg.ProbeInterval - cfg.ProbeTimeout - time.Millisecond)
		t2 := nextProbe(t, hn)
		require.NotEqual(t, t1, t2)
		hn.Exchange(h, 0, "IndirectAck") // the helper's report of the last period, at last
		hn.Advance(cfg.ProbeInterval)

		info, _ := sw(0).Lookup(t2)
		require.Equal(t, Suspect, info.State,
			"n%d answered nothing in its probe period, yet n0 does not suspect it: n%d's indirect ack of n%d, from the period before, counted for it (SWIM §4: an ack answers the probe whose sequence number it carries)", t2, h, t1)
	})
}
