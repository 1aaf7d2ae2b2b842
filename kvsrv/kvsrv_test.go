package kvsrv

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Part 1A: the semantics, on a reliable network.

func TestPutGet1A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		ck := c.clerk()

		_, _, err := ck.Get("a")
		require.Equal(t, ErrNoKey, err, "Get of a key never Put")

		require.Equal(t, OK, ck.Put("a", "1", 0), "version 0 creates a key")
		v, ver, err := ck.Get("a")
		require.Equal(t, OK, err)
		require.Equal(t, "1", v)
		require.Equal(t, Tversion(1), ver, "the Put that creates a key makes its version 1")

		require.Equal(t, OK, ck.Put("a", "2", 1))
		v, ver, _ = ck.Get("a")
		require.Equal(t, "2", v)
		require.Equal(t, Tversion(2), ver)
	})
}

func TestPutVersionErrors1A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		ck := c.clerk()

		require.Equal(t, ErrNoKey, ck.Put("missing", "x", 3), "a missing key with a version other than 0")
		require.Equal(t, OK, ck.Put("k", "first", 0))
		require.Equal(t, ErrVersion, ck.Put("k", "again", 0), "version 0 on a key that exists")
		require.Equal(t, ErrVersion, ck.Put("k", "stale", 7), "a version that is not current")
		v, ver, err := ck.Get("k")
		require.Equal(t, OK, err)
		require.Equal(t, "first", v, "a refused Put changes nothing")
		require.Equal(t, Tversion(1), ver)
	})
}

func TestConcurrentPutsOneWins1A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		const n = 10
		results := make([]Err, n)
		for i := 0; i < n; i++ {
			ck := c.clerk()
			c.w.Go(fmt.Sprint("client", i), func() { results[i] = ck.Put("k", fmt.Sprint(i), 0) })
		}
		require.True(t, c.w.RunUntilDone(5*time.Second))
		winner := -1
		for i, r := range results {
			if r == OK {
				require.Equal(t, -1, winner, "two Puts of version 0 both applied: clients %d and %d", winner, i)
				winner = i
			} else {
				require.Equal(t, ErrVersion, r)
			}
		}
		require.NotEqual(t, -1, winner, "one of the Puts must apply")
		v, _, _ := c.clerk().Get("k")
		require.Equal(t, fmt.Sprint(winner), v)
	})
}

// workload runs clients that Get and Put a few keys at random, recording
// every operation for the linearizability checker.
func workload(c *cluster, clients, ops int, keys []string) *tests.History {
	h := tests.NewHistory(c.w)
	for i := 0; i < clients; i++ {
		ck := c.clerk()
		rng := ck.clnt.Rand()
		c.w.Go(fmt.Sprint("client", i), func() {
			for j := 0; j < ops; j++ {
				key := keys[rng.IntN(len(keys))]
				if rng.IntN(2) == 0 {
					op := h.Begin(i, ModelInput{Key: key})
					v, ver, err := ck.Get(key)
					op.End(ModelOutput{Value: v, Version: ver, Err: err})
					continue
				}
				_, ver, _ := ck.Get(key) // usually the current version; sometimes stale by the time of the Put
				value := fmt.Sprintf("%d.%d", i, j)
				op := h.Begin(i, ModelInput{Put: true, Key: key, Value: value, Version: ver})
				err := ck.Put(key, value, ver)
				op.End(ModelOutput{Err: err})
			}
		})
	}
	return h
}

func TestManyClientsLinearizable1A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		h := workload(c, 10, 40, []string{"a", "b", "c"})
		require.True(t, c.w.RunUntilDone(time.Minute))
		require.Equal(t, 10*40, h.Len())
		tests.CheckLinearizable(t, Model, h, 10*time.Second)
	})
}

func TestSameSeedSameRun1A(t *testing.T) {
	tests.RunTwice(t, func(t *tests.T) {
		c := newCluster(t, "unreliable")
		workload(c, 5, 20, []string{"x", "y"})
		require.True(t, c.w.RunUntilDone(time.Minute))
	})
}

// Part 1B: an unreliable network.

func TestPutAtMostOnce1B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "unreliable")
		ck := c.clerk()
		version, maybes := Tversion(0), 0
		for i := 0; i < 300; i++ {
			value := fmt.Sprint(i)
			err := ck.Put("k", value, version)
			got, ver, gerr := ck.Get("k")
			switch err {
			case OK:
				require.Equal(t, version+1, ver, "Put %d returned OK: the version must move by exactly one (a retried Put applied twice?)", i)
				require.Equal(t, value, got)
			case ErrMaybe:
				maybes++
				require.Contains(t, []Tversion{version, version + 1}, ver, "after ErrMaybe the Put applied once or not at all")
			default:
				t.Fatalf("Put %d of the only client, with the current version %d, returned %s", i, version, err)
			}
			if version > 0 || ver > 0 {
				require.Equal(t, OK, gerr)
			}
			version = ver
		}
		require.Positive(t, maybes, "with 10%% of replies lost, some retried Put must end in ErrMaybe")
	})
}

func TestDuplicatedRequestsApplyOnce1B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "duplicating")
		ck := c.clerk()
		version := Tversion(0)
		for i := 0; i < 100; i++ {
			err := ck.Put("k", fmt.Sprint(i), version)
			_, ver, _ := ck.Get("k")
			if err == OK {
				require.Equal(t, version+1, ver, "a duplicated Put must not apply twice")
			}
			require.LessOrEqual(t, ver, version+1)
			version = ver
		}
	})
}

