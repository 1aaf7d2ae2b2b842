package kv

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/kvsrv"
	"protolab/replog"
	"protolab/tests"
	"protolab/tests/history"
)

// Part 6B: lab 1's store, replicated.

func TestPutGet6B(t *testing.T) {
	forEngineAndPath(t, func(t *tests.T, e replog.Engine, reads ReadPath) {
		c := newCluster(t, e, 3, -1, reads, "reliable")
		ck := c.clerk()
		_, _, err := ck.Get("a")
		require.Equal(t, ErrNoKey, err, "Get of a key never Put")
		require.Equal(t, OK, ck.Put("a", "1", 0), "version 0 creates a key")
		require.Equal(t, ErrNoKey, ck.Put("missing", "x", 3))
		require.Equal(t, ErrVersion, ck.Put("a", "again", 0))
		v, ver, err := ck.Get("a")
		require.Equal(t, OK, err)
		require.Equal(t, "1", v)
		require.Equal(t, Tversion(1), ver)
		require.Equal(t, OK, ck.Put("a", "2", 1))
		v, ver, _ = MakeClerk(c.w.NewClient(), c.servers).Get("a")
		require.Equal(t, "2", v, "another clerk reads the Put")
		require.Equal(t, Tversion(2), ver)
	})
}

// Exactly once: on a lossy network a clerk's Put is retried, and each
// retry must get the first application's answer. Every Put names the
// current version, so every one must return OK (lab 1 had to say ErrMaybe).
func TestPutExactlyOnce6B(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, ReadLog, "unreliable")
		ck := c.clerk()
		for i := 0; i < 60; i++ {
			err := ck.Put("k", fmt.Sprint(i), Tversion(i))
			require.Equal(t, OK, err, "Put %d at the current version: a retried Put must get its first answer (OK), not ErrVersion from applying twice", i)
		}
		v, ver, err := ck.Get("k")
		require.Equal(t, OK, err)
		require.Equal(t, "59", v)
		require.Equal(t, Tversion(60), ver, "60 Puts applied once each")
	})
}

// Linearizable under the nemesis: partitions, crashes with restarts,
// outages, loss and long reordering, snapshots on; both engines, both read
// paths.
func TestLinearizable6B(t *testing.T) {
	forEngineAndPath(t, func(t *tests.T, e replog.Engine, reads ReadPath) {
		c := newCluster(t, e, 5, 2000, reads, "unreliable")
		tests.Nemesis{Nodes: c.servers, Every: 400 * time.Millisecond, For: 5 * time.Second,
			Partitions: true, Crashes: true, Outages: true, Unreliable: true, Reorder: true}.Start(c.w)
		h := workload(c, 5, 8*time.Second, []string{"a", "b", "c"}) // and 3s after the faults end
		require.True(t, c.w.RunUntilDone(40*time.Second), "clients still running 35s after the faults ended: the store did not recover")
		require.Greater(t, h.Len(), 20)
		tests.CheckLinearizable(t, kvsrv.Model, h, 20*time.Second)
	})
}

// Snapshots: the persisted state stays bounded, and a store restarted
// whole comes back with every key.
func TestSnapshotRestart6B(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		const maxSize = 1000
		c := newCluster(t, e, 3, maxSize, ReadLog, "reliable")
		ck := c.clerk()
		for i := 0; i < 100; i++ {
			require.Equal(t, OK, ck.Put(fmt.Sprint("k", i%10), fmt.Sprint(i), Tversion(i/10)))
			for s := 0; s < 3; s++ {
				require.LessOrEqual(t, c.w.Persister(s).StateSize(), 4*maxSize, "n%d's persisted state after %d Puts (maxStateSize %d)", s, i+1, maxSize)
			}
		}
		for s := 0; s < 3; s++ {
			c.w.Crash(s)
		}
		for s := 0; s < 3; s++ {
			c.w.Restart(s)
		}
		for k := 0; k < 10; k++ {
			v, ver, err := ck.Get(fmt.Sprint("k", k))
			require.Equal(t, OK, err)
			require.Equal(t, fmt.Sprint(90+k), v)
			require.Equal(t, Tversion(10), ver)
		}
	})
}

