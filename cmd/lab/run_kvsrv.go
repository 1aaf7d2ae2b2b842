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
				if next > w.Now() {
					w.Sleep(next - w.Now())
				}
				if w.Now() >= end {
					return
				}
				key := keys[rng.IntN(len(keys))]
				start := w.Now()
				if rng.IntN(2) == 0 {
					op := h.Begin(i, kvIn{Key: key})
					v, ver, err := ck.Get(key)
					op.End(kvOut{Value: v, Version: ver, Err: err})
					results[err]++
				} else {
					_, ver, _ := ck.Get(key)
					value := fmt.Sprintf("%d.%d", i, n)
					op := h.Begin(i, kvIn{Put: true, Key: key, Value: value, Version: ver})
					err := ck.Put(key, value, ver)
					op.End(kvOut{Err: err})
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

type kvIn struct {
	Put     bool
	Key     string
	Value   string
	Version kvsrv.Tversion
}

type kvOut struct {
	Value   string
	Version kvsrv.Tversion
	Err     kvsrv.Err
}

type kvState struct {
	exists  bool
	value   string
	version kvsrv.Tversion
}

var kvModel = (&porcupine.NondeterministicModel{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range ops {
			k := op.Input.(kvIn).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var parts [][]porcupine.Operation
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() []any { return []any{kvState{}} },
	Step: func(state, input, output any) []any {
		s, in := state.(kvState), input.(kvIn)
		if !in.Put {
			if output == nil {
				return []any{s}
			}
			out := output.(kvOut)
			if !s.exists && out.Err == kvsrv.ErrNoKey || s.exists && out.Err == kvsrv.OK && out.Value == s.value && out.Version == s.version {
				return []any{s}
			}
			return nil
		}
		next, err := s, kvsrv.OK
		switch {
		case !s.exists && in.Version != 0:
			err = kvsrv.ErrNoKey
		case s.version != in.Version:
			err = kvsrv.ErrVersion
		default:
			next = kvState{true, in.Value, s.version + 1}
		}
		if output == nil || output.(kvOut).Err == kvsrv.ErrMaybe {
			return []any{s, next}
		}
		if output.(kvOut).Err == err {
			return []any{next}
		}
		return nil
	},
}).ToModel()

func checkKV(ops []porcupine.Operation) error {
	switch porcupine.CheckOperationsTimeout(kvModel, ops, 20*time.Second) {
	case porcupine.Ok:
		return nil
	case porcupine.Unknown:
		return fmt.Errorf("the checker ran out of time on %d operations (that is not a pass); run for less time", len(ops))
	}
	return fmt.Errorf("the history of %d operations is not linearizable", len(ops))
}
