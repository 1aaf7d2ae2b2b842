package group

import (
	"bytes"
	"fmt"
	"maps"
	"slices"

	"protolab/labgob"
	"protolab/shardkv/ctrler"
)

// The group's state machine: what every replica applies, in log order. It
// is a pure function of the operations, with no clock and no network, so a
// test can drive it directly (machine_test.go), and every replica reaches
// the same state.
//
// Each shard is in one of three states in the group's current config; the
// migration table of the handout (docs/lab7-shardkv.md, "The migration
// state machine") lists what moves a shard from one to another:
//
//	absent   not the group's in its config
//	pulling  the group's in its config, not yet arrived from its previous owner
//	serving  the group's in its config, and here: Gets and Puts are applied
//
// Besides, a shard the group lost leaves a handed-off copy (m.out): frozen
// at the config that took it away, kept until its new owner has pulled it
// (in 7C, until the new owner says it has it; then it is deleted). The
// copy is kept apart from the shard's state because the group may gain the
// shard back in a later config before the new owner has pulled it: the
// copy must outlive that (TestLinearizableUnderFaults7B found it so).

// shardState is where a shard stands in the group's current config.
type shardState int

const (
	absent shardState = iota
	pulling
	serving
)

func (s shardState) String() string {
	switch s {
	case absent:
		return "absent"
	case pulling:
		return "pulling"
	case serving:
		return "serving"
	}
	return fmt.Sprintf("shardState(%d)", int(s))
}

// A shard is what the group holds of one shard.
type shard struct {
	State shardState
	// Since is the config that put the shard in its state: the one in which
	// the group gained it (pulling, serving) or lost it (absent). An install
	// names that config, so that a late pull answered for an older move
	// cannot touch a newer one.
	Since int
	// Unacked (7C): the shard was installed in config Since, and its
	// previous owner has not yet confirmed that it deleted its copy.
	Unacked bool
	data    map[string]entry
	lastPut map[int64]lastPut // the shard's duplicate table, by client
}

// A handedOff copy is a shard the group lost at config Since, as it was
// then: its new owner pulls it; nothing changes it.
type handedOff struct {
	Since   int
	data    map[string]entry
	lastPut map[int64]lastPut
}

// entry is one key's value and version.
type entry struct {
	Value   string
	Version Tversion
}

// lastPut is a client's last Put applied to a shard, and its answer.
type lastPut struct {
	Seq int64
	Err Err
}

// machine is a group's replicated state: its gid, its current config and
// the one before (the previous owners of the shards it gains), its shards,
// and the copies it handed off (nil: none).
type machine struct {
	gid    int
	config ctrler.Config
	prev   ctrler.Config
	shards [ctrler.NShards]shard
	out    [ctrler.NShards]*handedOff
}

func newMachine(gid int) *machine {
	m := &machine{gid: gid}
	for s := range m.shards {
		m.shards[s] = shard{data: map[string]entry{}, lastPut: map[int64]lastPut{}}
	}
	return m
}

// canServe reports whether the group applies Gets and Puts of shard s now.
// It is asked at apply time, not only when a request arrives: between the
// two, a ConfigOp earlier in the log may have handed the shard off.
func (m *machine) canServe(s int) bool {
	//lab:solution 7C
	// Each shard on its own: a shard that stays is served while others
	// move, and a gained shard as soon as it is installed.
	return m.shards[s].State == serving
	//lab:stub
	// TODO(7C): serve each shard as soon as it is in place, whatever
	// other shards are doing. (7B's rule, below, stops every shard while
	// any one is on its way.)
	//> return m.shards[s].State == serving && m.settled()
	//lab:end
}

// settled reports whether the group has finished moving to its current
// config: every shard it gained has arrived (and, in 7C, every old owner
// has confirmed that it deleted its copy). Only a settled group moves on to
// the next config: otherwise it would forget where the missing shards are
// to come from (m.prev).
func (m *machine) settled() bool {
	for s := range m.shards {
		//lab:solution 7B
		if m.shards[s].State == pulling {
			return false
		}
		//lab:stub
		// TODO(7B): not settled while a shard the group gained is still on
		// its way.
		//> _ = s
		//lab:end
		//lab:solution 7C
		if m.shards[s].Unacked {
			return false
		}
		//lab:stub
		// TODO(7C): nor while the previous owner of a shard installed here
		// has not confirmed that it deleted its copy.
		//lab:end
	}
	return true
}

