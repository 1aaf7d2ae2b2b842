package ctrler

import "protolab/labrpc"

// A Poller asks the controller for configs from node code (a group
// server's event handlers), which must never block: every answer comes
// back as a callback from a later event. It remembers which server
// answered last and asks it first next time, as a Clerk does.
type Poller struct {
	env     labrpc.Env
	servers []int
	leader  int // index into servers of the server that answered last
}

// NewPoller returns a poller that reaches the controller's servers (world
// node ids) through env.
func NewPoller(env labrpc.Env, servers []int) *Poller {
	return &Poller{env: env, servers: append([]int(nil), servers...)}
}

// Query asks for config num (-1: the latest), trying each server at most
// once, the one that answered last first. done runs exactly once, from a
// later event: done(cfg, true) with the first answer, or
// done(Config{}, false) if no server answered (lost calls, no leader, a
// partition). The caller polls again on its own timer; a config a group
// server keeps is its own copy.
func (p *Poller) Query(num int, done func(cfg Config, ok bool)) {
	if len(p.servers) == 0 {
		p.env.After(0, func() { done(Config{}, false) })
		return
	}
	p.try(num, 0, done)
}

func (p *Poller) try(num, k int, done func(Config, bool)) {
	s := (p.leader + k) % len(p.servers)
	reply := &QueryReply{}
	p.env.Call(p.servers[s], MethodQuery, &QueryArgs{Num: num}, reply, func(ok bool) {
		switch {
		case ok && !retry(reply.Err):
			p.leader = s
			done(reply.Config, true)
		case k+1 < len(p.servers):
			p.try(num, k+1, done)
		default:
			done(Config{}, false)
		}
	})
}
