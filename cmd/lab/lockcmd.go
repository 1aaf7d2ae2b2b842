package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"protolab/labrpc"
	"protolab/labrpc/live"
	"protolab/services/lock"
)

// lab lock: a client of a live lab 6C lock service. A lock client is node
// code (it keeps its session alive with timers), so the command hosts one
// on the live host, as one more node that only calls the servers.

type lockFlags struct {
	cluster string
	hold    time.Duration
	wait    time.Duration
}

func newLockFlags() (*flag.FlagSet, *lockFlags) {
	f := &lockFlags{}
	fs := flag.NewFlagSet("lock", flag.ContinueOnError)
	fs.StringVar(&f.cluster, "cluster", "", "the cluster `FILE` (or its directory) that 'lab cluster lock' wrote")
	fs.DurationVar(&f.hold, "for", 5*time.Second, "hold the lock for `DURATION`, then release it")
	fs.DurationVar(&f.wait, "wait", 30*time.Second, "give up if the lock is not granted within `DURATION`")
	return fs, f
}

func helpLock(w io.Writer) {
	fmt.Fprint(w, `usage: lab lock --cluster FILE hold NAME [--for DURATION] [--wait DURATION]

Lock is a client of a live lab 6C lock service ('lab cluster lock'): it opens
a session, acquires the lock NAME (waiting while another session holds it),
prints its sequencer, keeps the session alive for DURATION, and releases the
lock. Run it in two terminals to watch the second wait for the first. Kill
one while it holds the lock (Ctrl-C releases; kill -9 does not): the servers
expire its session after the lease and the other gets the lock, with a
higher generation.

Flags:
`)
	fs, _ := newLockFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runLock(c *cli, args []string) int {
	fs, f := newLockFlags()
	pos, _, code, ok := c.parseFlags("lock", fs, args)
	if !ok {
		return code
	}
	if f.cluster == "" || len(pos) != 2 || pos[0] != "hold" {
		return c.usageError("lock", "say 'lab lock --cluster FILE hold NAME'")
	}
	cf, err := readClusterFile(f.cluster)
	if err != nil {
		return c.usageError("lock", "%v", err)
	}
	if cf.Lab != "lock" {
		return c.usageError("lock", "the cluster runs %s, not lock", cf.Lab)
	}
	name := pos[1]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return c.failf("lock", "%v", err)
	}
	servers := make([]int, len(cf.Nodes))
	for i := range servers {
		servers[i] = i
	}
	addrs := append(append([]string(nil), cf.Nodes...), ln.Addr().String())
	var cl *lock.Client
	nd, err := live.Start(live.Config{Me: len(cf.Nodes), Addrs: addrs, Listener: ln, Seed: time.Now().UnixNano()},
		func(env labrpc.Env) any {
			cl = lock.StartClient(env, servers, lock.DefaultConfig)
			return cl
		})
	if err != nil {
		return c.failf("lock", "%v", err)
	}
	defer nd.Stop()
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	granted := make(chan lock.Sequencer, 1)
	nd.Do(func() { cl.Acquire(name, func(s lock.Sequencer) { granted <- s }) })
	fmt.Fprintf(c.stdout, "waiting for %s...\n", name)
	var seq lock.Sequencer
	select {
	case seq = <-granted:
	case <-time.After(f.wait):
		return c.failf("lock", "%s was not granted within %v", name, f.wait)
	case <-ctx.Done():
		return c.failf("lock", "interrupted while waiting for %s", name)
	case <-nd.Done():
		return c.failf("lock", "the client stopped: %v", nd.Err())
	}
	var sid lock.SessionID
	nd.Do(func() { sid = cl.Session() })
	fmt.Fprintf(c.stdout, "holding %s (session %v); releasing in %v\n", seq, sid, f.hold)
	select {
	case <-time.After(f.hold):
	case <-ctx.Done():
	}
	held := false
	nd.Do(func() { _, held = cl.Holds(name) })
	if !held {
		fmt.Fprintf(c.stdout, "%s was lost before the release: the session's lease ran out\n", seq)
		return exitFail
	}
	released := make(chan lock.Err, 1)
	nd.Do(func() { cl.Release(name, func(e lock.Err) { released <- e }) })
	select {
	case e := <-released:
		fmt.Fprintf(c.stdout, "released %s: %s\n", seq, e)
	case <-time.After(10 * time.Second):
		return c.failf("lock", "no answer to the release of %s within 10s", seq)
	}
	return exitOK
}
