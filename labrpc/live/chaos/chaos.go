// Package chaos puts a proxy in front of each live node (protolab/labrpc/live)
// and makes the network between them as unkind as the simulator's: it
// drops, delays, duplicates and partitions frames on command. Peers and
// clients are given the proxies' addresses; a proxy forwards each frame to
// its node and each reply back, or not, as the rules say.
//
// The rules are the simulator's faults, by name (docs/live.md):
//
//	partition 0,1 2   nodes in different groups cannot reach each other
//	                  (a node in no group is cut off from every node);
//	                  clients reach every group
//	heal              no partition
//	drop P            lose each frame with probability P
//	dup P             deliver each frame twice with probability P
//	delay D [J]       hold each frame D, plus up to J more (frames reorder)
//	reliable          drop 0, dup 0, delay 0 (a partition stays)
//
// Frames stand alone (live's framing), so a lost or repeated frame costs
// that message only, as a lost or repeated message does in the simulator.
package chaos

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"protolab/labrpc/live"
)

// Commands are the commands Apply knows.
var Commands = []string{"partition", "heal", "drop", "dup", "delay", "reliable"}

// Rules are the faults the proxies apply now.
type Rules struct {
	Drop, Dup     float64
	Delay, Jitter time.Duration
	// Groups is the partition; nil when the network is whole.
	Groups [][]int
}

// String says the rules in the command language.
func (r Rules) String() string {
	var parts []string
	if r.Groups == nil {
		parts = append(parts, "whole")
	} else {
		var gs []string
		for _, g := range r.Groups {
			var ids []string
			for _, id := range g {
				ids = append(ids, strconv.Itoa(id))
			}
			gs = append(gs, strings.Join(ids, ","))
		}
		parts = append(parts, "partition "+strings.Join(gs, " "))
	}
	parts = append(parts, fmt.Sprintf("drop %g", r.Drop), fmt.Sprintf("dup %g", r.Dup), fmt.Sprintf("delay %v %v", r.Delay, r.Jitter))
	return strings.Join(parts, "; ")
}

// A Net is the proxies of one cluster and the rules they share.
type Net struct {
	nodes int

	mu    sync.Mutex
	rules Rules
	rng   *rand.Rand
	// counts of frames passed, dropped, duplicated
	passed, dropped, duplicated int64

	proxies []*Proxy
}

// NewNet returns a network of nodes nodes, whole and reliable, whose
// random choices come from seed.
func NewNet(nodes int, seed int64) *Net {
	return &Net{nodes: nodes, rng: rand.New(rand.NewPCG(uint64(seed), 0x63686173))}
}

// Rules are the rules in force.
func (n *Net) Rules() Rules {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rules
}

// Counts says how many frames the proxies passed, dropped and duplicated.
func (n *Net) Counts() (passed, dropped, duplicated int64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.passed, n.dropped, n.duplicated
}

// Apply carries out one command of the language above, and returns the
// rules it leaves in force, or an error that names the mistake.
func (n *Net) Apply(cmd string) (Rules, error) {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return n.Rules(), fmt.Errorf("chaos: an empty command; say partition, heal, drop, dup, delay or reliable")
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.rules
	prob := func() (float64, error) {
		if len(f) != 2 {
			return 0, fmt.Errorf("chaos: %s takes one probability, like '%s 0.1'", f[0], f[0])
		}
		p, err := strconv.ParseFloat(f[1], 64)
		if err != nil || !(p >= 0 && p <= 1) {
			return 0, fmt.Errorf("chaos: %s %s: a probability is a number in [0, 1], like 0.1", f[0], f[1])
		}
		return p, nil
	}
	var err error
	switch f[0] {
	case "partition":
		r.Groups, err = n.parseGroups(f[1:])
	case "heal":
		r.Groups = nil
	case "drop":
		r.Drop, err = prob()
	case "dup":
		r.Dup, err = prob()
	case "delay":
		if len(f) < 2 || len(f) > 3 {
			return r, fmt.Errorf("chaos: delay takes a duration and an optional jitter, like 'delay 20ms 10ms'")
		}
		var d, j time.Duration
		if d, err = time.ParseDuration(f[1]); err == nil && len(f) == 3 {
			j, err = time.ParseDuration(f[2])
		}
		if err != nil || d < 0 || j < 0 || d+j > time.Minute {
			return r, fmt.Errorf("chaos: %s: durations like 20ms, at least 0, together at most a minute", cmd)
		}
		r.Delay, r.Jitter = d, j
	case "reliable":
		r.Drop, r.Dup, r.Delay, r.Jitter = 0, 0, 0, 0
	default:
		return r, fmt.Errorf("chaos: unknown command %q; say partition, heal, drop, dup, delay or reliable", f[0])
	}
	if err != nil {
		return n.rules, err
	}
	n.rules = r
	return r, nil
}

