package gossip

import "fmt"

// Anti-entropy (Demers et al. 1987, §1.3 and §2): every interval, each node
// picks a peer uniformly at random and the two reconcile their whole sets.
// Direct mail is fast but may lose values; anti-entropy is slow but
// certain: whatever a partition, a lost batch or a restart left behind,
// repeated random reconciliation spreads it to everyone, in O(log n)
// rounds.
//
// Three ways to reconcile, with fan-out 1:
//
//   - push: send what I have; the peer adds it. Slow at the end: once
//     most nodes have a value, the few without it wait to be picked.
//   - pull: send a digest of what I have; the peer replies with what I
//     lack. Slow at the start, fast at the end: each node without the
//     value asks every round.
//   - push-pull: both at once, in one round trip. A value's reach grows
//     about threefold per round, so n nodes are covered in about log₃ n
//     rounds (Karp et al. 2000, "Randomized rumor spreading").
//
// A value that anti-entropy brings is new to this node like any other, and
// is mailed on to its neighbours like any other. Storing it quietly would
// be a trap: if the hub of a star learns a value by anti-entropy a moment
// before the mail carrying it arrives, the mail finds the value known and
// stops, and the hub's other neighbours wait rounds for anti-entropy to
// find them.

// Mode is how anti-entropy reconciles with a peer.
type Mode uint8

// The modes of anti-entropy. The zero value is PushPull.
const (
	PushPull Mode = iota
	Push
	Pull
)

func (m Mode) String() string {
	switch m {
	case PushPull:
		return "push-pull"
	case Push:
		return "push"
	case Pull:
		return "pull"
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// SyncArgs carries the caller's set. With Push the callee adds it; with
// Pull it is only a digest, and the callee replies with what the caller
// lacks.
type SyncArgs struct {
	From   int
	Values []int
	Push   bool
	Pull   bool
}

// SyncReply carries what the caller lacks (when it pulled).
type SyncReply struct{ Values []int }

// antiEntropyTick reconciles with one random peer, and comes back at the
// next boundary of the interval. Every node's ticks fall on the same
// instants, so a run proceeds in rounds, as in the analyses.
func (b *Broadcast) antiEntropyTick() {
	b.env.After(untilBoundary(b.env.Now(), b.cfg.AntiEntropyInterval), b.antiEntropyTick)
	//lab:solution 3A
	n := b.n
	if n < 2 {
		return
	}
	mode := b.cfg.AntiEntropy
	if mode == Push && len(b.order) == 0 {
		return // nothing to push
	}
	// A peer other than me, uniformly: draw among n-1 and skip over me.
	peer := b.env.Rand().IntN(n - 1)
	if peer >= b.me {
		peer++
	}
	args := &SyncArgs{From: b.me, Values: b.order, Push: mode != Pull, Pull: mode != Push}
	reply := &SyncReply{}
	b.env.Call(peer, "Broadcast.Sync", args, reply, func(ok bool) {
		if ok {
			for _, v := range reply.Values {
				b.learn(v, peer)
			}
		}
	})
	//lab:stub
	// TODO(3A): pick a random peer other than this node, and send it a
	// Broadcast.Sync in the configured mode; learn the values a pull
	// brings back.
	//lab:end
}

// Sync is a peer's anti-entropy: reply with what it lacks if it pulls,
// then take what it pushes.
func (b *Broadcast) Sync(args *SyncArgs, reply *SyncReply) {
	//lab:solution 3A
	if args.Pull {
		has := make(map[int]bool, len(args.Values))
		for _, v := range args.Values {
			has[v] = true
		}
		for _, v := range b.order {
			if !has[v] {
				reply.Values = append(reply.Values, v)
			}
		}
	}
	if args.Push {
		for _, v := range args.Values {
			b.learn(v, args.From)
		}
	}
	//lab:stub
	// TODO(3A): if the caller pulls, reply with the values it lacks; if
	// it pushes, learn its values.
	//lab:end
}

// remember stores v; it reports whether v was new. learn calls it, and
// then mails v on.
func (b *Broadcast) remember(v int) bool {
	//lab:solution 3A
	if b.values[v] {
		return false
	}
	b.values[v] = true
	b.order = append(b.order, v)
	return true
	//lab:stub
	// TODO(3A): store v if it is new.
	//> return false
	//lab:end
}
