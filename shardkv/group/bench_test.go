package group

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
	"protolab/shardkv/ctrler"
)

// The groups' benchmarks, in virtual time on the benchmarks' network
// (harness.BenchProfile: every message 10 ms one way, none lost), so every
// figure is exact and the same on every machine:
//
//	go test ./shardkv/group -run '^$' -bench Migration -benchtime 1x
//
// BenchmarkMigration: a controller of 3 and 3 groups of 3 peers; 100 keys
// written over every shard; 20 clients, each on a key of its own, Get and
// Put it back to back. Then one change: g3 joins (groups 1 and 2 in), or
// g1 leaves (all three in). change-ms is the virtual time from the
// administrator's request to every group server settled in the new config
// (shards pulled, and the old owners' copies deleted); shards-moved and
// keys-moved what the change moved; avail-frac the rate of operations
// completed on shards that do not move, during the change, over their rate
// in the second before it (1: the change cost them nothing); moving-ops
// the operations completed on the moving shards during the change.

const (
	benchKeys    = 100
	benchClients = 20
	benchBefore  = time.Second
)

type migrationBench struct {
	change               time.Duration
	shardsMoved          int
	keysMoved            int
	availFrac            float64
	movingOps            int
	beforeOps, duringOps int
}

func runMigrationBench(e replog.Engine, leave bool, seed int64) (migrationBench, error) {
	var res migrationBench
	w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 12, Profile: harness.BenchProfile})
	defer w.Close()
	c, err := NewCluster(w, e, 3, 3, 3, 64<<10)
	if err != nil {
		return res, err
	}
	err = harness.Run(w, func() error {
		settled := func(what string) error {
			num := c.Admin().Query(-1).Num
			if !w.WaitUntil(func() bool { return c.Settled(num) }, time.Millisecond, 20*time.Second) {
				return fmt.Errorf("the groups did not settle in config %d after %s", num, what)
			}
			return nil
		}
		first := []int{1, 2}
		if leave {
			first = []int{1, 2, 3}
		}
		if err := c.Join(first...); err != nil {
			return err
		}
		if err := settled("the first join"); err != nil {
			return err
		}
		ck := c.Clerk()
		perShard := map[int]int{}
		for i := 0; i < benchKeys; i++ {
			k := fmt.Sprint("key", i)
			perShard[ctrler.Key2Shard(k)]++
			if err := ck.Put(k, "0123456789", 0); err != OK {
				return fmt.Errorf("Put(%s): %s", k, err)
			}
		}
		type done struct {
			shard int
			at    time.Duration
		}
		var ops []done
		stop := false
		for i := 0; i < benchClients; i++ {
			k := fmt.Sprint("key", i)
			ck := c.Clerk()
			w.Go(fmt.Sprint("client", i), func() {
				for !stop {
					_, ver, _ := ck.Get(k)
					ops = append(ops, done{ctrler.Key2Shard(k), ck.Client().Now()})
					ck.Put(k, "v", ver)
					ops = append(ops, done{ctrler.Key2Shard(k), ck.Client().Now()})
				}
			})
		}
		w.Sleep(benchBefore)
		before := c.Admin().Query(-1)
		t0 := w.Now()
		if leave {
			err = c.Leave(1)
		} else {
			err = c.Join(3)
		}
		if err != nil {
			return err
		}
		after := c.Admin().Query(-1)
		if err := settled("the change"); err != nil {
			return err
		}
		t1 := w.Now()
		stop = true
		if !w.RunUntilDone(10 * time.Second) {
			return fmt.Errorf("clients still running 10s after the change")
		}
		res.change = t1 - t0
		for s := range before.Shards {
			if before.Shards[s] != after.Shards[s] {
				res.shardsMoved++
				res.keysMoved += perShard[s]
			}
		}
		moving := func(s int) bool { return before.Shards[s] != after.Shards[s] }
		for _, op := range ops {
			switch {
			case moving(op.shard) && op.at >= t0 && op.at < t1:
				res.movingOps++
			case moving(op.shard):
			case op.at >= t0-benchBefore && op.at < t0:
				res.beforeOps++
			case op.at >= t0 && op.at < t1:
				res.duringOps++
			}
		}
		beforeRate := float64(res.beforeOps) / benchBefore.Seconds()
		duringRate := float64(res.duringOps) / res.change.Seconds()
		if beforeRate > 0 {
			res.availFrac = duringRate / beforeRate
		}
		return nil
	})
	return res, err
}

func BenchmarkMigration(b *testing.B) {
	for _, e := range engines {
		for _, change := range []string{"join", "leave"} {
			b.Run(e.Name+"/"+change, func(b *testing.B) {
				var r migrationBench
				for n := 0; n < b.N; n++ {
					var err error
					if r, err = runMigrationBench(e, change == "leave", 1); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(r.change)/float64(time.Millisecond), "change-ms")
				b.ReportMetric(float64(r.shardsMoved), "shards-moved")
				b.ReportMetric(float64(r.keysMoved), "keys-moved")
				b.ReportMetric(r.availFrac, "avail-frac")
				b.ReportMetric(float64(r.movingOps), "moving-ops")
			})
		}
	}
}
