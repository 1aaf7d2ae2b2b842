package group

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/shardkv/ctrler"
)

// The state machine alone, driven op by op: what every replica of a group
// does with its log, without a network or an engine. Each test is one rule
// of the migration table (docs/lab7-shardkv.md).

// configOf returns a config numbered num that gives every shard to gid,
// except the shards in moved, which go to other.
func configOf(num, gid, other int, moved ...int) ctrler.Config {
	c := ctrler.Config{Num: num, Groups: map[int][]int{gid: {10, 11, 12}, other: {20, 21, 22}}}
	for s := range c.Shards {
		c.Shards[s] = gid
	}
	for _, s := range moved {
		c.Shards[s] = other
	}
	return c
}

// keyIn returns a key of shard s.
func keyIn(s int) string {
	for i := 0; ; i++ {
		if k := fmt.Sprint("k", i); ctrler.Key2Shard(k) == s {
			return k
		}
	}
}

func mustApply(t *testing.T, m *machine, op any) any {
	t.Helper()
	return m.apply(op)
}

// A group that owns every shard, at config 1, with key k (shard s) written
// by client 7's Put number 1.
func ownerAtConfig1(t *testing.T, s int) (*machine, string) {
	m := newMachine(1)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(1, 1, 2)}), "config 1 after config 0")
	k := keyIn(s)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, PutOp{Key: k, Value: "v1", Version: 0, ClientId: 7, Seq: 1}))
	return m, k
}

// Ownership is checked when an op is applied, not only when it arrives: a
// Put that the leader accepted in config 1 but that the log puts after the
// ConfigOp handing its shard off must not change the frozen copy (its new
// owner may already have pulled it).
func TestMachineOwnershipCheckedAtApply7B(t *testing.T) {
	m, k := ownerAtConfig1(t, 3)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3)}))
	require.Equal(t, Result{Err: ErrWrongGroup}, mustApply(t, m, PutOp{Key: k, Value: "late", Version: 1, ClientId: 8, Seq: 1}),
		"a Put of shard 3 applied after the config that hands shard 3 off")
	require.Equal(t, GetResult{Err: ErrWrongGroup}, mustApply(t, m, GetOp{Key: k}), "a Get of a handed-off shard")
	d, err := m.pullable(2, 3)
	require.Equal(t, OK, err)
	require.Equal(t, []KeyValue{{Key: k, Value: "v1", Version: 1}}, d.Keys, "the frozen copy changed after the hand-off")
}

// Configs are applied one at a time, in order, once each.
func TestMachineConfigsOneAtATime7B(t *testing.T) {
	m, _ := ownerAtConfig1(t, 3)
	require.Equal(t, Result{Err: ErrNotReady}, mustApply(t, m, ConfigOp{Config: configOf(3, 1, 2, 3)}), "config 3 right after config 1")
	require.Equal(t, 1, m.config.Num, "a config was skipped")
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3)}))
	require.Equal(t, Result{Err: ErrNotReady}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3)}), "config 2 applied twice")
	require.Equal(t, 1, m.prev.Num, "applying config 2 again lost config 1, where the shards came from")
	require.Equal(t, absent, m.shards[3].State)
	require.Equal(t, 2, m.out[3].Since, "no copy of shard 3 frozen at config 2")
}

// A gained shard is served only once it has arrived; the group does not
// move on to the next config while it waits; the duplicate table comes
// with the shard, so a Put retried at the new owner gets its first answer.
func TestMachineShardArrives7B(t *testing.T) {
	old, k := ownerAtConfig1(t, 3)
	require.Equal(t, Result{Err: OK}, mustApply(t, old, ConfigOp{Config: configOf(2, 1, 2, 3)}))
	_, err := old.pullable(3, 3)
	require.Equal(t, ErrNotReady, err, "a pull for a config the old owner has not reached")

	m := newMachine(2)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(1, 1, 2)}))
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3)}))
	require.Equal(t, pulling, m.shards[3].State)
	require.Equal(t, GetResult{Err: ErrWrongGroup}, mustApply(t, m, GetOp{Key: k}), "served shard 3 before it arrived")
	require.Equal(t, Result{Err: ErrWrongGroup}, mustApply(t, m, PutOp{Key: k, Value: "x", Version: 0, ClientId: 9, Seq: 1}), "a Put of shard 3 before it arrived")
	require.Equal(t, Result{Err: ErrNotReady}, mustApply(t, m, ConfigOp{Config: configOf(3, 1, 2)}), "moved on to config 3 with shard 3 still on its way")

	d, err := old.pullable(2, 3)
	require.Equal(t, OK, err)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, InstallOp{ConfigNum: 2, Shard: 3, Data: d}))
	require.Equal(t, GetResult{Value: "v1", Version: 1, Err: OK}, mustApply(t, m, GetOp{Key: k}))
	require.Equal(t, Result{Err: OK}, mustApply(t, m, PutOp{Key: k, Value: "v1", Version: 0, ClientId: 7, Seq: 1}),
		"client 7's Put 1, applied by the old owner and retried at the new one, must get its first answer (the duplicate table moves with the shard)")
	require.Equal(t, GetResult{Value: "v1", Version: 1, Err: OK}, mustApply(t, m, GetOp{Key: k}), "the retried Put was applied twice")
	d.Keys = nil
	require.Equal(t, Result{Err: OK}, mustApply(t, m, InstallOp{ConfigNum: 2, Shard: 3, Data: d}), "a second install")
	require.Equal(t, GetResult{Value: "v1", Version: 1, Err: OK}, mustApply(t, m, GetOp{Key: k}), "a second install of the shard replaced the first")
}

