package ctrler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"protolab/replog"
	"protolab/tests"
)

// The controller's sequential specification, for porcupine: its configs
// as one replica applies operations in order (configs.apply). A state is
// immutable once made: a step clones the configs (the past configs are
// never changed, so the clone shares them) and applies the operation to the
// clone. Two states are equal when their keys are: a hash chained over
// every config made and the pins, so that comparing two states costs one
// string comparison, not a walk over their configs.
type modelState struct {
	c   *configs
	key string
}

func newModelState() *modelState {
	c := newConfigs()
	return &modelState{c: c, key: chainKey("", c)}
}

// chainKey extends key with c's latest config and pins.
func chainKey(key string, c *configs) string {
	cur := c.latest()
	b := binary.AppendVarint([]byte(key), int64(cur.Num))
	for s, gid := range cur.Shards {
		b = binary.AppendVarint(b, int64(gid))
		b = binary.AppendVarint(b, int64(boolInt(c.pinned[s])))
	}
	for _, gid := range cur.GIDs() {
		b = binary.AppendVarint(b, int64(gid))
		for _, id := range cur.Groups[gid] {
			b = binary.AppendVarint(b, int64(id))
		}
		b = append(b, '|')
	}
	h := fnv.New128a()
	h.Write(b)
	return string(h.Sum(nil))
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// modelInput is a request as a client made it.
type modelInput struct {
	Op any // JoinOp, LeaveOp, MoveOp or QueryOp
}

// modelOutput is what the client saw: the reason a change was refused (""
// for success), or the config a Query returned.
type modelOutput struct {
	Err    string
	Config Config
}

var ctrlerModel = porcupine.Model{
	Init: func() any { return newModelState() },
	Step: func(state, input, output any) (bool, any) {
		st, in := state.(*modelState), input.(modelInput)
		if q, isQuery := in.Op.(QueryOp); isQuery {
			return output == nil || sameConfig(st.c.query(q.Num), output.(modelOutput).Config), st
		}
		c := &configs{list: slices.Clip(st.c.list), pinned: st.c.pinned, choose: st.c.choose}
		r := c.apply(in.Op).(ChangeResult)
		next := st
		if r.Err == OK {
			next = &modelState{c: c, key: chainKey(st.key, c)}
		}
		if output == nil {
			return true, next // never answered: it may have been applied
		}
		return output.(modelOutput).Err == r.Reason, next
	},
	Equal: func(a, b any) bool { return a.(*modelState).key == b.(*modelState).key },
	// Many orders of the same operations reach states the checker must tell
	// apart; hashing them saves comparing each with every cached one.
	Hash: func(state any) uint64 { return binary.LittleEndian.Uint64([]byte(state.(*modelState).key)) },
	DescribeOperation: func(input, output any) string {
		in := input.(modelInput)
		if output == nil {
			return fmt.Sprintf("%+v -> (no answer)", in.Op)
		}
		out := output.(modelOutput)
		if _, isQuery := in.Op.(QueryOp); isQuery {
			return fmt.Sprintf("%+v -> %s", in.Op, describe(out.Config))
		}
		return fmt.Sprintf("%+v -> %q", in.Op, out.Err)
	},
	DescribeState: func(state any) string { return describe(state.(*modelState).c.latest()) },
}

// do sends one operation through ck and records it in h.
func do(h *tests.History, client int, ck *Clerk, op any) {
	rec := h.Begin(client, modelInput{Op: op})
	var out modelOutput
	var err error
	switch o := op.(type) {
	case JoinOp:
		err = ck.Join(o.Groups)
	case LeaveOp:
		err = ck.Leave(o.GIDs)
	case MoveOp:
		err = ck.Move(o.Shard, o.GID)
	case QueryOp:
		out.Config = ck.Query(o.Num)
	}
	var refusal *RefusedError
	if errors.As(err, &refusal) {
		out.Err = refusal.Reason
	} else if err != nil {
		out.Err = err.Error()
	}
	rec.End(out)
}

// randomOp draws an operation over a few gids, so that requests often
// conflict (a Join of a gid another client just joined is refused) and the
// order in which the controller applied them shows in what clients see.
func randomOp(rng *rand.Rand) any {
	gid := 1 + rng.IntN(5)
	switch rng.IntN(8) {
	case 0, 1:
		return JoinOp{Groups: groups(gid)}
	case 2:
		return LeaveOp{GIDs: []int{gid}}
	case 3:
		return MoveOp{Shard: rng.IntN(NShards), GID: gid}
	case 4:
		return QueryOp{Num: rng.IntN(8)}
	}
	return QueryOp{Num: -1}
}

// workload runs clients that send random operations until until.
func workload(c *ctrl, clients int, until time.Duration) *tests.History {
	h := tests.NewHistory(c.w)
	for i := 0; i < clients; i++ {
		ck := c.Clerk()
		rng := ck.ck.Client().Rand()
		c.w.Go(fmt.Sprint("client", i), func() {
			for ck.ck.Client().Now() < until {
				do(h, i, ck, randomOp(rng))
			}
		})
	}
	return h
}

// Linearizable under the nemesis: partitions, crashes with restarts, loss
// and reordering, snapshots on; the servers are not the world's first nodes
// (GroupEnv renumbers them for the engine). Then the replicas must agree.
func TestLinearizable7A(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		c := newCtrlAt(t, e, 2, 5, 2000, "unreliable")
		tests.Nemesis{Nodes: c.Servers, Every: 400 * time.Millisecond, For: 4 * time.Second,
			Partitions: true, Crashes: true, Outages: true, Unreliable: true, Reorder: true}.Start(c.w)
		h := workload(c, 4, 6*time.Second) // and 2s after the faults end
		require.True(t, c.w.RunUntilDone(40*time.Second), "clients still running 34s after the faults ended: the controller did not recover")
		require.Greater(t, h.Len(), 20)
		tests.CheckLinearizable(t, ctrlerModel, h, time.Minute) // under a second of CPU on the longest histories seen
		c.agree(c.Clerk())
	})
}

