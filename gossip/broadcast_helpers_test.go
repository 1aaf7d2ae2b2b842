package gossip

import (
	"fmt"
	"slices"
	"time"

	"protolab/labrpc"
)

// Helpers for the 3A tests and benchmarks: a cluster of broadcast nodes, a
// tracker that times each value's spread, and the Gossip Glomers workload.

func startBroadcast(w *labrpc.World, n int, cfg Config) {
	for i := 0; i < n; i++ {
		w.Start(i, func(env labrpc.Env) any { return Make(env, cfg) })
	}
}

// bnode is node i's Broadcast, or nil while it is down.
func bnode(w *labrpc.World, i int) *Broadcast {
	if s, ok := w.Service(i, "Broadcast").(*Broadcast); ok {
		return s
	}
	return nil
}

// spread follows values from their acknowledgement until every node has
// them. Its check runs after every event (w.Check), so "the last node has
// it" is timed to the event, not to a polling interval. It also checks,
// continuously, that no node holds a value that no client broadcast.
type spread struct {
	w       *labrpc.World
	n       int
	sent    map[int]bool          // values some client has sent
	acked   map[int]time.Duration // value → when its client got the ack
	done    map[int]time.Duration // value → when the last node got it
	pending []int                 // values sent, not yet everywhere
	cursor  map[int]int           // value → first node not known to have it
}

func newSpread(w *labrpc.World, n int) *spread {
	s := &spread{w: w, n: n, sent: map[int]bool{}, acked: map[int]time.Duration{},
		done: map[int]time.Duration{}, cursor: map[int]int{}}
	w.Check(s.check)
	return s
}

func (s *spread) send(v int) {
	s.sent[v] = true
	s.pending = append(s.pending, v)
}

func (s *spread) ack(v int, at time.Duration) { s.acked[v] = at }

func (s *spread) check() error {
	kept := s.pending[:0]
	for _, v := range s.pending {
		i := s.cursor[v]
		for i < s.n {
			b := bnode(s.w, i)
			if b == nil || !b.Has(v) {
				break
			}
			i++
		}
		s.cursor[v] = i
		if i == s.n {
			s.done[v] = s.w.Now()
		} else {
			kept = append(kept, v)
		}
	}
	s.pending = kept
	for i := 0; i < s.n; i++ {
		if b := bnode(s.w, i); b != nil && b.Len() > len(s.sent) {
			for _, v := range b.order {
				if !s.sent[v] {
					return fmt.Errorf("n%d has value %d, which no client broadcast (a node must not invent values)", i, v)
				}
			}
		}
	}
	return nil
}

// everywhere reports whether every acknowledged value has reached every node.
func (s *spread) everywhere() bool {
	for v := range s.acked {
		if _, ok := s.done[v]; !ok {
			return false
		}
	}
	return true
}

// missing describes the acknowledged values some node lacks, for failure
// messages.
func (s *spread) missing() string {
	var out []string
	for _, v := range slices.Sorted(mapKeys(s.acked)) {
		if _, ok := s.done[v]; ok {
			continue
		}
		var lack []int
		for i := 0; i < s.n; i++ {
			if b := bnode(s.w, i); b == nil || !b.Has(v) {
				lack = append(lack, i)
			}
		}
		out = append(out, fmt.Sprintf("value %d (acked at %v) is missing at nodes %v", v, s.acked[v], lack))
		if len(out) == 5 {
			out = append(out, "...")
			break
		}
	}
	return fmt.Sprint(out)
}

// latencies are, for every acknowledged value that reached everyone, the
// time from its acknowledgement until the last node had it (zero if that
// happened before the ack came back), sorted.
func (s *spread) latencies() []time.Duration {
	var lat []time.Duration
	for v, at := range s.acked {
		if d, ok := s.done[v]; ok {
			lat = append(lat, max(0, d-at))
		}
	}
	slices.Sort(lat)
	return lat
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// percentile is the p-th percentile (0 < p <= 100) of sorted durations,
// by the nearest-rank method.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// workload is the Gossip Glomers broadcast workload: Rate client operations
// per second for For, alternately a broadcast of a fresh value and a read,
// each to a node drawn at random; each operation is its own client process
// with its own endpoint.
type workload struct {
	Nodes int
	Rate  int // operations per second
	For   time.Duration
}

type workloadResult struct {
	ops, broadcasts, acked, reads int
	msgs                          int64 // server-to-server messages: requests and replies
	lat                           []time.Duration
}

func (r workloadResult) msgsPerOp() float64 { return float64(r.msgs) / float64(r.ops) }

// run starts the operations and lets them finish (each has a second after
// the last is issued). Reads are checked as they return: a read must
// include every value that node acknowledged before the read was sent.
func (wl workload) run(w *labrpc.World, s *spread) *workloadResult {
	res := &workloadResult{}
	gap := time.Second / time.Duration(wl.Rate)
	total := int(wl.For / gap)
	ackedAt := make([][]int, wl.Nodes) // node → values it acknowledged, in order
	rng := w.Rand()
	for i := 0; i < total; i++ {
		node := rng.IntN(wl.Nodes)
		res.ops++
		if i%2 == 0 {
			v := i / 2
			res.broadcasts++
			w.At(time.Duration(i)*gap, func() {
				s.send(v)
				w.Go(fmt.Sprintf("broadcast %d to n%d", v, node), func() {
					c := w.NewClient()
					if c.Call(node, "Broadcast.Broadcast", &BroadcastArgs{Value: v}, &BroadcastReply{}) {
						s.ack(v, c.Now())
						ackedAt[node] = append(ackedAt[node], v)
						res.acked++
					}
				})
			})
			continue
		}
		w.At(time.Duration(i)*gap, func() {
			before := len(ackedAt[node])
			w.Go(fmt.Sprintf("read n%d", node), func() {
				c := w.NewClient()
				reply := &ReadReply{}
				if !c.Call(node, "Broadcast.Read", &ReadArgs{}, reply) {
					return
				}
				res.reads++
				got := map[int]bool{}
				for _, v := range reply.Values {
					if !s.sent[v] {
						w.Fail(fmt.Errorf("read at n%d returned %d, which no client broadcast", node, v))
					}
					got[v] = true
				}
				for _, v := range ackedAt[node][:before] {
					if !got[v] {
						w.Fail(fmt.Errorf("read at n%d lacks value %d, which n%d itself acknowledged before the read (reads return every value the node has)", node, v, node))
					}
				}
			})
		})
	}
	w.Sleep(time.Duration(total)*gap + time.Second)
	for i := 0; i < wl.Nodes; i++ {
		res.msgs += 2 * w.RPCs(i) // nodes call only nodes; each request has one reply
	}
	return res
}
