package stories

import (
	"fmt"
	"io"
	"time"

	"protolab/labrpc"
	"protolab/raft"
	"protolab/services/kv"
	"protolab/services/lock"
)

// demoServices tells lab 6's two stories: a leader change in the middle of
// a burst of writes to the replicated key/value store (every write applied
// exactly once, none lost), and the lock holder that pauses past its lease
// and is fenced off by its sequencer (services/lock's PausedHolder).
func demoServices(out io.Writer) error {
	fmt.Fprintf(out, "protolab demo: lab 6, services on a replicated log (Raft; seed 1)\n\n")

	// Act 1: the store.
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 3, KeepTrace: 100000})
	defer w.Close()
	servers := []int{0, 1, 2}
	kvs := make([]*kv.KVServer, 3)
	for i := range servers {
		w.Start(i, func(env labrpc.Env) any {
			kvs[i] = kv.MakeKVServer(env, raft.Engine, 2000, kv.ReadIndex)
			return kvs[i].Services()
		})
	}
	const writers, writes = 4, 8
	results := map[kv.Err]int{}
	crashLeader := func() {
		for i := range servers {
			if _, isLeader := kvs[i].RSM().Peer().GetState(); isLeader && w.Alive(i) {
				w.Note("the leader n%d crashes, with writes in flight; it restarts 1s later", i)
				w.Crash(i)
				w.At(time.Second, func() { w.Restart(i) })
				return
			}
		}
	}
	w.Note("act 1: %d clients each write their key %d times; the leader crashes after a third of them", writers, writes)
	for c := 0; c < writers; c++ {
		ck := kv.MakeClerk(w.NewClient(), servers)
		w.Go(fmt.Sprint("writer", c), func() {
			key := fmt.Sprint("k", c)
			for v := 0; v < writes; v++ {
				err := ck.Put(key, fmt.Sprint(v), kv.Tversion(v))
				results[err]++
				w.Note("writer%d: Put(%s=%d at v%d) → %s", c, key, v, v, err)
				if results[kv.OK] == writers*writes/3 {
					crashLeader()
				}
			}
		})
	}
	if !w.RunUntilDone(30 * time.Second) {
		return fmt.Errorf("the writers had not finished after 30s")
	}
	reader := kv.MakeClerk(w.NewClient(), servers)
	exact := 0
	for c := 0; c < writers; c++ {
		v, ver, err := reader.Get(fmt.Sprint("k", c))
		w.Note("reader: Get(k%d) → %q v%d %s", c, v, ver, err)
		if ver == writes {
			exact++
		}
	}
	var story []labrpc.Line // the notes, crashes and restarts; the messages are in the full trace
	for _, l := range w.Tail(-1) {
		if l.Kind == labrpc.KindNote || l.Kind == labrpc.KindStart || l.Kind == labrpc.KindCrash {
			story = append(story, l)
		}
	}
	fmt.Fprint(out, w.Timeline(story))
	fmt.Fprintf(out, "\n  writes answered OK  %d of %d (a retry after the crash got its first answer: exactly once)\n", results[kv.OK], writers*writes)
	fmt.Fprintf(out, "  keys at version %d   %d of %d (no write applied twice, none lost)\n", writes, exact, writers)
	fmt.Fprintf(out, "  trace digest        %s\n\n", w.Digest())
	if err := w.Err(); err != nil {
		return err
	}

	// Act 2: the lock service.
	w2 := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 6, ClockDrift: lock.DefaultConfig.Rho})
	defer w2.Close()
	res, err := lock.PausedHolder(w2, raft.Engine, lock.DefaultConfig)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "act 2: a lock holder pauses past its lease (services/lock)\n")
	for _, s := range res.Steps {
		fmt.Fprintf(out, "  %s\n", s)
	}
	fmt.Fprintf(out, "\n  A's sequencer %v, B's %v; A's late write → %s; the file holds %q\n", res.SeqA, res.SeqB, res.LateWrite, res.Final)
	fmt.Fprintf(out, "  trace digest        %s\n", w2.Digest())
	fmt.Fprintf(out, "\nnext: go test ./services/... -run 6 -v, and docs/lab6-services.md\n")
	return w2.Err()
}