// The model catches a controller that answers a Query from a replica's own
// state, without the log: a server cut off from the majority serves a
// config older than one a client has already seen made.
func TestStaleQueryCaught7A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCtrl(t, engines[0], 3, -1, "reliable")
		h := tests.NewHistory(c.w)
		ck := c.Clerk()
		do(h, 0, ck, JoinOp{Groups: groups(1)})
		c.w.Sleep(200 * time.Millisecond) // every replica applies it
		f := -1
		for i := 0; i < 3 && f < 0; i++ {
			if _, isLeader := c.Server(i).RSM().Peer().GetState(); !isLeader {
				f = i
			}
		}
		c.w.Partition([]int{f}, remove([]int{0, 1, 2}, f))
		do(h, 0, ck, JoinOp{Groups: groups(2)})
		c.w.Sleep(time.Millisecond)
		stale := c.Server(f).cfg.query(-1) // what a server that skips the log would answer
		rec := h.Begin(1, modelInput{Op: QueryOp{Num: -1}})
		rec.End(modelOutput{Config: stale})
		require.Equal(t, 1, stale.Num, "the cut-off replica should still be at config 1 (the scenario did not set up a stale read)")
		err := tests.Linearizable(ctrlerModel, h.Operations(), 10*time.Second)
		require.Error(t, err, "porcupine accepted Query(-1) = config 1 after the Join that made config 2 completed")
	})
}

// Replicas apply the same operations and must compute the same configs:
// placement that depends on a map's iteration order would not (Go varies
// that order on purpose, from one range loop to the next).
func TestSamePlacementEveryReplica7A(t *testing.T) {
	// Joins of several groups at once: who tops up first, and from which of
	// the equally full groups, decides the placement.
	ops := []any{JoinOp{Groups: groups(1)}, JoinOp{Groups: groups(2, 3, 4, 5)}, LeaveOp{GIDs: []int{2, 3}},
		JoinOp{Groups: groups(6, 7, 8)}, MoveOp{Shard: 1, GID: 8}, LeaveOp{GIDs: []int{1}}, JoinOp{Groups: groups(2, 3, 9, 10, 11)}}
	var first []Config
	for replica := 0; replica < 20; replica++ {
		c := newConfigs()
		for _, op := range ops {
			c.apply(op)
		}
		if replica == 0 {
			first = c.list
			require.Len(t, first, len(ops)+1, "%d operations, each applied, make configs 0 to %d", len(ops), len(ops))
			checkConfig(t, c.latest(), len(ops), []int{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, map[int]int{1: 8})
			continue
		}
		for num, cfg := range c.list {
			require.True(t, sameConfig(cfg, first[num]), "the same operations gave config %d as %s once and %s another time: iterate gids sorted, never a map",
				num, describe(first[num]), describe(cfg))
		}
	}
}

func TestSameSeedSameRun7A(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.RunTwice(t, func(t *tests.T) {
				c := newCtrlAt(t, e, 1, 3, 1000, "unreliable")
				tests.Nemesis{Nodes: c.Servers, Every: 300 * time.Millisecond, For: 2 * time.Second, Crashes: true, Partitions: true}.Start(c.w)
				workload(c, 3, 2*time.Second)
				require.True(t, c.w.RunUntilDone(30*time.Second))
			})
		})
	}
}
