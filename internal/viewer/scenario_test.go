package viewer

import (
	"time"

	"protolab/labrpc"
)

// The test scenario: five nodes that ping one another over a lossy network,
// each logging a Raft-like state line, through a partition, a crash and a
// disconnection.

type PingArgs struct{ Term int }
type PingReply struct{ Term int }

type pinger struct {
	env  labrpc.Env
	term int
	role string
}

func (p *pinger) Ping(args *PingArgs, reply *PingReply) {
	if args.Term > p.term {
		p.become(args.Term, "follower")
	}
	reply.Term = p.term
}

func (p *pinger) become(term int, role string) {
	p.term, p.role = term, role
	p.env.Logf("state", "term=%d role=%s", term, role)
}

func (p *pinger) tick() {
	switch r := p.env.Rand().IntN(40); {
	case r == 0:
		p.become(p.term+1, "candidate")
	case r == 1 && p.role == "candidate":
		p.become(p.term, "leader")
	}
	peers := p.env.Peers()
	to := peers[p.env.Rand().IntN(len(peers))]
	if to != p.env.Me() {
		p.env.Call(to, "pinger.Ping", &PingArgs{Term: p.term}, &PingReply{}, func(ok bool) {})
	}
	p.env.After(time.Duration(5+p.env.Rand().IntN(20))*time.Millisecond, p.tick)
}

func bootPinger(env labrpc.Env) any {
	p := &pinger{env: env}
	p.become(0, "follower")
	env.After(time.Duration(env.Rand().IntN(10))*time.Millisecond, p.tick)
	return p
}

// scenario runs the scenario until it has at least events trace lines that
// are not timer firings (and a second of virtual time), and returns them.
func scenario(events int) []labrpc.Line {
	w := labrpc.NewWorld(labrpc.Config{Seed: 11, Nodes: 5, Profile: labrpc.MustProfile("lossy"), KeepTrace: 1})
	defer w.Close()
	var lines []labrpc.Line
	drawn := 0 // the lines that are not timer firings: the viewer's events
	w.OnTrace(func(l labrpc.Line) {
		lines = append(lines, l)
		if l.Kind != labrpc.KindTimer {
			drawn++
		}
	})
	for i := 0; i < 5; i++ {
		w.Start(i, bootPinger)
	}
	w.At(200*time.Millisecond, func() { w.Partition([]int{0, 1}, []int{2, 3, 4}) })
	w.At(400*time.Millisecond, w.Heal)
	w.At(500*time.Millisecond, func() { w.Crash(3) })
	w.At(700*time.Millisecond, func() { w.Restart(3) })
	w.At(800*time.Millisecond, func() { w.Disconnect(1) })
	w.At(900*time.Millisecond, func() { w.Connect(1) })
	w.Sleep(time.Second)
	for drawn < events {
		w.Sleep(100 * time.Millisecond)
	}
	w.Note("FAIL: the end of the scenario")
	return lines
}
