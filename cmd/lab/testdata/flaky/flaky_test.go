// Package flaky is the lab tool's fixture for stress and replay: a
// simulated test that fails on some seeds, deterministically.
package flaky

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/tests"
)

type PingArgs struct{ N int }
type PingReply struct{ N int }

// pinger pings the next node every 10ms and logs its state.
type pinger struct {
	env  labrpc.Env
	sent int
}

func (p *pinger) Ping(args *PingArgs, reply *PingReply) { reply.N = args.N + 1 }

func (p *pinger) tick() {
	peers := p.env.Peers()
	to := peers[(p.env.Me()+1)%len(peers)]
	p.sent++
	p.env.Logf("state", "role=%s sent=%d", []string{"even", "odd"}[p.sent%2], p.sent)
	p.env.Call(to, "pinger.Ping", &PingArgs{N: p.sent}, &PingReply{}, func(ok bool) {})
	p.env.After(10*time.Millisecond, p.tick)
}

func boot(env labrpc.Env) any {
	p := &pinger{env: env}
	env.After(time.Duration(env.Rand().IntN(10))*time.Millisecond, p.tick)
	return p
}

// TestFlaky fails on every seed divisible by 3, at a random moment, as a
// safety check would.
func TestFlaky(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 3, Profile: labrpc.MustProfile("unreliable")})
		for i := 0; i < 3; i++ {
			w.Start(i, boot)
		}
		if t.Seed%3 == 0 {
			at := time.Duration(50+w.Rand().IntN(100)) * time.Millisecond
			w.Check(func() error {
				if w.Now() >= at {
					return fmt.Errorf("the invariant broke at %v (seed %d)", at, t.Seed)
				}
				return nil
			})
		}
		w.Sleep(300 * time.Millisecond)
	})
}

// TestSolid always passes.
func TestSolid(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 2})
		w.Start(0, boot)
		w.Start(1, boot)
		w.Sleep(100 * time.Millisecond)
	})
}

// TestPlain is not simulated.
func TestPlain(t *testing.T) {}
