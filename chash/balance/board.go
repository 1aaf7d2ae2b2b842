package balance

import (
	"time"

	"protolab/labrpc"
)

// Board is the load board: servers tell it their queue length on every
// change, and every Every it publishes all of them to every client, in one
// message each. It is Mitzenmacher's bulletin board (2000): the clients'
// information is as old as the last publication, up to Every plus the
// network's delays, and every client has the same. With Every = 0 it
// publishes on every report, so the information is only the network's
// delays old. It is given, not part of the lab; production systems do the
// same with a control plane (load reports aggregated and pushed to the
// proxies), or by gossip (lab 3), which this lab does not use.
type Board struct {
	env     labrpc.Env
	servers []int         // their node ids; index i is server i of every client's view
	index   map[int]int   // node id → index (lookups only)
	clients []int         // node ids the board publishes to
	every   time.Duration // 0: on every report
	queue   []int
	down    []bool
	seq     []int64 // the newest report taken from each server

	published int64
}

// MakeBoard is the board's boot function.
func MakeBoard(env labrpc.Env, servers, clients []int, every time.Duration) *Board {
	b := &Board{env: env, servers: servers, index: map[int]int{}, clients: clients, every: every,
		queue: make([]int, len(servers)), down: make([]bool, len(servers)), seq: make([]int64, len(servers))}
	for i, id := range servers {
		b.index[id] = i
	}
	if every > 0 {
		b.env.After(every, b.tick)
	}
	return b
}

// Published counts the reports the board sent.
func (b *Board) Published() int64 { return b.published }

// Report takes a server's load report; an older one than the board has
// (reports overtake each other on the network) is ignored.
func (b *Board) Report(args *ReportArgs, reply *ReportReply) {
	i, ok := b.index[args.Server]
	if !ok || args.Seq <= b.seq[i] {
		return
	}
	b.seq[i], b.queue[i], b.down[i] = args.Seq, args.Queue, args.Down
	if b.every == 0 {
		b.publish()
	}
}

func (b *Board) tick() {
	b.publish()
	b.env.After(b.every, b.tick)
}

// LoadsArgs is a publication: every server's queue length and whether it is
// down, as the board had them at AsOf.
type LoadsArgs struct {
	Queue []int
	Down  []bool
	AsOf  time.Duration
}

type LoadsReply struct{}

func (b *Board) publish() {
	b.published++
	if b.every > 0 {
		// One line per publication on the timeline: what every client will
		// rank the servers by until the next one.
		least, longest := 0, 0
		for i := range b.queue {
			if b.queue[i] < b.queue[least] {
				least = i
			}
			if b.queue[i] > b.queue[longest] {
				longest = i
			}
		}
		b.env.Logf("board", "publish: shortest queue server %d (%d), longest server %d (%d)", least, b.queue[least], longest, b.queue[longest])
	}
	args := LoadsArgs{Queue: b.queue, Down: b.down, AsOf: b.env.Now()}
	for _, c := range b.clients {
		b.env.Call(c, "Client.Loads", &args, &LoadsReply{}, func(bool) {})
	}
}