// apply applies one operation and returns its result.
func (m *machine) apply(op any) any {
	switch o := op.(type) {
	case GetOp:
		return m.get(o)
	case PutOp:
		return m.put(o)
	case ConfigOp:
		return m.applyConfig(o.Config)
	case InstallOp:
		return m.install(o)
	case DeleteOp:
		return m.deleteShard(o)
	case AckOp:
		return m.ack(o)
	}
	panic(fmt.Sprintf("group: the state machine was given a %T; it applies GetOp, PutOp, ConfigOp, InstallOp, DeleteOp and AckOp", op))
}

// get answers a key's value and version, if the group serves its shard.
func (m *machine) get(o GetOp) GetResult {
	//lab:solution 7B
	s := ctrler.Key2Shard(o.Key)
	if !m.canServe(s) {
		return GetResult{Err: ErrWrongGroup}
	}
	e, ok := m.shards[s].data[o.Key]
	if !ok {
		return GetResult{Err: ErrNoKey}
	}
	return GetResult{Value: e.Value, Version: e.Version, Err: OK}
	//lab:stub
	// TODO(7B): refuse a key whose shard the group does not serve now
	// (ErrWrongGroup); otherwise lab 1's Get.
	//> return GetResult{Err: ErrWrongGroup}
	//lab:end
}

// put applies lab 1's versioned Put once per client and Seq, if the group
// serves the key's shard. The duplicate table is the shard's own, so it
// travels with the shard: a Put applied here and retried at the shard's
// next owner gets its first answer there.
func (m *machine) put(o PutOp) Result {
	//lab:solution 7B
	s := ctrler.Key2Shard(o.Key)
	if !m.canServe(s) {
		return Result{Err: ErrWrongGroup}
	}
	sh := &m.shards[s]
	if last, ok := sh.lastPut[o.ClientId]; ok && o.Seq <= last.Seq {
		if o.Seq == last.Seq {
			return Result{Err: last.Err}
		}
		return Result{Err: ErrWrongLeader} // older than the client's last: nobody waits for it
	}
	e, exists := sh.data[o.Key]
	var err Err
	switch {
	case !exists && o.Version != 0:
		err = ErrNoKey
	case e.Version != o.Version:
		err = ErrVersion
	default:
		sh.data[o.Key] = entry{Value: o.Value, Version: e.Version + 1}
		err = OK
	}
	sh.lastPut[o.ClientId] = lastPut{Seq: o.Seq, Err: err}
	return Result{Err: err}
	//lab:stub
	// TODO(7B): refuse a key whose shard the group does not serve now
	// (ErrWrongGroup); answer a repeat of the client's last Seq on this
	// shard with its first answer; otherwise apply lab 1's rules and
	// remember the answer in the shard's duplicate table.
	//> return Result{Err: ErrWrongGroup}
	//lab:end
}

// applyConfig moves the group to c, if c is the config after its current
// one and the group has settled in its current one. Anything else is a
// repeat (a leader polls again before its ConfigOp applies; a new leader
// submits it again) or comes too early, and changes nothing.
func (m *machine) applyConfig(c ctrler.Config) Result {
	//lab:solution 7B
	if c.Num != m.config.Num+1 || !m.settled() {
		return Result{Err: ErrNotReady}
	}
	for s := range m.shards {
		had, has := m.config.Shards[s] == m.gid, c.Shards[s] == m.gid
		sh := &m.shards[s]
		switch {
		case has && !had && m.config.Shards[s] == 0:
			// Nobody held it (config 0, or every group had left): it
			// starts empty, here.
			*sh = shard{State: serving, Since: c.Num, data: map[string]entry{}, lastPut: map[int64]lastPut{}}
		case has && !had:
			*sh = shard{State: pulling, Since: c.Num, data: map[string]entry{}, lastPut: map[int64]lastPut{}}
		case had && !has:
			// From this point in the log on, no Get or Put of the shard
			// is applied here: the copy is frozen for its new owner.
			m.out[s] = &handedOff{Since: c.Num, data: sh.data, lastPut: sh.lastPut}
			*sh = shard{State: absent, Since: c.Num, data: map[string]entry{}, lastPut: map[int64]lastPut{}}
		}
	}
	m.prev, m.config = m.config, c
	return Result{Err: OK}
	//lab:stub
	// TODO(7B): move to c only if it is the next config and the group
	// has settled in this one; mark each shard gained (from a group, or
	// from nobody), and keep a frozen copy of each shard lost (m.out);
	// remember the config you leave.
	//> return Result{Err: ErrNotReady}
	//lab:end
}

