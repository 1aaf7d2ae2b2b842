package balance

import (
	"fmt"
	"time"

	"protolab/labrpc"
)

// A ClientConfig says what a client sends, when, and through which balancer.
type ClientConfig struct {
	Servers  []int // the servers' node ids; server i of the view is Servers[i]
	Balancer Spec
	// Gap is the mean time between two requests: they arrive at random, a
	// Poisson process, whether or not earlier ones are answered (an open
	// loop, as from many independent users). 0: the client sends nothing.
	Gap time.Duration
	// Requests are for key-0 … key-(Keys-1), drawn uniformly (0 means 1000).
	Keys int
	// The client sends from its start until Stop (0: for ever), and records
	// the latency of the requests sent from MeasureFrom on.
	Stop, MeasureFrom time.Duration
	// FailHold is how long the client holds a server down after a call to
	// it failed (0 means one second).
	FailHold time.Duration
}

// A Sample is one answered request: when it was sent, where, and how long
// it took.
type Sample struct {
	At      time.Duration
	Server  int // index in the view
	Latency time.Duration
}

// Client is one client: node code that sends requests at random times,
// asks its balancer where, and keeps its View from the board's
// publications. It is given, not part of the lab.
type Client struct {
	env  labrpc.Env
	cfg  ClientConfig
	view *View
	bal  Balancer
	keys []string

	sent, failed, unplaced int64
	// onLeast counts the requests sent to a server whose reported queue was
	// the shortest of those up at the time: the herd's share.
	onLeast int64
	samples []Sample
}

// MakeClient is a client's boot function, given its configuration.
func MakeClient(env labrpc.Env, cfg ClientConfig) (*Client, error) {
	if len(cfg.Servers) == 0 {
		return nil, fmt.Errorf("balance: a client with no servers; list their node ids in ClientConfig.Servers")
	}
	if cfg.Gap < 0 || cfg.Keys < 0 || cfg.FailHold < 0 {
		return nil, fmt.Errorf("balance: client Gap %v, Keys %d, FailHold %v; none may be negative", cfg.Gap, cfg.Keys, cfg.FailHold)
	}
	if cfg.Keys == 0 {
		cfg.Keys = 1000
	}
	if cfg.FailHold == 0 {
		cfg.FailHold = time.Second
	}
	c := &Client{env: env, cfg: cfg, view: NewView(len(cfg.Servers), env.Now)}
	bal, err := New(cfg.Balancer, c.view, env.Rand())
	if err != nil {
		return nil, err
	}
	c.bal = bal
	c.keys = make([]string, cfg.Keys)
	for i := range c.keys {
		c.keys[i] = fmt.Sprintf("key-%d", i)
	}
	if cfg.Gap > 0 {
		c.next()
	}
	return c, nil
}

// View is the client's view of the servers.
func (c *Client) View() *View { return c.view }

// Balancer is the client's balancer.
func (c *Client) Balancer() Balancer { return c.bal }

// Samples are the answered requests sent from MeasureFrom on, in order of
// their answers.
func (c *Client) Samples() []Sample { return c.samples }

// Counts: requests sent, failed (refused or unanswered), not sent because
// no server was up, and sent to a server that looked least loaded.
func (c *Client) Counts() (sent, failed, unplaced, onLeast int64) {
	return c.sent, c.failed, c.unplaced, c.onLeast
}

// next schedules the next request, an exponential gap from now.
func (c *Client) next() {
	gap := time.Duration(c.env.Rand().ExpFloat64() * float64(c.cfg.Gap))
	if c.cfg.Stop > 0 && c.env.Now()+gap >= c.cfg.Stop {
		return
	}
	c.env.After(gap, func() {
		c.Send(c.keys[c.env.Rand().IntN(len(c.keys))])
		c.next()
	})
}

// Send sends one request for key where the balancer says.
func (c *Client) Send(key string) {
	i := c.bal.Pick(key)
	if i < 0 {
		c.unplaced++
		return
	}
	if i >= c.view.N() {
		c.env.Logf("balance", "balancer picked server %d of %d", i, c.view.N())
		c.unplaced++
		return
	}
	c.sent++
	if c.looksLeast(i) {
		c.onLeast++
	}
	c.bal.Sent(i)
	at := c.env.Now()
	reply := &Reply{}
	c.env.Call(c.cfg.Servers[i], "Server.Serve", &Request{Key: key}, reply, func(ok bool) {
		if !ok || reply.Refused {
			c.failed++
			c.bal.Failed(i)
			if reply.Refused {
				c.view.SetDown(i, true) // until a report says otherwise
			} else {
				c.view.Hold(i, c.env.Now()+c.cfg.FailHold)
			}
			return
		}
		c.bal.Replied(i, reply.Queue)
		if at >= c.cfg.MeasureFrom {
			c.samples = append(c.samples, Sample{At: at, Server: i, Latency: c.env.Now() - at})
		}
	})
}

// looksLeast reports whether server i's reported queue is the shortest of
// the servers up.
func (c *Client) looksLeast(i int) bool {
	for j := range c.view.N() {
		if c.view.Up(j) && c.view.Queue(j) < c.view.Queue(i) {
			return false
		}
	}
	return true
}

// Loads takes a publication of the load board.
func (c *Client) Loads(args *LoadsArgs, reply *LoadsReply) {
	c.view.Report(args.Queue, args.Down, args.AsOf)
}
