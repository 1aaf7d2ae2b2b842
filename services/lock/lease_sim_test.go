package lock

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// The client's lease runs from when it sent the KeepAlive, not from when
// the answer came back: the server's lease started when it applied the
// KeepAlive, possibly long before a slow reply arrives. Here the replies to
// A take 800 ms (a 2 s lease keeps A's belief through them); then A's
// requests stop reaching the servers, and B waits for the lock. A must stop
// believing before B is granted it. Clocks run at true rate here: the test
// is about the network's delay, not the clocks'.
func TestLeaseFromSend6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		cfg := Config{Lease: 2 * time.Second, Rho: 0.1}
		c := newCell(t, e, 2, cfg, labrpc.Config{})
		for id := range c.W.Nodes() {
			c.W.SetClockRate(id, 1)
		}
		a, b := c.Clients[0], c.Clients[1]
		acquire(t, c, a, "L", 5*time.Second)
		for _, s := range c.Servers {
			c.W.SetLinkDelay(s, a, 800*time.Millisecond, 800*time.Millisecond)
		}
		c.W.Sleep(2 * cfg.Lease)
		_, holds := c.Client(a).Holds("L")
		require.True(t, holds, "slow replies alone should not cost A its lease")
		for _, s := range c.Servers {
			c.W.Cut(a, s)
		}
		acquire(t, c, b, "L", 5*cfg.Lease)
		require.Len(t, c.Holders("L"), 1)
	})
}

// The worst clocks the bound allows: the holder's runs slow (1-ρ), every
// server's fast (1+ρ). The servers' lease then ends earliest in true time,
// the holder's latest; the client's margin must cover exactly that.
func TestWorstCaseDrift6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		cfg := Config{Lease: time.Second, Rho: 0.2}
		c := newCell(t, e, 2, cfg, labrpc.Config{})
		a, b := c.Clients[0], c.Clients[1]
		c.W.SetClockRate(a, 1-cfg.Rho)
		for _, s := range c.Servers {
			c.W.SetClockRate(s, 1+cfg.Rho)
		}
		acquire(t, c, a, "L", 5*time.Second)
		c.W.Sleep(2 * cfg.Lease)
		c.W.Disconnect(a)
		t0 := c.W.Now()
		acquire(t, c, b, "L", 5*cfg.Lease)
		t.Logf("B was granted the lock %v (true time) after A was cut off", c.W.Now()-t0)
		require.Len(t, c.Holders("L"), 1)
	})
}
