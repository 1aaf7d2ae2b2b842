package group

import (
	//lab:solution 7B
	"protolab/shardkv/ctrler"
	//lab:end
)

// The leader's timer. Every PollEvery, a server that believes it leads its
// group does the one thing its state asks for: if the group has settled in
// its config, ask the controller for the next one; otherwise pull the
// shards still on their way (migrate.go) and, in 7C, confirm deliveries to
// their old owners (gc.go). Everything it learns goes through the log, so a
// follower that becomes leader picks up where its predecessor was.

// tick is the timer; it sets itself again.
func (kv *ShardKV) tick() {
	if kv.isLeader() {
		if kv.m.settled() {
			kv.queryNext()
		} else {
			kv.pullShards()
			kv.confirmDeliveries()
		}
	}
	kv.env.After(PollEvery, kv.tick)
}

// queryNext asks the controller for the config after the group's current
// one, and submits it if there is one. Never the latest: a group that
// missed configs walks through each of them, since each says which shards
// it must hand off or pull, and from whom.
func (kv *ShardKV) queryNext() {
	//lab:solution 7B
	if kv.busy["query"] {
		return
	}
	kv.busy["query"] = true
	num := kv.m.config.Num + 1
	kv.poller.Query(num, func(c ctrler.Config, ok bool) {
		kv.busy["query"] = false
		if ok && c.Num == num && kv.m.config.Num == num-1 {
			kv.submit(ConfigOp{Config: c})
		}
	})
	//lab:stub
	// TODO(7B): ask the controller (kv.poller: node code never blocks) for
	// config kv.m.config.Num+1, and if it exists, submit a ConfigOp.
	//lab:end
}