func TestGetRetriesUntilAnswered1B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		ck := c.clerk()
		require.Equal(t, OK, ck.Put("k", "v", 0))
		c.w.SetProfile(labrpc.MustProfile("lossy"))
		for i := 0; i < 50; i++ {
			v, ver, err := ck.Get("k")
			require.Equal(t, OK, err, "a Get on a lossy network must retry until the server answers")
			require.Equal(t, "v", v)
			require.Equal(t, Tversion(1), ver)
		}
	})
}

func TestRetriesThroughAnOutage1B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		ck := c.clerk()
		require.Equal(t, OK, ck.Put("k", "v1", 0))
		// The server is cut off for a second: every request is lost, so
		// nothing can apply until it is back, and then the Put must.
		c.w.Disconnect(0)
		c.w.At(time.Second, func() { c.w.Connect(0) })
		start := c.w.Now()
		require.Equal(t, OK, ck.Put("k", "v2", 1), "no try reached the server before the last one, so the Put is certain")
		require.GreaterOrEqual(t, c.w.Now()-start, time.Second, "the Put must wait out the outage")
		c.w.Disconnect(0)
		c.w.At(time.Second, func() { c.w.Connect(0) })
		v, ver, err := ck.Get("k")
		require.Equal(t, OK, err)
		require.Equal(t, "v2", v)
		require.Equal(t, Tversion(2), ver)
	})
}

func TestManyClientsUnreliableLinearizable1B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "unreliable")
		h := workload(c, 20, 30, []string{"a", "b", "c", "d"})
		require.True(t, c.w.RunUntilDone(5*time.Minute))
		tests.CheckLinearizable(t, Model, h, 20*time.Second)
	})
}

func TestIdleClerkMemory1B(t *testing.T) {
	perClerk := idleClerkBytes(100_000)
	require.LessOrEqual(t, perClerk, 200.0, "an idle clerk (with its network endpoint) should cost at most 200 bytes")
}

// idleClerkBytes measures the heap that n idle clerks hold, per clerk.
func idleClerkBytes(n int) float64 {
	w := labrpc.NewWorld(labrpc.Config{Nodes: 1})
	w.Start(0, func(env labrpc.Env) any { return MakeKVServer(env) })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	clerks := make([]*Clerk, 0, n)
	base := clerksSliceBytes(n)
	for i := 0; i < n; i++ {
		clerks = append(clerks, MakeClerk(w.NewClient(), 0))
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(clerks)
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)-base) / float64(n)
}

// clerksSliceBytes is the test's own slice of pointers, not the clerks'.
func clerksSliceBytes(n int) int64 { return int64(n) * 8 }

func BenchmarkClerkMemory(b *testing.B) {
	var per float64
	for b.Loop() {
		per = idleClerkBytes(100_000)
	}
	b.ReportMetric(per, "B/clerk")
	b.ReportMetric(0, "ns/op")
}

// Part 1C: a lock.

func TestLockBasic1C(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, "reliable")
		a, b := MakeLock(c.clerk(), "l", "a"), MakeLock(c.clerk(), "l", "b")
		a.Acquire()
		bGot := false
		bClerk := b.ck.clnt.ID()
		c.w.Go("b", func() { b.Acquire(); bGot = true })
		c.w.Sleep(time.Second)
		require.False(t, bGot, "b acquired a lock that a holds")
		require.LessOrEqual(t, c.w.RPCs(bClerk), int64(time.Second/retryPause)+10,
			"a client waiting for a held lock should pause between looks, not spin")
		a.Release()
		require.True(t, c.w.WaitUntil(func() bool { return bGot }, 10*time.Millisecond, time.Second), "b must get the lock once a releases it")
	})
}

// lockContention has clients take the lock in turn, hold it a while, and
// release it, checking that no two ever hold it at once.
func lockContention(t *tests.T, profile string, clients, rounds int) {
	c := newCluster(t, profile)
	holders, entries := 0, 0
	for i := 0; i < clients; i++ {
		ck := c.clerk()
		lk := MakeLock(ck, "lock", fmt.Sprint("client", i))
		c.w.Go(fmt.Sprint("client", i), func() {
			for r := 0; r < rounds; r++ {
				lk.Acquire()
				holders++
				entries++
				if holders > 1 {
					c.w.Fail(fmt.Errorf("mutual exclusion broken at %v: %d clients hold the lock (client%d just acquired it)", c.w.Now(), holders, i))
				}
				ck.clnt.Sleep(time.Duration(1+ck.clnt.Rand().IntN(20)) * time.Millisecond)
				holders--
				lk.Release()
				ck.clnt.Sleep(time.Duration(ck.clnt.Rand().IntN(20)) * time.Millisecond)
			}
		})
	}
	require.True(t, c.w.RunUntilDone(10*time.Minute), "every client must finish its rounds")
	require.Equal(t, clients*rounds, entries)
}

func TestLockMutualExclusion1C(t *testing.T) {
	tests.Run(t, func(t *tests.T) { lockContention(t, "reliable", 5, 10) })
}

func TestLockMutualExclusionUnreliable1C(t *testing.T) {
	tests.Run(t, func(t *tests.T) { lockContention(t, "unreliable", 8, 10) })
}
