// Package stories holds each lab's demo and 'lab run' workload: the lab's
// content that the course tool shows, apart from the tool's plumbing (flags,
// output, the viewer), which stays in cmd/lab. A lab's demo and runner sit in
// one file named after the lab (kvsrv.go, gossip.go, ...); the two tables
// below list them all, so that adding a lab's story is one file and one line in
// each table.
//
// A demo is a short narrated run on a fixed seed: a sequence of acts, each
// announced in the trace ("act 2, leader cut off: ..."), whose timeline and
// summary the demo prints. A runner is a workload with the lab's checks, run
// for as long, as hard and under the faults that 'lab run' asks for (run.go).
package stories

import "io"

// A Demo is a short narrated run of a lab in the simulator.
type Demo struct {
	Name    string // one word, the lab's package: 'lab demo NAME'
	Summary string // one line, for 'lab help demo'
	// Run tells the story to out, the same story every time.
	Run func(out io.Writer) error
}

// Demos are the demos, by name. DefaultDemo is the one 'lab demo' runs
// without a name: Raft's, the course's centrepiece.
var Demos = []Demo{
	{"chash", "load per member before and after a member joins; then the same on a simulated cache", demoChash},
	{"gossip", "lab 3: a value spreads to every node; a member is suspected and refutes; a crashed one is declared dead", demoGossip},
	{"kvsrv", "lab 1: versioned Puts, a lost reply and ErrMaybe, a server outage", demoKvsrv},
	{"paxos", "lab 5: dueling proposers, a chosen value that outlives its leader, a hole filled with a no-op", demoPaxos},
	{"raft", "lab 4: election, leader cut off, re-election, heal, a crash and restart, a snapshot installed", demoRaft},
	{"services", "lab 6: a leader crash in a burst of writes to the replicated store; a lock holder paused past its lease, fenced off", demoServices},
	{"shardkv", "lab 7: a group joins, a leader crashes and a group leaves during a burst of writes; shards follow each config, every write once", demoShardkv},
}

// DefaultDemo is the demo 'lab demo' runs without a name.
const DefaultDemo = "raft"

// Runners are the labs' workloads for 'lab run', by name.
var Runners = []Runner{kvsrvRunner, gossipRunner, raftRunner, paxosRunner, kvRunner, lbRunner}
