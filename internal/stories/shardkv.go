package stories

import (
	"fmt"
	"io"
	"strings"
	"time"

	"protolab/labrpc"
	"protolab/raft"
	"protolab/shardkv/group"
)

// demoShardkv tells lab 7's story: a sharded store of three groups of three
// Raft peers and a controller, under a burst of writes. A group joins, the
// leader of another crashes while shards move, and a group leaves; the
// shards follow each config one at a time, every write is applied exactly
// once, and no key is lost.
func demoShardkv(out io.Writer) error {
	fmt.Fprintf(out, "protolab demo: lab 7, a sharded key/value store (Raft; seed 1)\n\n")
	w := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: 12, KeepTrace: 200000})
	defer w.Close()
	c, err := group.NewCluster(w, raft.Engine, 3, 3, 3, 2000)
	if err != nil {
		return err
	}
	w.Note("the controller runs on n0-n2; group g1 on n3-n5, g2 on n6-n8, g3 on n9-n11")
	settle := func(what string) error {
		num := c.Admin().Query(-1).Num
		if !w.WaitUntil(func() bool { return c.Settled(num) }, 10*time.Millisecond, 10*time.Second) {
			return fmt.Errorf("shardkv demo: the groups did not settle in config %d within 10s of %s", num, what)
		}
		w.Note("every group has settled in config %d: shards %v", num, c.Admin().Query(-1).Shards)
		return nil
	}
	if err := c.Join(1, 2); err != nil {
		return err
	}
	if err := settle("g1 and g2 joining"); err != nil {
		return err
	}

	const writers, writes = 6, 12
	results := map[group.Err]int{}
	w.Note("act 1: %d clients each write their key %d times; meanwhile g3 joins, g1's leader crashes, g1 leaves", writers, writes)
	for i := 0; i < writers; i++ {
		ck := c.Clerk()
		w.Go(fmt.Sprint("writer", i), func() {
			key := fmt.Sprint("user", i)
			for v := 0; v < writes; v++ {
				err := ck.Put(key, fmt.Sprint(v), group.Tversion(v))
				results[err]++
				ck.Client().Sleep(50 * time.Millisecond)
			}
		})
	}
	w.Sleep(200 * time.Millisecond)
	w.Note("the administrator: g3 joins")
	if err := c.Join(3); err != nil {
		return err
	}
	w.Sleep(100 * time.Millisecond)
	if l := c.Leader(1); l >= 0 {
		w.Note("g1's leader n%d crashes, with shards on their way out of g1; it restarts 1s later", l)
		w.Crash(l)
		w.At(time.Second, func() { w.Restart(l) })
	}
	w.Sleep(300 * time.Millisecond)
	w.Note("the administrator: g1 leaves")
	if err := c.Leave(1); err != nil {
		return err
	}
	if !w.RunUntilDone(30 * time.Second) {
		return fmt.Errorf("shardkv demo: the writers had not finished after 30s")
	}
	if err := settle("the writers finishing"); err != nil {
		return err
	}
	reader := c.Clerk()
	exact := 0
	for i := 0; i < writers; i++ {
		v, ver, err := reader.Get(fmt.Sprint("user", i))
		w.Note("reader: Get(user%d) → %q v%d %s", i, v, ver, err)
		if ver == writes {
			exact++
		}
	}

	var story []labrpc.Line // the notes, crashes, restarts and the groups' config and shard lines
	moved, deleted := 0, 0
	for _, l := range w.Tail(-1) {
		shard := l.Kind == labrpc.KindLog && (strings.HasPrefix(l.Text, "config:") || strings.HasPrefix(l.Text, "shard:"))
		if l.Kind == labrpc.KindNote || l.Kind == labrpc.KindStart && l.Node >= 3 && l.At > 0 || l.Kind == labrpc.KindCrash || shard {
			story = append(story, l)
		}
		if shard && strings.Contains(l.Text, "← shard") {
			moved++
		}
		if shard && strings.Contains(l.Text, "copy deleted") {
			deleted++
		}
	}
	fmt.Fprint(out, w.Timeline(story))
	fmt.Fprintf(out, "\n  writes answered OK   %d of %d (retries across a crash and two moves got their first answer)\n", results[group.OK], writers*writes)
	fmt.Fprintf(out, "  keys at version %d   %d of %d (no write applied twice, none lost)\n", writes, exact, writers)
	fmt.Fprintf(out, "  shards pulled        %d; handed-off copies deleted once received: %d\n", moved, deleted)
	fmt.Fprintf(out, "  final config         %v\n", c.Admin().Query(-1).Shards)
	fmt.Fprintf(out, "  trace digest         %s\n", w.Digest())
	fmt.Fprintf(out, "\nnext: go test ./shardkv/... -v, and docs/lab7-shardkv.md\n")
	return w.Err()
}
