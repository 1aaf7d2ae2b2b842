package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"protolab/gossip"
	"protolab/labrpc"
	"protolab/labrpc/live"
	"protolab/paxos"
	"protolab/raft"
	"protolab/replog"
	"protolab/services/kv"
	"protolab/services/lock"
)

// lab serve: one node of a lab's service, as a process of its own, on the
// live host (protolab/labrpc/live). lab cluster starts several; a person
// can start them by hand in terminals.

type serveFlags struct {
	me          int
	peers       string
	cluster     string
	listen      string
	dir         string
	trace       string
	engine      string
	reads       string
	maxState    int
	seed        int64
	incarnation uint
	epoch       int64
	withStdin   bool
}

func newServeFlags() (*flag.FlagSet, *serveFlags) {
	f := &serveFlags{}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.IntVar(&f.me, "me", -1, "this node's `ID`: its index in --peers")
	fs.StringVar(&f.peers, "peers", "", "every node's `ADDRS`, this one's included, in id order, comma-separated (host:port,host:port,...)")
	fs.StringVar(&f.cluster, "cluster", "", "read the peers from a cluster `FILE` (lab cluster writes one) instead of --peers")
	fs.StringVar(&f.listen, "listen", "", "listen on `ADDR` instead of this node's address in --peers (127.0.0.1:0: a port the kernel picks; a proxy stands at the peers' address)")
	fs.StringVar(&f.dir, "dir", "", "keep stable storage in `DIR` (it survives a kill and restart); default: in memory, lost with the process")
	fs.StringVar(&f.trace, "trace", "", "append the node's trace to `FILE` as JSON lines (what lab cluster timeline reads)")
	fs.StringVar(&f.engine, "engine", "raft", "the consensus `ENGINE` under kv or lock: raft or paxos")
	fs.StringVar(&f.reads, "reads", "log", "how kv serves a Get: `PATH` log or readindex")
	fs.IntVar(&f.maxState, "max-state", 32<<10, "kv snapshots once the engine's persisted state passes `BYTES` (-1: never)")
	fs.Int64Var(&f.seed, "seed", 0, "seed of the node's random stream (0: from the clock)")
	fs.UintVar(&f.incarnation, "incarnation", 1, "this process's incarnation `K` of the node (1, 2, ... at each restart)")
	fs.Int64Var(&f.epoch, "epoch", 0, "when the node's clock reads zero, in Unix `NANOSECONDS` (0: now); nodes of a cluster share one, so their traces line up")
	fs.BoolVar(&f.withStdin, "exit-with-stdin", false, "stop when standard input closes (lab cluster's children: they end with their parent)")
	return fs, f
}

