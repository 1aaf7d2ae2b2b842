package balance

import (
	"fmt"
	"time"

	"protolab/labrpc"
)

// A Setup is a load-balancing scenario: servers, a load board, and clients
// offering a load through one kind of balancer. The tests, the benchmarks
// and the demo build theirs from it. It is given, not part of the lab.
type Setup struct {
	Servers     int           // default 10
	Clients     int           // default 10
	Service     Dist          // default Exponential(100ms)
	Concurrency int           // requests each server serves at once (default 1)
	Speeds      []float64     // each server's speed (nil: all 1)
	SlowServer  int           // with SlowAt > 0: this server's speed drops to SlowSpeed at SlowAt
	SlowAt      time.Duration //
	SlowSpeed   float64       //
	// Load is the offered load as a share of the servers' configured
	// capacity, Σ concurrency·speed/mean service time (default 0.9).
	Load     float64
	Balancer Spec
	// Refresh is the board's period T: the clients' load information is up
	// to T (plus the network's delays) old. 0 publishes on every change.
	Refresh time.Duration
	// The clients send for Warmup+Measure, and the latencies of requests
	// sent after Warmup are measured. Sample is how often the queue lengths
	// are sampled (default Refresh, or 10ms if Refresh is 0).
	Warmup, Measure, Sample time.Duration
	Keys                    int // requests are for Keys keys (default 1000)
}

func (s Setup) withDefaults() (Setup, error) {
	if s.Servers == 0 {
		s.Servers = 10
	}
	if s.Clients == 0 {
		s.Clients = 10
	}
	if s.Service == (Dist{}) {
		s.Service = Exponential(100 * time.Millisecond)
	}
	if s.Load == 0 {
		s.Load = 0.9
	}
	if s.Sample == 0 {
		s.Sample = s.Refresh
		if s.Sample == 0 {
			s.Sample = 10 * time.Millisecond
		}
	}
	switch {
	case s.Servers < 1 || s.Servers > 1000 || s.Clients < 1 || s.Clients > 10000:
		return s, fmt.Errorf("balance: %d servers and %d clients; a scenario has 1 to 1000 servers and 1 to 10000 clients", s.Servers, s.Clients)
	case s.Speeds != nil && len(s.Speeds) != s.Servers:
		return s, fmt.Errorf("balance: %d speeds for %d servers; give one per server, or none", len(s.Speeds), s.Servers)
	case !(s.Load > 0 && s.Load <= 10):
		return s, fmt.Errorf("balance: load %v; give the offered load as a share of capacity, in (0, 10], as 0.9 for 90%%", s.Load)
	case s.Refresh < 0 || s.Warmup < 0 || s.Measure <= 0:
		return s, fmt.Errorf("balance: Refresh %v, Warmup %v, Measure %v; Measure must be positive and the others not negative", s.Refresh, s.Warmup, s.Measure)
	case s.SlowAt > 0 && (s.SlowServer < 0 || s.SlowServer >= s.Servers):
		return s, fmt.Errorf("balance: slow server %d of %d", s.SlowServer, s.Servers)
	}
	return s, nil
}

// Nodes is how many nodes the scenario's world needs: the servers (ids 0
// to Servers-1), the board (id Servers) and the clients (the ids after).
func (s Setup) Nodes() int {
	s, _ = s.withDefaults()
	return s.Servers + 1 + s.Clients
}

// speed is server i's configured speed.
func (s Setup) speed(i int) float64 {
	if s.Speeds == nil {
		return 1
	}
	return s.Speeds[i]
}

// A Result is what a scenario measured.
type Result struct {
	Latencies                       []time.Duration // of every answered request sent after the warm-up
	Sent, Failed, Unplaced, OnLeast int64
	Arrived                         []int64 // requests that reached each server
	MaxQueue                        int     // the longest queue any server had, at any time
	// Queues are the servers' queue lengths every Sample, from the start:
	// Queues[k][i] is server i's at (k+1)·Sample.
	Queues [][]int
}

