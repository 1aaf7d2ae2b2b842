// Package gossip is lab 3: epidemic broadcast (3A), SWIM membership and
// failure detection (3B), and Lifeguard's local health awareness (3C).
//
// Part 3A is the broadcast of Jepsen's Gossip Glomers, on protolab's
// simulated network: clients hand values to any node, every node ends up
// with every value, and a node answers reads with all it has. Values travel
// two ways, as in Demers et al. 1987 ("Epidemic algorithms for replicated
// database maintenance"):
//
//   - direct mail (broadcast.go, topology.go, batch.go): a node that learns
//     a value sends it to its neighbours in an overlay, batched so that one
//     message carries many values. Mail is best effort: a lost batch is not
//     resent;
//   - anti-entropy (antientropy.go): every node now and then compares its
//     whole set with a random peer's and repairs the difference, which
//     makes up for lost mail, partitions and restarted nodes.
//
// Parts 3B and 3C (swim.go and the files it names) are a membership
// protocol in the manner of hashicorp/memberlist.
//
// The handout is docs/lab3-gossip.md.
package gossip

import (
	"slices"
	"time"

	"protolab/labrpc"
)

// Config sets up a broadcast node. The zero value is a node with no
// neighbours, no batching and no anti-entropy: useless, but valid.
type Config struct {
	// Topology says whom a node mails new values to (topology.go).
	Topology Topology
	// BatchInterval is how long values wait in a neighbour's outbox before
	// they are sent together (batch.go). Zero sends each value at once.
	BatchInterval time.Duration
	// AntiEntropy is how a node reconciles with a random peer, every
	// AntiEntropyInterval (antientropy.go). A zero interval turns it off.
	AntiEntropy         Mode
	AntiEntropyInterval time.Duration
}

// Broadcast is one node of the broadcast service. Its RPC handlers are
// Broadcast and Read (from clients), Gossip (direct mail) and Sync
// (anti-entropy).
type Broadcast struct {
	env labrpc.Env
	cfg Config
	me  int
	n   int // the group's size, len(env.Peers()), asked once

	// values is the set of values this node has; order keeps them in the
	// order they arrived, so that nothing depends on map order.
	values map[int]bool
	order  []int

	// neighbours are the nodes this node mails new values to, in the order
	// they were added; outbox holds each neighbour's values not yet sent.
	neighbours []int
	outbox     map[int][]int
	flushArmed bool
}

// BroadcastArgs carries a client's value. The reply is the acknowledgement:
// from then on the value must reach every node.
type BroadcastArgs struct{ Value int }

// BroadcastReply acknowledges a value.
type BroadcastReply struct{}

// ReadArgs asks a node for the values it has.
type ReadArgs struct{}

// ReadReply lists every value the node has, in increasing order.
type ReadReply struct{ Values []int }

// GossipArgs is one batch of direct mail.
type GossipArgs struct {
	From   int
	Values []int
}

// GossipReply acknowledges a batch. Nothing waits for it: mail is best
// effort, and anti-entropy repairs what is lost.
type GossipReply struct{}

// Make starts a broadcast node. It is a labrpc.Boot when wrapped:
//
//	w.Start(i, func(env labrpc.Env) any { return gossip.Make(env, cfg) })
func Make(env labrpc.Env, cfg Config) *Broadcast {
	b := &Broadcast{env: env, cfg: cfg, me: env.Me(), n: len(env.Peers()), values: map[int]bool{}, outbox: map[int][]int{}}
	//lab:solution 3A
	b.neighbours = cfg.Topology.neighbours(b.me, b.n, env.Rand())
	if cfg.Topology.introduce {
		// After boot, not during it: the node's service is registered
		// only once Make returns.
		b.env.After(0, b.introduce)
	}
	if cfg.AntiEntropyInterval > 0 {
		b.env.After(untilBoundary(env.Now(), cfg.AntiEntropyInterval), b.antiEntropyTick)
	}
	//lab:stub
	// TODO(3A): find this node's neighbours (cfg.Topology.neighbours), say
	// hello to them if the topology is one the nodes organise themselves,
	// and start the anti-entropy timer if cfg.AntiEntropyInterval > 0.
	//lab:end
	return b
}

// Broadcast is a client's value: learn it, then acknowledge. Once
// acknowledged, the value is the system's promise: it must reach every node.
func (b *Broadcast) Broadcast(args *BroadcastArgs, reply *BroadcastReply) {
	//lab:solution 3A
	b.learn(args.Value, -1)
	//lab:stub
	// TODO(3A): learn the value (it came from no neighbour).
	//lab:end
}

// Read answers with every value this node has.
func (b *Broadcast) Read(args *ReadArgs, reply *ReadReply) {
	//lab:solution 3A
	reply.Values = slices.Sorted(slices.Values(b.order))
	//lab:stub
	// TODO(3A): reply with every value this node has, in increasing order.
	//lab:end
}

// Gossip is a batch of direct mail from a neighbour.
func (b *Broadcast) Gossip(args *GossipArgs, reply *GossipReply) {
	//lab:solution 3A
	// A node that mails us is our neighbour, whether or not our topology
	// said so: in a self-organised overlay this is how edges become
	// symmetric. In the fixed topologies every edge already is.
	b.addNeighbour(args.From)
	for _, v := range args.Values {
		// Every value of the batch is learnt as if it came alone: new ones
		// go on to our other neighbours. Storing them without forwarding
		// is the bug that leaves the far end of a line without them.
		b.learn(v, args.From)
	}
	//lab:stub
	// TODO(3A): add the sender as a neighbour, and learn each value of the
	// batch (from the sender, so that it is not mailed back).
	//lab:end
}

// learn adds v to this node's set. A value it did not have goes into the
// outbox of every neighbour except the one it came from (from = -1 for a
// client). It reports whether v was new.
func (b *Broadcast) learn(v, from int) bool {
	//lab:solution 3A
	if !b.remember(v) {
		return false
	}
	for _, nb := range b.neighbours {
		if nb != from {
			b.outbox[nb] = append(b.outbox[nb], v)
		}
	}
	b.scheduleFlush()
	return true
	//lab:stub
	// TODO(3A): if v is new, store it, put it in every neighbour's outbox
	// except the sender's, and have the outboxes flushed (batch.go).
	//> return false
	//lab:end
}

// Has reports whether this node has value v. Tests use it to time a
// value's spread; it is not an RPC.
func (b *Broadcast) Has(v int) bool { return b.values[v] }

// Len is how many values this node has.
func (b *Broadcast) Len() int { return len(b.values) }

// Neighbours is the node's current list of neighbours, for tests.
func (b *Broadcast) Neighbours() []int { return slices.Clone(b.neighbours) }