// The snapshot holds everything: configs, states, keys, duplicate tables.
func TestMachineSnapshot7B(t *testing.T) {
	m, _ := ownerAtConfig1(t, 3)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3, 5)}))
	n := newMachine(0)
	n.restore(m.snapshot())
	require.Equal(t, m.snapshot(), n.snapshot())
	require.Equal(t, m.gid, n.gid)
	require.Equal(t, 2, n.config.Num)
	require.Equal(t, 1, n.prev.Num)
	require.Equal(t, absent, n.shards[3].State)
	require.Equal(t, 2, n.out[3].Since)
}

// 7C: the old owner deletes the copy it handed off when told, and only
// the copy of that hand-off; the receiver stays in its config until the
// delete is confirmed.
func TestMachineDeleteHandedOff7C(t *testing.T) {
	m, _ := ownerAtConfig1(t, 3)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3)}))
	mustApply(t, m, DeleteOp{ConfigNum: 1, Shard: 3})
	require.NotNil(t, m.out[3], "a delete naming another config deleted the copy handed off at config 2")
	keys, _ := m.stored()
	require.Equal(t, 1, keys)
	mustApply(t, m, DeleteOp{ConfigNum: 2, Shard: 3})
	require.Nil(t, m.out[3])
	keys, _ = m.stored()
	require.Equal(t, 0, keys, "the handed-off copy is still stored after its delete")

	r := newMachine(2)
	mustApply(t, r, ConfigOp{Config: configOf(1, 1, 2)})
	mustApply(t, r, ConfigOp{Config: configOf(2, 1, 2, 3)})
	mustApply(t, r, InstallOp{ConfigNum: 2, Shard: 3})
	require.True(t, r.canServe(3), "an installed shard is served at once")
	require.False(t, r.settled(), "settled before the old owner confirmed its delete")
	mustApply(t, r, AckOp{ConfigNum: 2, Shard: 3})
	require.True(t, r.settled())
}

// 7C: a shard is served as soon as it arrives, and a shard that does not
// move is served while another is on its way.
func TestMachineServePerShard7C(t *testing.T) {
	m := newMachine(2)
	mustApply(t, m, ConfigOp{Config: configOf(1, 2, 1, 3, 4)}) // g2 holds all but 3 and 4
	mustApply(t, m, ConfigOp{Config: configOf(2, 2, 1)})       // and gains 3 and 4
	require.True(t, m.canServe(0), "shard 0 did not move: it must be served while 3 and 4 are on their way")
	mustApply(t, m, InstallOp{ConfigNum: 2, Shard: 3})
	require.True(t, m.canServe(3), "shard 3 arrived: it must be served while 4 is on its way")
	require.False(t, m.canServe(4))
}

// Lab 1's Put rules hold per shard, and a request delivered late is not applied: the
// network may duplicate a client's request and deliver the copy after the client has
// moved on. Client 7's Put number 2 was refused (wrong version); its Put number 3 then
// moved the key to the very version number 2 named. The late copy of number 2 must not
// be applied now: the client was told it failed, and has gone on.
func TestMachineLateRequestNotApplied7B(t *testing.T) {
	m, k := ownerAtConfig1(t, 3) // k at version 1, by client 7's Put 1
	require.Equal(t, Result{Err: ErrNoKey}, mustApply(t, m, PutOp{Key: keyIn(4), Value: "x", Version: 2, ClientId: 8, Seq: 1}),
		"a Put of a missing key with a version other than 0 (lab 1's rule)")
	require.Equal(t, GetResult{Err: ErrNoKey}, mustApply(t, m, GetOp{Key: keyIn(4)}), "the refused Put created the key")
	late := PutOp{Key: k, Value: "late", Version: 2, ClientId: 7, Seq: 2}
	require.Equal(t, Result{Err: ErrVersion}, mustApply(t, m, late), "Put 2 names version 2; the key is at 1")
	require.Equal(t, Result{Err: OK}, mustApply(t, m, PutOp{Key: k, Value: "v2", Version: 1, ClientId: 7, Seq: 3}))
	mustApply(t, m, late) // the network's late copy of Put 2
	require.Equal(t, GetResult{Value: "v2", Version: 2, Err: OK}, mustApply(t, m, GetOp{Key: k}),
		"a late copy of client 7's Put 2, which was refused, was applied after its Put 3: a request older than the client's last must change nothing")
	require.Equal(t, Result{Err: OK}, mustApply(t, m, PutOp{Key: k, Value: "v2", Version: 1, ClientId: 7, Seq: 3}),
		"a repeat of the client's last Put gets its first answer")
}

// Pulls that arrive late: a receiver's PullShard may be delayed or duplicated by the
// network and reach the old owner after the copy it names is gone, or name a config
// other than the one the copy was frozen at. Each is answered ErrNotReady (the receiver
// asks elsewhere or has the shard already), never with another config's copy, and the
// old owner must not fail on it.
func TestMachineLatePull7C(t *testing.T) {
	m, k := ownerAtConfig1(t, 3)
	require.Equal(t, Result{Err: OK}, mustApply(t, m, ConfigOp{Config: configOf(2, 1, 2, 3)}))
	_, err := m.pullable(1, 3)
	require.Equal(t, ErrNotReady, err, "a pull of shard 3 as of config 1; the copy held was frozen at config 2")
	d, err := m.pullable(2, 3)
	require.Equal(t, OK, err)
	require.Equal(t, []KeyValue{{Key: k, Value: "v1", Version: 1}}, d.Keys)
	mustApply(t, m, DeleteOp{ConfigNum: 2, Shard: 3})
	_, err = m.pullable(2, 3)
	require.Equal(t, ErrNotReady, err, "a late pull of shard 3 as of config 2, after its copy was deleted")
}
