package main

import (
	"fmt"
	"io"
	"time"

	"protolab/kvsrv"
	"protolab/labrpc"
)

func init() {
	registerDemo("kvsrv", "lab 1: versioned Puts, a lost reply and ErrMaybe, a server outage", demoKvsrv)
}

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
