package main

import (
	"fmt"
	"time"

	"github.com/anishathalye/porcupine"

	"protolab/kvsrv"
	"protolab/labrpc"
	"protolab/tests"
)

func init() {
	registerRunner(runner{
		name:     "kvsrv",
		summary:  "lab 1: clients Get and Put five keys on one server; the history must be linearizable",
		nodes:    1,
		minNodes: 1,
		maxNodes: 1,
		load:     100,
		faults:   []string{"outages"},
		run:      runKvsrv,
	})
}

// kvsrvClients is how many clients share the offered load.
const kvsrvClients = 5

// runKvsrv offers r.Load operations per second from five clients, each a Get,
// or a Get followed by a Put of the version it read, on five keys; then it
// checks that what the clients saw is linearizable.
func runKvsrv(r *simRun) error {
	w := r.W
	w.Start(0, func(env labrpc.Env) any { return kvsrv.MakeKVServer(env) })
	r.StartFaults()
	keys := []string{"a", "b", "c", "d", "e"}
	h := tests.NewHistory(w)
	end := w.Now() + r.For
	results := map[kvsrv.Err]int64{}
	gap := time.Duration(float64(time.Second) * kvsrvClients / r.Load) // mean think time per client
	for i := 0; i < kvsrvClients; i++ {
		clnt := w.NewClient()
		ck, rng := kvsrv.MakeClerk(clnt, 0), clnt.Rand()
		w.Go(fmt.Sprint("client", i), func() {
			// Operations arrive at the client at random (a Poisson process of
			// its share of the load); one that arrives while the last is still
			// running starts as soon as it ends.
			next := w.Now()
			for n := 0; ; n++ {
				next += expGap(rng, gap)
				if next >= end {
					// The next arrival is past the workload's end: wait for the end,
					// not for it, so that a light load never outlasts the run.
					w.Sleep(max(end-w.Now(), 0))
					return
				}
				if next > w.Now() {
					w.Sleep(next - w.Now())
				}
				if w.Now() >= end {
					return
				}
				key := keys[rng.IntN(len(keys))]
				start := w.Now()
				if rng.IntN(2) == 0 {
					op := h.Begin(i, kvsrv.ModelInput{Key: key})
					v, ver, err := ck.Get(key)
					op.End(kvsrv.ModelOutput{Value: v, Version: ver, Err: err})
					results[err]++
				} else {
					_, ver, _ := ck.Get(key)
					value := fmt.Sprintf("%d.%d", i, n)
					op := h.Begin(i, kvsrv.ModelInput{Put: true, Key: key, Value: value, Version: ver})
					err := ck.Put(key, value, ver)
					op.End(kvsrv.ModelOutput{Err: err})
					results[err]++
				}
				r.Latency(w.Now() - start)
			}
		})
	}
	if !w.RunUntilDone(r.For + time.Minute) {
		return fmt.Errorf("the clients had not finished a minute of virtual time after the workload's end")
	}
	r.Count("operations", int64(h.Len()))
	for _, e := range []kvsrv.Err{kvsrv.OK, kvsrv.ErrNoKey, kvsrv.ErrVersion, kvsrv.ErrMaybe} {
		r.Count(string(e), results[e])
	}
	r.Check("linearizable", checkKV(h.Operations()))
	return nil
}

// The linearizability model of the key/value server, one key at a time. A
// Put that returned ErrMaybe may or may not have applied: both states stay.

func checkKV(ops []porcupine.Operation) error {
	return tests.Linearizable(kvsrv.Model, ops, 20*time.Second)
}
