package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"time"

	"protolab/labrpc/live"
	"protolab/services/kv"
	"protolab/services/rsm"
)

// lab kv: a client of a live lab 6 key/value store.

type kvFlags struct {
	cluster string
	version int64
	timeout time.Duration
	// bench
	clients, keys int
	dur           time.Duration
	sim           bool
	engine        string
	delay         time.Duration
}

func newKVFlags() (*flag.FlagSet, *kvFlags) {
	f := &kvFlags{}
	fs := flag.NewFlagSet("kv", flag.ContinueOnError)
	fs.StringVar(&f.cluster, "cluster", "", "the cluster `FILE` (or its directory) that lab cluster wrote")
	fs.Int64Var(&f.version, "version", -1, "put only if the key's version is `V` (lab 1's rule; default: the version a Get reads first)")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "give up after `DURATION`")
	fs.IntVar(&f.clients, "clients", 3, "bench: how many `CLIENTS`, each one operation at a time")
	fs.IntVar(&f.keys, "keys", 3, "bench: how many `KEYS` the clients share")
	fs.DurationVar(&f.dur, "for", 10*time.Second, "bench: run for `DURATION` (of virtual time with --sim)")
	fs.BoolVar(&f.sim, "sim", false, "bench: run the same workload in the simulator instead, on 3 nodes")
	fs.StringVar(&f.engine, "engine", "raft", "bench --sim: the consensus `ENGINE`, raft or paxos")
	fs.DurationVar(&f.delay, "delay", 200*time.Microsecond, "bench --sim: every message's one-way `DELAY` (match it to the live run's, which bench prints)")
	return fs, f
}

func helpKV(w io.Writer) {
	fmt.Fprint(w, `usage: lab kv --cluster FILE get KEY
       lab kv --cluster FILE put KEY VALUE [--version V]
       lab kv --cluster FILE bench [--clients C] [--keys K] [--for DURATION]
       lab kv bench --sim [--engine ENGINE] [--delay D] [--clients C] [--keys K] [--for DURATION]

KV is a client of a live lab 6 key/value store ('lab cluster kv'). It tries
the servers in turn until one that leads answers, as the lab's clerk does,
and prints the answer: a Get's value and version, a Put's OK, ErrVersion or
ErrNoKey. A Put applies only if V is the key's version (0 creates the key);
without --version, put reads the version first.

Bench measures the store: C clients, each doing one operation at a time (a
Get, or a Put at the version it last read, half and half, on K keys), for
DURATION; it prints operations per second and the p50 and p99 latency, and
for a live cluster the one-way delay of messages between its nodes (from
their traces). --sim runs the same workload in the simulator, on a network
whose every message takes --delay: the figures in virtual time, which has
no CPU, disk or scheduler in it (docs/live.md compares the two).

Flags:
`)
	fs, _ := newKVFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runKV(c *cli, args []string) int {
	fs, f := newKVFlags()
	pos, _, code, ok := c.parseFlags("kv", fs, args)
	if !ok {
		return code
	}
	if len(pos) == 1 && pos[0] == "bench" && f.sim {
		return c.kvBenchSim(f)
	}
	if f.cluster == "" {
		return c.usageError("kv", "give --cluster FILE (lab cluster prints it)")
	}
	cf, err := readClusterFile(f.cluster)
	if err != nil {
		return c.usageError("kv", "%v", err)
	}
	if cf.Lab != "kv" {
		return c.usageError("kv", "the cluster runs %s, not kv", cf.Lab)
	}
	ck := newLiveClerk(len(cf.Nodes), cf.Nodes, rand.Int64())
	defer ck.close()
	deadline := time.Now().Add(f.timeout)
	switch {
	case len(pos) == 1 && pos[0] == "bench":
		return c.kvBenchLive(f, cf)
	case len(pos) == 2 && pos[0] == "get":
		v, ver, e, err := ck.get(pos[1], deadline)
		if err != nil {
			return c.failf("kv", "%v", err)
		}
		if e != kv.OK {
			fmt.Fprintf(c.stdout, "%s\n", e)
			return exitOK
		}
		fmt.Fprintf(c.stdout, "%q version %d\n", v, ver)
		return exitOK
	case len(pos) == 3 && pos[0] == "put":
		version := kv.Tversion(0)
		if f.version >= 0 {
			version = kv.Tversion(f.version)
		} else {
			_, ver, e, err := ck.get(pos[1], deadline)
			if err != nil {
				return c.failf("kv", "%v", err)
			}
			if e == kv.OK {
				version = ver
			}
		}
		e, err := ck.put(pos[1], pos[2], version, deadline)
		if err != nil {
			return c.failf("kv", "%v", err)
		}
		fmt.Fprintf(c.stdout, "%s (put at version %d)\n", e, version)
		return exitOK
	}
	return c.usageError("kv", "say 'get KEY', 'put KEY VALUE' or 'bench'")
}

// liveClerk is lab 6's clerk over real sockets: the remembered leader
// first, the next server on a lost call or a wrong-leader answer, a pause
// after each round, and every try of a Put with the same ClientId and Seq
// (so that the servers' duplicate table applies it once).
type liveClerk struct {
	c       *live.Client
	servers int
	id      int64
	seq     int64
	leader  int
	// spread, if set, starts each operation at a server drawn at random,
	// as clients behind a load balancer would: a server that answers
	// when it should not (a stale read) is then met, not avoided.
	spread *rand.Rand
}

func newLiveClerk(endpoint int, addrs []string, id int64) *liveClerk {
	return &liveClerk{c: live.NewClient(endpoint, addrs, 1500*time.Millisecond), servers: len(addrs), id: id}
}

func (ck *liveClerk) close() { ck.c.Close() }

var errGaveUp = errors.New("no server answered before the deadline")

// call tries method at each server in turn until one answers and retry
// does not refuse the answer.
func (ck *liveClerk) call(method string, args any, newReply func() any, retry func(any) bool, deadline time.Time) (any, error) {
	if ck.spread != nil {
		ck.leader = ck.spread.IntN(ck.servers)
	}
	for time.Now().Before(deadline) {
		for k := 0; k < ck.servers; k++ {
			s := (ck.leader + k) % ck.servers
			reply := newReply()
			ok, err := ck.c.Call(s, method, args, reply)
			if err != nil {
				return nil, err
			}
			if ok && !retry(reply) {
				ck.leader = s
				return reply, nil
			}
		}
		time.Sleep(rsm.RetryPause)
	}
	return nil, errGaveUp
}

func (ck *liveClerk) get(key string, deadline time.Time) (string, kv.Tversion, kv.Err, error) {
	r, err := ck.call("KVServer.Get", &kv.GetArgs{Key: key}, func() any { return &kv.GetReply{} },
		func(r any) bool { return rsm.Retry(string(r.(*kv.GetReply).Err)) }, deadline)
	if err != nil {
		return "", 0, "", err
	}
	g := r.(*kv.GetReply)
	return g.Value, g.Version, g.Err, nil
}

func (ck *liveClerk) put(key, value string, version kv.Tversion, deadline time.Time) (kv.Err, error) {
	ck.seq++
	args := &kv.PutArgs{Key: key, Value: value, Version: version, ClientId: ck.id, Seq: ck.seq}
	r, err := ck.call("KVServer.Put", args, func() any { return &kv.PutReply{} },
		func(r any) bool { return rsm.Retry(string(r.(*kv.PutReply).Err)) }, deadline)
	if err != nil {
		return "", err
	}
	return r.(*kv.PutReply).Err, nil
}