// The checker catches a stale read. With ReadStale, a server answers a Get
// from its own state at once: a follower cut off from the leader still
// holds the old value, and a client that reaches only it reads that value
// after another client's Put of a new one has completed.
func TestStaleReadCaught6B(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, ReadStale, "reliable")
		h := tests.NewHistory(c.w)
		writer := c.clerk()
		put := func(value string, version Tversion) {
			op := h.Begin(0, kvsrv.ModelInput{Put: true, Key: "x", Value: value, Version: version})
			op.End(kvsrv.ModelOutput{Err: writer.Put("x", value, version)})
		}
		put("old", 0)
		c.w.Sleep(200 * time.Millisecond) // every replica applies it
		f := -1
		for i := 0; i < 3 && f < 0; i++ {
			if _, isLeader := c.kvs[i].RSM().Peer().GetState(); !isLeader {
				f = i
			}
		}
		var others []int
		for i := 0; i < 3; i++ {
			if i != f {
				others = append(others, i)
			}
		}
		c.w.Partition([]int{f}, others)
		put("new", 1)
		reader := MakeClerk(c.w.NewClient(), []int{f}) // a client that reaches only the cut-off follower
		c.w.Sleep(time.Millisecond)                    // the read begins strictly after the Put returned
		op := h.Begin(1, kvsrv.ModelInput{Key: "x"})
		v, ver, err := reader.Get("x")
		op.End(kvsrv.ModelOutput{Value: v, Version: ver, Err: err})
		require.Equal(t, "old", v, "the stale server should have served the old value (the scenario did not set up a stale read)")
		lin := history.Linearizable(kvsrv.Model, h.Operations(), 10*time.Second)
		require.Error(t, lin, "porcupine accepted a read of \"old\" after the Put of \"new\" completed")
		t.Logf("caught, as it must be: %v", lin)
	})
}

// A new leader may not yet have applied what its predecessor committed: a
// Put that completed just before the old leader crashed is in the new
// leader's log, but not known to it as committed (Raft §5.4.2: it learns so
// only when an entry of its own term commits). A Get served from the new
// leader's state at once would miss it; ReadIndex makes the read wait.
func TestReadAfterLeaderCrash6B(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCluster(t, e, 3, -1, ReadIndex, "reliable")
		h := tests.NewHistory(c.w)
		writer, reader := c.clerk(), c.clerk()
		do := func(client int, in kvsrv.ModelInput) kvsrv.ModelOutput {
			op := h.Begin(client, in)
			var out kvsrv.ModelOutput
			if in.Put {
				out.Err = writer.Put(in.Key, in.Value, in.Version)
			} else {
				out.Value, out.Version, out.Err = reader.Get(in.Key)
			}
			op.End(out)
			return out
		}
		version := Tversion(0)
		for round := 0; round < 3; round++ {
			require.Equal(t, OK, do(0, kvsrv.ModelInput{Put: true, Key: "x", Value: fmt.Sprint("old", round), Version: version}).Err)
			version++
			do(1, kvsrv.ModelInput{Key: "x"}) // the reader finds the leader
			leader := -1
			for s := 0; s < 3; s++ {
				if _, isLeader := c.kvs[s].RSM().Peer().GetState(); isLeader && c.w.Alive(s) {
					leader = s
				}
			}
			require.GreaterOrEqual(t, leader, 0, "no leader after a read completed")
			value := fmt.Sprint("new", round)
			require.Equal(t, OK, do(0, kvsrv.ModelInput{Put: true, Key: "x", Value: value, Version: version}).Err)
			version++
			c.w.Crash(leader) // before its followers hear that the Put committed
			got := do(1, kvsrv.ModelInput{Key: "x"})
			require.Equal(t, value, got.Value, "round %d: a Get begun after the Put of %q completed read %q v%d: a stale read at the new leader", round, value, got.Value, got.Version)
			c.w.Restart(leader)
		}
		tests.CheckLinearizable(t, kvsrv.Model, h, 10*time.Second)
	})
}

func TestSameSeedSameRun6B(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.RunTwice(t, func(t *tests.T) {
				c := newCluster(t, e, 3, 1000, ReadIndex, "unreliable")
				tests.Nemesis{Nodes: c.servers, Every: 300 * time.Millisecond, For: 2 * time.Second, Crashes: true, Partitions: true}.Start(c.w)
				workload(c, 3, 2*time.Second, []string{"a", "b"})
				require.True(t, c.w.RunUntilDone(30*time.Second))
			})
		})
	}
}
