package stories

import (
	"fmt"
	"io"
	"time"

	"protolab/kvsrv"
	"protolab/labrpc"
	"protolab/tests/history"
)

// demoKvsrv tells lab 1's story in the simulator: two clients race to
// update a key, a reply is lost so a client cannot know whether its Put
// applied (ErrMaybe), and the server is cut off while a third client waits.
func demoKvsrv(out io.Writer) error {
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 1})
	defer w.Close()
	w.Start(0, func(env labrpc.Env) any { return kvsrv.MakeKVServer(env) })
	alice, bob, carol := w.NewClient(), w.NewClient(), w.NewClient()
	a, b, c := kvsrv.MakeClerk(alice, 0), kvsrv.MakeClerk(bob, 0), kvsrv.MakeClerk(carol, 0)
	results := map[kvsrv.Err]int{}
	put := func(ck *kvsrv.Clerk, who, key, value string, version kvsrv.Tversion) {
		err := ck.Put(key, value, version)
		results[err]++
		w.Note("%s: Put(%s=%q at v%d) → %s", who, key, value, version, err)
	}
	get := func(ck *kvsrv.Clerk, who, key string) kvsrv.Tversion {
		v, ver, err := ck.Get(key)
		results[err]++
		w.Note("%s: Get(%s) → %q v%d %s", who, key, v, ver, err)
		return ver
	}

	w.Note("act 1: alice creates x; bob and carol race to update it from version 1")
	put(a, "alice", "x", "a0", 0)
	w.Go("bob", func() { put(b, "bob", "x", "b1", 1) })
	w.Go("carol", func() { put(c, "carol", "x", "c1", 1) })
	w.RunUntilDone(time.Second)

	w.Note("act 2: the link from the server to bob fails; bob's Put applies but its reply is lost")
	ver := get(b, "bob", "x")
	w.Cut(0, bob.ID())
	w.At(150*time.Millisecond, func() { w.Uncut(0, bob.ID()) })
	put(b, "bob", "x", "b2", ver)
	get(b, "bob", "x")

	w.Note("act 3: the server is cut off for half a second; carol's Get waits it out")
	w.Disconnect(0)
	w.At(500*time.Millisecond, func() { w.Connect(0) })
	get(c, "carol", "x")

	fmt.Fprintf(out, "protolab demo: lab 1, the key/value server (seed %d)\n\n", w.Seed())
	fmt.Fprint(out, w.Timeline(w.Tail(-1)))
	fmt.Fprintf(out, "\nsummary\n")
	fmt.Fprintf(out, "  virtual time     %v\n", w.Now())
	fmt.Fprintf(out, "  results          OK %d, ErrVersion %d, ErrMaybe %d\n", results[kvsrv.OK], results[kvsrv.ErrVersion], results[kvsrv.ErrMaybe])
	fmt.Fprintf(out, "  RPCs sent        %d (%d bytes, requests and replies)\n", w.TotalRPCs(), w.TotalBytes())
	fmt.Fprintf(out, "  events           %d\n", w.Steps())
	fmt.Fprintf(out, "  trace digest     %s (run it again: the same digest, every time)\n", w.Digest())
	fmt.Fprintf(out, "\nnext: go test ./kvsrv -run 1A -v, and docs/lab1-kvsrv.md\n")
	return w.Err()
}

// kvsrvRunner is lab 1's workload for 'lab run kvsrv'.
var kvsrvRunner = Runner{
	Name:     "kvsrv",
	Summary:  "lab 1: clients Get and Put five keys on one server; the history must be linearizable",
	Nodes:    1,
	MinNodes: 1,
	MaxNodes: 1,
	Load:     100,
	Faults:   []string{"outages"},
	Run:      runKvsrv,
}

// kvsrvClients is how many clients share the offered load.
const kvsrvClients = 5

// runKvsrv runs the versioned workload (runVersioned) on lab 1's one server.
func runKvsrv(r *Run) error {
	r.W.Start(0, func(env labrpc.Env) any { return kvsrv.MakeKVServer(env) })
	r.StartFaults()
	return runVersioned(r, kvsrvClients, func(c labrpc.Client) versionedClerk { return kvsrv.MakeClerk(c, 0) },
		kvsrv.OK, kvsrv.ErrNoKey, kvsrv.ErrVersion, kvsrv.ErrMaybe)
}

// versionedClerk is lab 1's clerk interface, which lab 6B's store keeps.
type versionedClerk interface {
	Get(key string) (string, kvsrv.Tversion, kvsrv.Err)
	Put(key, value string, version kvsrv.Tversion) kvsrv.Err
}

// runVersioned offers r.Load operations per second from clients clients,
// each a Get, or a Get followed by a Put of the version it read, on five
// keys; it counts the answers named in errs, and checks that what the
// clients saw is linearizable (lab 1's model).
func runVersioned(r *Run, clients int, clerk func(labrpc.Client) versionedClerk, errs ...kvsrv.Err) error {
	w := r.W
	keys := []string{"a", "b", "c", "d", "e"}
	h := history.New(w)
	results := map[kvsrv.Err]int64{}
	gap := time.Duration(float64(time.Second) * float64(clients) / r.Load) // mean think time per client
	for i := 0; i < clients; i++ {
		clnt := w.NewClient()
		ck, rng := clerk(clnt), clnt.Rand()
		w.Go(fmt.Sprint("client", i), func() {
			r.Arrivals(rng, gap, func(n int, _ time.Duration) {
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
			})
		})
	}
	if !w.RunUntilDone(r.For + time.Minute) {
		return fmt.Errorf("the clients had not finished a minute of virtual time after the workload's end")
	}
	r.Count("operations", int64(h.Len()))
	for _, e := range errs {
		r.Count(string(e), results[e])
	}
	r.Check("linearizable", history.Linearizable(kvsrv.Model, h.Operations(), 20*time.Second))
	return nil
}