func helpServe(w io.Writer) {
	fmt.Fprint(w, `usage: lab serve LAB --me ID (--peers ADDRS | --cluster FILE) [flags]

Serve runs one node of a lab's service as a process of its own, on real
time, TCP and files: the same node code the simulator runs, hosted by
protolab/labrpc/live. LAB is one of:

	kv     lab 6's linearizable key/value store on a replicated log
	       (--engine raft, or paxos for Multi-Paxos)
	lock   lab 6C's lock service (sessions, leases, sequencers) on the
	       same log; 'lab lock' is its client
	swim   lab 3's SWIM member; it joins through node 0 and prints what
	       it learns of the others

It prints "nID listening on ADDR" once it takes requests, and runs until
interrupted (SIGINT, SIGTERM) or until the node fails (a misuse, a panic),
which it reports and exits 1. Three terminals make a cluster:

	lab serve kv --me 0 --peers 127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002 --dir /tmp/n0
	lab serve kv --me 1 --peers ... --dir /tmp/n1
	lab serve kv --me 2 --peers ... --dir /tmp/n2

or one command, 'lab cluster kv -n 3'. Nothing replays: time is real. See
docs/live.md.

Flags:
`)
	fs, _ := newServeFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

// liveLabs are the labs lab serve and lab cluster run.
var liveLabs = []string{"kv", "lock", "swim"}

func runServe(c *cli, args []string) int {
	fs, f := newServeFlags()
	pos, rest, code, ok := c.parseFlags("serve", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || len(rest) > 0 {
		return c.usageError("serve", "give one lab: %s", strings.Join(liveLabs, " or "))
	}
	lab := pos[0]
	var addrs []string
	switch {
	case f.peers != "" && f.cluster != "":
		return c.usageError("serve", "give --peers or --cluster, not both")
	case f.peers != "":
		addrs = strings.Split(f.peers, ",")
	case f.cluster != "":
		cf, err := readClusterFile(f.cluster)
		if err != nil {
			return c.usageError("serve", "%v", err)
		}
		addrs = cf.Nodes
	default:
		return c.usageError("serve", "give the peers: --peers host:port,host:port,... or --cluster FILE")
	}
	if f.me < 0 || f.me >= len(addrs) {
		return c.usageError("serve", "--me %d: give this node's index in the peers (0..%d)", f.me, len(addrs)-1)
	}
	boot, watch, err := serveBoot(lab, f, c.stdout)
	if err != nil {
		return c.usageError("serve", "%v", err)
	}
	cfg := live.Config{Me: f.me, Addrs: addrs, Dir: f.dir, Seed: f.seed, Incarnation: uint32(f.incarnation)}
	if cfg.Seed == 0 {
		cfg.Seed = time.Now().UnixNano()
	}
	if f.epoch != 0 {
		cfg.Epoch = time.Unix(0, f.epoch)
	}
	if f.listen != "" {
		ln, err := net.Listen("tcp", f.listen)
		if err != nil {
			return c.failf("serve", "cannot listen on %s: %v", f.listen, err)
		}
		cfg.Listener = ln
	}
	if f.trace != "" {
		tf, err := os.OpenFile(f.trace, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return c.failf("serve", "--trace: %v", err)
		}
		defer tf.Close()
		cfg.Trace = tf
	}
	nd, err := live.Start(cfg, boot)
	if err != nil {
		if cfg.Listener != nil {
			cfg.Listener.Close()
		}
		return c.failf("serve", "%v", err)
	}
	where := addrs[f.me]
	if cfg.Listener != nil {
		where = cfg.Listener.Addr().String()
	}
	fmt.Fprintf(c.stdout, "n%d listening on %s\n", f.me, where)
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if f.withStdin {
		go func() {
			io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}
	if watch != nil {
		go watch(ctx, nd)
	}
	select {
	case <-ctx.Done():
		nd.Stop()
		return exitOK
	case <-nd.Done():
		return c.failf("serve", "n%d stopped: %v", f.me, nd.Err())
	}
}

// serveBoot is the boot function of lab's node, and a watcher that runs
// beside it (nil if none).
func serveBoot(lab string, f *serveFlags, out io.Writer) (labrpc.Boot, func(context.Context, *live.Node), error) {
	switch lab {
	case "kv":
		engine, err := liveEngine(f.engine)
		if err != nil {
			return nil, nil, err
		}
		reads := kv.ReadLog
		switch f.reads {
		case "log":
		case "readindex":
			reads = kv.ReadIndex
		case "stale":
			reads = kv.ReadStale
		default:
			return nil, nil, fmt.Errorf("--reads %s: say log or readindex (or stale, the bug: every server answers a Get from its own state at once)", f.reads)
		}
		var env labrpc.Env
		var server *kv.KVServer
		boot := func(e labrpc.Env) any {
			env = e
			server = kv.MakeKVServer(e, tracedEngine(engine), f.maxState, reads)
			e.Logf("replog", "booted")
			return server.Services()
		}
		return boot, func(ctx context.Context, nd *live.Node) {
			watchLeader(ctx, nd, func() (labrpc.Env, replog.Peer) { return env, server.RSM().Peer() })
		}, nil
	case "lock":
		engine, err := liveEngine(f.engine)
		if err != nil {
			return nil, nil, err
		}
		var env labrpc.Env
		var peer replog.Peer
		boot := func(e labrpc.Env) any {
			env = e
			objs := lock.StartServer(e, tracedEngine(engine), f.maxState, lock.DefaultConfig, nil)
			for _, o := range objs {
				if p, ok := o.(replog.Peer); ok {
					peer = p
				}
			}
			e.Logf("replog", "booted")
			return objs
		}
		return boot, func(ctx context.Context, nd *live.Node) {
			watchLeader(ctx, nd, func() (labrpc.Env, replog.Peer) { return env, peer })
		}, nil
	case "swim":
		if f.engine != "raft" {
			return nil, nil, fmt.Errorf("--engine: swim runs on no engine")
		}
		var mu sync.Mutex
		cfg := gossip.DefaultSwimConfig()
		cfg.ProbeInterval, cfg.ProbeTimeout, cfg.PushPullInterval = 200*time.Millisecond, 100*time.Millisecond, 2*time.Second
		cfg.Notify = func(ev gossip.Event) {
			mu.Lock()
			defer mu.Unlock()
			if ev.New {
				fmt.Fprintf(out, "n%d: n%d joined (%s)\n", ev.Node, ev.Member, ev.To)
			} else {
				fmt.Fprintf(out, "n%d: n%d %s → %s\n", ev.Node, ev.Member, ev.From, ev.To)
			}
		}
		return func(env labrpc.Env) any { return gossip.MakeSwim(env, cfg) }, nil, nil
	}
	return nil, nil, fmt.Errorf("no live service for lab %q; give one of: %s", lab, strings.Join(liveLabs, ", "))
}

func liveEngine(name string) (replog.Engine, error) {
	switch name {
	case "raft":
		return raft.Engine, nil
	case "paxos":
		return paxos.Engine, nil
	}
	return replog.Engine{}, fmt.Errorf("--engine %s: say raft or paxos", name)
}

// tracedEngine is e with every message it applies noted in the trace
// ("replog: apply INDEX HASH", "replog: install INDEX"), so that a live
// run's traces can be held to the replicated-log invariants afterwards
// (the live test does; see checkReplogTraces).
func tracedEngine(e replog.Engine) replog.Engine {
	boot := e.Boot
	e.Boot = func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		return boot(env, p, func(m replog.Msg) {
			switch {
			case m.CommandValid:
				env.Logf("replog", "apply %d %016x", m.CommandIndex, replog.ExtendHash(0, m.Command))
			case m.SnapshotValid:
				env.Logf("replog", "install %d", m.SnapshotIndex)
			}
			apply(m)
		})
	}
	return e
}

// watchLeader notes in the trace each term or ballot in which the node
// leads ("replog: lead TERM"), looking every 20 ms: the election-safety
// check of a live run.
func watchLeader(ctx context.Context, nd *live.Node, peer func() (labrpc.Env, replog.Peer)) {
	last := -1
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-nd.Done():
			return
		case <-t.C:
		}
		nd.Do(func() {
			env, p := peer()
			if term, leads := p.GetState(); leads && term != last {
				last = term
				env.Logf("replog", "lead %d", term)
			}
		})
	}
}

// clusterFile is what lab cluster writes for lab kv, lab chaos and lab
// serve --cluster: where each node is reached (its proxy), where the
// cluster takes chaos commands, and where its files are.
type clusterFile struct {
	Lab     string   `json:"lab"`
	Engine  string   `json:"engine,omitempty"`
	Nodes   []string `json:"nodes"`
	Control string   `json:"control"`
	Dir     string   `json:"dir"`
	Epoch   int64    `json:"epoch_ns"`
}

const clusterFileName = "cluster.json"

func readClusterFile(path string) (*clusterFile, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		path = filepath.Join(path, clusterFileName)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cluster file: %v (lab cluster prints where it wrote one)", err)
	}
	var cf clusterFile
	if err := jsonUnmarshalStrict(data, &cf); err != nil || len(cf.Nodes) == 0 {
		return nil, fmt.Errorf("%s is not a cluster file that lab cluster wrote (%v)", path, err)
	}
	return &cf, nil
}