// Run plays the scenario on w, which must have s.Nodes() nodes, and returns
// what it measured. It runs for Warmup+Measure of virtual time, and then
// until every request is answered (at most an hour more: a server
// given more than it can serve drains its backlog slowly).
func Run(w *labrpc.World, s Setup) (*Result, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, err
	}
	if w.Nodes() != s.Nodes() {
		return nil, fmt.Errorf("balance: the world has %d nodes, the scenario needs %d (Setup.Nodes)", w.Nodes(), s.Nodes())
	}
	board := s.Servers
	servers, clients := make([]int, s.Servers), make([]int, s.Clients)
	capacity := 0.0 // requests per second the servers can serve
	caps := make([]float64, s.Servers)
	for i := range servers {
		servers[i] = i
		caps[i] = float64(max(s.Concurrency, 1)) * s.speed(i)
		capacity += caps[i] / s.Service.Mean.Seconds()
	}
	for i := range clients {
		clients[i] = board + 1 + i
	}
	spec := s.Balancer
	if spec.Capacities == nil {
		spec.Capacities = caps
	}
	// Check the spec once here, so that a bad one is an error, not a
	// client that fails to boot.
	if _, err := New(spec, NewView(s.Servers, w.Now), w.Rand()); err != nil {
		return nil, err
	}
	end := s.Warmup + s.Measure
	for i := range servers {
		cfg := ServerConfig{Service: s.Service, Concurrency: s.Concurrency, Speed: s.speed(i), Board: board}
		if s.SlowAt > 0 && i == s.SlowServer {
			cfg.SlowAt, cfg.SlowSpeed = s.SlowAt, s.SlowSpeed
		}
		if _, err := cfg.withDefaults(); err != nil {
			return nil, err
		}
		w.Start(i, func(env labrpc.Env) any { srv, _ := MakeServer(env, cfg); return srv })
	}
	w.Start(board, func(env labrpc.Env) any { return MakeBoard(env, servers, clients, s.Refresh) })
	gap := time.Duration(float64(s.Clients) / (s.Load * capacity) * float64(time.Second))
	for _, id := range clients {
		cfg := ClientConfig{Servers: servers, Balancer: spec, Gap: gap, Keys: s.Keys, Stop: end, MeasureFrom: s.Warmup}
		w.Start(id, func(env labrpc.Env) any {
			c, err := MakeClient(env, cfg)
			if err != nil {
				w.Fail(err)
			}
			return c
		})
	}

	res := &Result{Arrived: make([]int64, s.Servers)}
	for w.Now()+s.Sample <= end {
		w.Sleep(s.Sample)
		row := make([]int, s.Servers)
		for i := range servers {
			row[i] = w.Service(i, "Server").(*Server).Queue()
		}
		res.Queues = append(res.Queues, row)
	}
	idle := func() bool {
		for i := range servers {
			if w.Service(i, "Server").(*Server).Queue() > 0 {
				return false
			}
		}
		return true
	}
	w.Sleep(max(end-w.Now(), 0) + 100*time.Millisecond) // the last requests reach their servers
	if !w.WaitUntil(idle, 100*time.Millisecond, time.Hour) {
		return nil, fmt.Errorf("balance: the servers still had requests queued an hour after the clients stopped")
	}
	w.Sleep(100 * time.Millisecond) // the last replies reach their clients
	for i := range servers {
		srv := w.Service(i, "Server").(*Server)
		res.Arrived[i] = srv.Arrived()
		res.MaxQueue = max(res.MaxQueue, srv.MaxQueue())
	}
	for _, id := range clients {
		c := w.Service(id, "Client").(*Client)
		sent, failed, unplaced, onLeast := c.Counts()
		res.Sent += sent
		res.Failed += failed
		res.Unplaced += unplaced
		res.OnLeast += onLeast
		for _, smp := range c.Samples() {
			res.Latencies = append(res.Latencies, smp.Latency)
		}
	}
	return res, w.Err()
}