func (n *Net) parseGroups(args []string) ([][]int, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("chaos: partition takes groups of node ids, like 'partition 0,1 2'")
	}
	seen := map[int]bool{}
	var groups [][]int
	for _, a := range args {
		var g []int
		for _, s := range strings.Split(a, ",") {
			id, err := strconv.Atoi(s)
			if err != nil || id < 0 || id >= n.nodes {
				return nil, fmt.Errorf("chaos: partition: %q is not a node id; the nodes are 0..%d", s, n.nodes-1)
			}
			if seen[id] {
				return nil, fmt.Errorf("chaos: partition: node %d is in two groups", id)
			}
			seen[id] = true
			g = append(g, id)
		}
		groups = append(groups, g)
	}
	return groups, nil
}

// fate decides what happens to a frame from endpoint from to endpoint to:
// how many copies arrive, and after how long each.
func (n *Net) fate(from, to int) (copies int, delays [2]time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.rules
	if n.cut(r.Groups, from, to) || r.Drop > 0 && n.rng.Float64() < r.Drop {
		n.dropped++
		return 0, delays
	}
	copies = 1
	if r.Dup > 0 && n.rng.Float64() < r.Dup {
		copies = 2
		n.duplicated++
	}
	for i := range copies {
		delays[i] = r.Delay
		if r.Jitter > 0 {
			delays[i] += time.Duration(n.rng.Int64N(int64(r.Jitter)))
		}
	}
	n.passed++
	return copies, delays
}

// cut reports whether the partition separates two endpoints. Clients
// (ids past the nodes) are in every group.
func (n *Net) cut(groups [][]int, a, b int) bool {
	if groups == nil || a >= n.nodes || b >= n.nodes || a < 0 || b < 0 || a == b {
		return false
	}
	for _, g := range groups {
		hasA, hasB := false, false
		for _, id := range g {
			hasA = hasA || id == a
			hasB = hasB || id == b
		}
		if hasA || hasB {
			return !(hasA && hasB)
		}
	}
	return true // neither is in any group: each is alone
}

// A Proxy stands in front of one node.
type Proxy struct {
	net *Net
	id  int
	ln  net.Listener

	mu     sync.Mutex
	target string
	conns  map[net.Conn]bool
	closed bool
}

// Listen starts the proxy for node id on addr (127.0.0.1:0 lets the kernel
// choose). It forwards to nothing until SetTarget.
func (n *Net) Listen(id int, addr string) (*Proxy, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	p := &Proxy{net: n, id: id, ln: ln, conns: map[net.Conn]bool{}}
	n.mu.Lock()
	n.proxies = append(n.proxies, p)
	n.mu.Unlock()
	go p.accept()
	return p, nil
}

// Addr is where peers and clients reach the node through the proxy.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// SetTarget says where the node listens now (it moves when it restarts).
func (p *Proxy) SetTarget(addr string) {
	p.mu.Lock()
	p.target = addr
	p.mu.Unlock()
}

// Close stops every proxy.
func (n *Net) Close() {
	n.mu.Lock()
	ps := n.proxies
	n.mu.Unlock()
	for _, p := range ps {
		p.close()
	}
}

func (p *Proxy) close() {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.ln.Close()
}

func (p *Proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		p.conns[c] = true
	}
	return true
}

func (p *Proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	for _, c := range cs {
		delete(p.conns, c)
		c.Close()
	}
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

// forward joins a caller's connection to a fresh one to the node, and
// passes frames both ways by the rules. A node that is down refuses the
// connection, and the caller's is closed: its calls fail, as to any
// unreachable peer.
func (p *Proxy) forward(c net.Conn) {
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	var s net.Conn
	var err error
	if target != "" {
		s, err = net.DialTimeout("tcp", target, 300*time.Millisecond)
	}
	if target == "" || err != nil {
		c.Close()
		return
	}
	if !p.track(c, s) {
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pump(c, s) }()
	go func() { defer wg.Done(); p.pump(s, c) }()
	wg.Wait()
	p.untrack(c, s)
}

// pump passes frames from src to dst until either breaks.
func (p *Proxy) pump(src, dst net.Conn) {
	defer src.Close()
	defer dst.Close()
	r := bufio.NewReaderSize(src, 64<<10)
	var mu sync.Mutex // one frame at a time on dst, delayed ones too
	write := func(f *live.Frame) {
		mu.Lock()
		defer mu.Unlock()
		if live.WriteFrame(dst, f) != nil {
			dst.Close()
		}
	}
	for {
		f, err := live.ReadFrame(r)
		if err != nil {
			return
		}
		copies, delays := p.net.fate(f.From, f.To)
		for i := range copies {
			if delays[i] == 0 {
				write(f)
			} else {
				time.AfterFunc(delays[i], func() { write(f) })
			}
		}
	}
}
