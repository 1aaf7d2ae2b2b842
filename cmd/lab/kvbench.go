package main

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"protolab/labrpc"
	"protolab/replog/harness"
	"protolab/services/kv"
)

// lab kv bench: one closed-loop workload, on a live cluster or in the
// simulator, so that the two can be compared (docs/live.md).

// benchClerk is what the workload needs of a clerk: lab 6's kv.Clerk in the
// simulator, liveClerk on a live cluster.
type benchClerk interface {
	Get(key string) (string, kv.Tversion, kv.Err)
	Put(key, value string, version kv.Tversion) kv.Err
}

// benchClient runs one client until now() passes end: a Get or a Put at
// the version it last read, half and half, on keys keys; it returns the
// latency of each operation that was answered.
func benchClient(ck benchClerk, c, keys int, now func() time.Duration, end time.Duration) []time.Duration {
	rng := rand.New(rand.NewPCG(uint64(c), 17))
	seen := map[string]kv.Tversion{}
	var lat []time.Duration
	for n := 0; now() < end; n++ {
		key := fmt.Sprint("k", rng.IntN(keys))
		start := now()
		var e kv.Err
		if rng.IntN(2) == 0 {
			var ver kv.Tversion
			_, ver, e = ck.Get(key)
			if e == kv.OK {
				seen[key] = ver
			}
		} else if e = ck.Put(key, fmt.Sprintf("c%d-%d", c, n), seen[key]); e == kv.OK {
			seen[key]++
		}
		if e != "" {
			lat = append(lat, now()-start)
		}
	}
	return lat
}

// benchLine sums a run up.
func benchLine(what string, clients int, dur time.Duration, lat []time.Duration) string {
	return fmt.Sprintf("%s: %d clients for %v: %d operations, %.0f ops/s, latency p50 %v p99 %v",
		what, clients, dur, len(lat), float64(len(lat))/dur.Seconds(),
		harness.Percentile(lat, 50).Round(10*time.Microsecond), harness.Percentile(lat, 99).Round(10*time.Microsecond))
}

// liveBench adapts a liveClerk to the workload; an operation that finds
// no server answers "" and is not counted.
type liveBench struct {
	ck      *liveClerk
	timeout time.Duration
}

func (b liveBench) Get(key string) (string, kv.Tversion, kv.Err) {
	v, ver, e, err := b.ck.get(key, time.Now().Add(b.timeout))
	if err != nil {
		return "", 0, ""
	}
	return v, ver, e
}

func (b liveBench) Put(key, value string, version kv.Tversion) kv.Err {
	e, err := b.ck.put(key, value, version, time.Now().Add(b.timeout))
	if err != nil {
		return ""
	}
	return e
}

func (c *cli) kvBenchLive(f *kvFlags, cf *clusterFile) int {
	if f.clients < 1 || f.clients > 64 || f.keys < 1 || f.dur <= 0 || f.dur > time.Hour {
		return c.usageError("kv", "bench: --clients 1..64, --keys at least 1, --for up to 1h")
	}
	began := time.Now()
	now := func() time.Duration { return time.Since(began) }
	var mu sync.Mutex
	var all []time.Duration
	var wg sync.WaitGroup
	for i := range f.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ck := newLiveClerk(len(cf.Nodes)+i, cf.Nodes, rand.Int64())
			defer ck.close()
			lat := benchClient(liveBench{ck, f.timeout}, i, f.keys, now, f.dur)
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	what := fmt.Sprintf("live %s (%s, %d processes)", cf.Lab, cf.Engine, len(cf.Nodes))
	fmt.Fprintln(c.stdout, benchLine(what, f.clients, now(), all))
	if lines, _, err := readLiveTraces(cf.Dir); err == nil {
		if d := oneWayDelays(lines, len(cf.Nodes)); len(d) > 0 {
			fmt.Fprintf(c.stdout, "one-way delay of %d messages between nodes (send to handler, from their traces): p50 %v p99 %v\n",
				len(d), harness.Percentile(d, 50).Round(time.Microsecond), harness.Percentile(d, 99).Round(time.Microsecond))
		}
	}
	return exitOK
}

// oneWayDelays pairs each request a node sent to another node with its
// arrival there, by call id: the time from the sender's event to the
// receiver's, which is what a simulated network's delay stands for.
func oneWayDelays(lines []labrpc.Line, nodes int) []time.Duration {
	sent := map[int64]time.Duration{}
	var d []time.Duration
	for _, l := range lines {
		switch {
		case l.Kind == labrpc.KindSend && l.Peer < nodes && l.Node != l.Peer:
			sent[l.Call] = l.At
		case l.Kind == labrpc.KindRecv && l.Peer < nodes:
			if at, ok := sent[l.Call]; ok && l.At >= at {
				d = append(d, l.At-at)
			}
		}
	}
	return d
}

func (c *cli) kvBenchSim(f *kvFlags) int {
	if f.clients < 1 || f.clients > 64 || f.keys < 1 || f.dur <= 0 || f.dur > time.Hour || f.delay < 0 || f.delay > time.Second {
		return c.usageError("kv", "bench: --clients 1..64, --keys at least 1, --for up to 1h, --delay 0..1s")
	}
	engine, err := liveEngine(f.engine)
	if err != nil {
		return c.usageError("kv", "%v", err)
	}
	profile := labrpc.MustProfile("reliable")
	profile.Name, profile.MinDelay, profile.MaxDelay = "live-match", f.delay, f.delay
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 3, Profile: profile})
	defer w.Close()
	servers := []int{0, 1, 2}
	for i := range servers {
		w.Start(i, func(env labrpc.Env) any { return kv.MakeKVServer(env, engine, 32<<10, kv.ReadLog).Services() })
	}
	var all []time.Duration
	for i := range f.clients {
		ck := kv.MakeClerk(w.NewClient(), servers)
		w.Go(fmt.Sprint("client", i), func() {
			all = append(all, benchClient(ck, i, f.keys, w.Now, f.dur)...)
		})
	}
	wallStart := time.Now()
	if !w.RunUntilDone(f.dur + time.Minute) {
		return c.failf("kv", "bench --sim: the clients had not finished a minute after --for")
	}
	if err := w.Err(); err != nil {
		return c.failf("kv", "bench --sim: %v", err)
	}
	what := fmt.Sprintf("simulated kv (%s, 3 nodes, every message %v)", f.engine, f.delay)
	fmt.Fprintln(c.stdout, benchLine(what, f.clients, f.dur, all))
	fmt.Fprintf(c.stdout, "virtual time; it took %v of real time\n", time.Since(wallStart).Round(time.Millisecond))
	return exitOK
}
