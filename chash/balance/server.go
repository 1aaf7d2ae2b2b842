package balance

import (
	"fmt"
	"time"

	"protolab/labrpc"
)

// A ServerConfig says how a server serves: how long a request takes, how
// many it serves at once, how fast it is, and where it reports its load.
type ServerConfig struct {
	Service     Dist // service time at speed 1
	Concurrency int  // requests served at once (0 means 1); the rest wait in order of arrival
	// Speed scales the service time: a server at speed 0.5 takes twice as
	// long (0 means 1).
	Speed float64
	// If SlowAt > 0, the server runs at SlowSpeed from then on: a server
	// that slows down in the middle of a run (a noisy neighbour, a GC
	// storm), which no configured weight foresaw.
	SlowAt    time.Duration
	SlowSpeed float64
	// Board is the node id of the load board that the server tells of every
	// change of its queue length; -1 for none.
	Board int
}

func (c ServerConfig) withDefaults() (ServerConfig, error) {
	if err := c.Service.validate(); err != nil {
		return c, err
	}
	if c.Concurrency == 0 {
		c.Concurrency = 1
	}
	if c.Speed == 0 {
		c.Speed = 1
	}
	if c.Concurrency < 0 || c.Concurrency > 1024 {
		return c, fmt.Errorf("balance: server concurrency %d; it must be 1 to 1024 requests at once", c.Concurrency)
	}
	if !(c.Speed > 0 && c.Speed <= 1000) || (c.SlowAt > 0 && !(c.SlowSpeed > 0 && c.SlowSpeed <= 1000)) {
		return c, fmt.Errorf("balance: server speed %v (slow speed %v); speeds must be in (0, 1000], 1 being nominal", c.Speed, c.SlowSpeed)
	}
	return c, nil
}

// The messages of a request.
type Request struct {
	Key string
}

type Reply struct {
	Queue   int  // the server's queue length (waiting and in service) as it replied
	Refused bool // the server is down, and served nothing
}

// A job is a request waiting for, or in, service.
type job struct {
	reply   *Reply
	respond func()
}

// Server is one server: it takes requests in order of arrival, serves up to
// Concurrency of them at once, each for a service time drawn from its own
// random stream, and replies when the service is over. It is given, not
// part of the lab.
type Server struct {
	env     labrpc.Env
	cfg     ServerConfig
	waiting []job // in order of arrival
	busy    int   // requests in service
	down    bool
	seq     int64 // numbers this server's load reports, so the board keeps the newest

	arrived, served, refused int64
	maxQueue                 int
}

// MakeServer is a server's boot function, given its configuration.
func MakeServer(env labrpc.Env, cfg ServerConfig) (*Server, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Server{env: env, cfg: cfg}, nil
}

// Queue is the number of requests at the server: waiting and in service.
func (s *Server) Queue() int { return len(s.waiting) + s.busy }

// MaxQueue is the longest the queue has been.
func (s *Server) MaxQueue() int { return s.maxQueue }

// Arrived counts the requests that reached the server, refused ones included.
func (s *Server) Arrived() int64 { return s.arrived }

// Served counts the requests it served.
func (s *Server) Served() int64 { return s.served }

// Down reports whether the server is marked down.
func (s *Server) Down() bool { return s.down }

// Serve takes a request: refused at once if the server is down, else queued
// and answered when its service is over (a deferred reply).
func (s *Server) Serve(args *Request, reply *Reply, respond func()) {
	s.arrived++
	if s.down {
		s.refused++
		reply.Refused = true
		respond()
		return
	}
	s.waiting = append(s.waiting, job{reply: reply, respond: respond})
	s.maxQueue = max(s.maxQueue, s.Queue())
	s.startNext()
	s.report()
}

// startNext puts waiting requests into service while there is room.
func (s *Server) startNext() {
	for s.busy < s.cfg.Concurrency && len(s.waiting) > 0 {
		j := s.waiting[0]
		s.waiting[0] = job{}
		s.waiting = s.waiting[1:]
		s.busy++
		s.env.After(s.serviceTime(), func() {
			s.busy--
			s.served++
			s.startNext()
			j.reply.Queue = s.Queue()
			j.respond()
			s.report()
		})
	}
}

// serviceTime draws a service time at the server's speed now.
func (s *Server) serviceTime() time.Duration {
	speed := s.cfg.Speed
	if s.cfg.SlowAt > 0 && s.env.Now() >= s.cfg.SlowAt {
		speed = s.cfg.SlowSpeed
	}
	return time.Duration(float64(s.cfg.Service.Sample(s.env.Rand())) / speed)
}

// The load report a server sends the board on every change.
type ReportArgs struct {
	Server int   // the server's node id
	Seq    int64 // increasing with each report of this server
	Queue  int
	Down   bool
}

type ReportReply struct{}

// report tells the board the server's queue length now.
func (s *Server) report() {
	if s.cfg.Board < 0 {
		return
	}
	s.seq++
	args := ReportArgs{Server: s.env.Me(), Seq: s.seq, Queue: s.Queue(), Down: s.down}
	s.env.Call(s.cfg.Board, "Board.Report", &args, &ReportReply{}, func(bool) {})
}

// SetDownArgs marks the server down (drained: it refuses requests) or up.
type SetDownArgs struct{ Down bool }

type SetDownReply struct{}

// SetDown is the operator's switch: a server marked down refuses every
// request at once, and says so in its load reports, so that clients stop
// sending to it. Requests already queued are still served.
func (s *Server) SetDown(args *SetDownArgs, reply *SetDownReply) {
	if s.down != args.Down {
		s.env.Logf("down", "marked down=%v with %d queued", args.Down, s.Queue())
	}
	s.down = args.Down
	s.report()
}