// install puts a pulled shard in place, if the group is still waiting for
// it in that config. A repeat (two pulls answered, a leader change) finds
// it serving already and changes nothing.
func (m *machine) install(o InstallOp) Result {
	sh := &m.shards[o.Shard]
	//lab:solution 7B
	if o.ConfigNum != m.config.Num || sh.State != pulling {
		return Result{Err: OK}
	}
	sh.State = serving
	sh.data, sh.lastPut = importData(o.Data)
	//lab:stub
	// TODO(7B): if the shard is still on its way in config o.ConfigNum,
	// install its keys and its duplicate table (importData), and serve it.
	//> _ = sh
	//lab:end
	//lab:solution 7C
	sh.Unacked = true // the previous owner may delete its copy: tell it (gc.go)
	//lab:stub
	// TODO(7C): remember that the previous owner must be told it may delete
	// its copy.
	//lab:end
	return Result{Err: OK}
}

// deleteShard deletes the copy of a shard handed off at o.ConfigNum, now
// that its receiver has it (7C). Only that hand-off's copy: if the group
// has since gained the shard again and lost it again, the copy is another
// one, which another receiver still needs.
func (m *machine) deleteShard(o DeleteOp) Result {
	//lab:solution 7C
	if out := m.out[o.Shard]; out != nil && out.Since == o.ConfigNum {
		m.out[o.Shard] = nil
	}
	//lab:stub
	// TODO(7C): delete the copy handed off at o.ConfigNum, and only it.
	//lab:end
	return Result{Err: OK}
}

// ack records that the previous owner of a shard installed at o.ConfigNum
// has deleted its copy (7C): the group may move on.
func (m *machine) ack(o AckOp) Result {
	//lab:solution 7C
	sh := &m.shards[o.Shard]
	if o.ConfigNum == m.config.Num && sh.Since == o.ConfigNum {
		sh.Unacked = false
	}
	//lab:stub
	// TODO(7C): the delete of the shard installed at o.ConfigNum is done.
	//lab:end
	return Result{Err: OK}
}

// pullable returns the copy of shard s that the group handed off at config
// num, for the group that gained it then; ErrNotReady if the group has not
// reached num yet, or holds no such copy (in 7C, it was deleted: the
// receiver has it already). A handed-off copy never changes, so any replica
// that holds it may answer.
func (m *machine) pullable(num, s int) (ShardData, Err) {
	//lab:solution 7B
	out := m.out[s]
	if m.config.Num < num || out == nil || out.Since != num {
		return ShardData{}, ErrNotReady
	}
	return exportData(out.data, out.lastPut), OK
	//lab:stub
	// TODO(7B): hand out the copy of shard s frozen at config num, once
	// this group has reached num; ErrNotReady otherwise.
	//> return ShardData{}, ErrNotReady
	//lab:end
}

// exportData is a shard as it travels: keys and clients sorted, so that the
// same shard always gives the same bytes.
func exportData(data map[string]entry, last map[int64]lastPut) ShardData {
	var d ShardData
	for _, k := range slices.Sorted(maps.Keys(data)) {
		e := data[k]
		d.Keys = append(d.Keys, KeyValue{Key: k, Value: e.Value, Version: e.Version})
	}
	for _, id := range slices.Sorted(maps.Keys(last)) {
		l := last[id]
		d.Clients = append(d.Clients, LastPut{ClientId: id, Seq: l.Seq, Err: l.Err})
	}
	return d
}

