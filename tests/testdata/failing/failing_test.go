// Package failing is the harness's fixture for its failure reports: a
// simulated test that fails with testify, run by tests/report_test.go in a
// go test of its own.
package failing

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

type PingArgs struct{ N int }
type PingReply struct {
	N  int
	OK bool
}

type pinger struct{ env labrpc.Env }

func (p *pinger) Ping(args *PingArgs, reply *PingReply) { reply.N, reply.OK = args.N+1, true }

func (p *pinger) tick() {
	to := (p.env.Me() + 1) % len(p.env.Peers())
	p.env.Logf("tick", "asking n%d", to)
	p.env.Call(to, "pinger.Ping", &PingArgs{N: 1}, &PingReply{}, func(ok bool) {})
	p.env.After(10*time.Millisecond, p.tick)
}

func boot(env labrpc.Env) any {
	p := &pinger{env: env}
	env.After(time.Millisecond, p.tick)
	return p
}

func TestRequireFails(t *testing.T) {
	tests.Run(t, func(t *tests.T) { // the -v line points here
		w := t.NewWorld(labrpc.Config{Nodes: 3})
		for i := 0; i < 3; i++ {
			w.Start(i, boot)
		}
		w.Sleep(100 * time.Millisecond)
		require.Equal(t, 1, 2, "the answer the test wanted") // the failure points here
	})
}