// importData is the shard's own copy of what came: the group keeps it as
// its state, and must not share it with the op in the log.
func importData(d ShardData) (map[string]entry, map[int64]lastPut) {
	data := make(map[string]entry, len(d.Keys))
	for _, kv := range d.Keys {
		data[kv.Key] = entry{Value: kv.Value, Version: kv.Version}
	}
	last := make(map[int64]lastPut, len(d.Clients))
	for _, c := range d.Clients {
		last[c.ClientId] = lastPut{Seq: c.Seq, Err: c.Err}
	}
	return data, last
}

// stored counts the keys and the bytes (keys and values) the group holds,
// in its shards and in the copies it handed off: what 7C's deletion keeps
// bounded.
func (m *machine) stored() (keys, bytes int) {
	count := func(data map[string]entry) {
		for k, e := range data {
			keys++
			bytes += len(k) + len(e.Value)
		}
	}
	for s := range m.shards {
		count(m.shards[s].data)
		if m.out[s] != nil {
			count(m.out[s].data)
		}
	}
	return keys, bytes
}

// machineState is the machine's snapshot: the same state always gives the
// same bytes, so configs go in with their groups sorted (a gob-encoded map
// comes out in Go's random map order).
type machineState struct {
	Gid          int
	Config, Prev configState
	Shards       []shardSnapshot
}

type configState struct {
	Num     int
	Shards  [ctrler.NShards]int
	GIDs    []int
	Servers [][]int
}

func saveConfig(c ctrler.Config) configState {
	cs := configState{Num: c.Num, Shards: c.Shards, GIDs: c.GIDs()}
	for _, gid := range cs.GIDs {
		cs.Servers = append(cs.Servers, c.Groups[gid])
	}
	return cs
}

func loadConfig(cs configState) ctrler.Config {
	c := ctrler.Config{Num: cs.Num, Shards: cs.Shards, Groups: map[int][]int{}}
	for i, gid := range cs.GIDs {
		c.Groups[gid] = cs.Servers[i]
	}
	return c
}

type shardSnapshot struct {
	State    shardState
	Since    int
	Unacked  bool
	Data     ShardData
	Out      bool // a handed-off copy: OutSince, OutData
	OutSince int
	OutData  ShardData
}

func (m *machine) snapshot() []byte {
	st := machineState{Gid: m.gid, Config: saveConfig(m.config), Prev: saveConfig(m.prev)}
	for s := range m.shards {
		sh := &m.shards[s]
		ss := shardSnapshot{State: sh.State, Since: sh.Since, Unacked: sh.Unacked, Data: exportData(sh.data, sh.lastPut)}
		if out := m.out[s]; out != nil {
			ss.Out, ss.OutSince, ss.OutData = true, out.Since, exportData(out.data, out.lastPut)
		}
		st.Shards = append(st.Shards, ss)
	}
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(st); err != nil {
		panic(fmt.Sprintf("group: cannot encode the group's snapshot: %v", err))
	}
	return b.Bytes()
}

func (m *machine) restore(data []byte) {
	var st machineState
	if err := labgob.NewDecoder(bytes.NewReader(data)).Decode(&st); err != nil {
		panic(fmt.Sprintf("group: cannot decode a snapshot of %d bytes: %v (was it made by the group's Snapshot?)", len(data), err))
	}
	if len(st.Shards) != ctrler.NShards {
		panic(fmt.Sprintf("group: a snapshot of %d shards; the key space has ctrler.NShards = %d", len(st.Shards), ctrler.NShards))
	}
	m.gid, m.config, m.prev = st.Gid, loadConfig(st.Config), loadConfig(st.Prev)
	for s, ss := range st.Shards {
		data, last := importData(ss.Data)
		m.shards[s] = shard{State: ss.State, Since: ss.Since, Unacked: ss.Unacked, data: data, lastPut: last}
		m.out[s] = nil
		if ss.Out {
			out := &handedOff{Since: ss.OutSince}
			out.data, out.lastPut = importData(ss.OutData)
			m.out[s] = out
		}
	}
}
