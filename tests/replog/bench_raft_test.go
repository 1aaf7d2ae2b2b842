package replog_test

import (
	"protolab/labrpc"
	"protolab/raft"
	"protolab/tests/replog"
)

func init() {
	engines = append(engines, replog.Engine{Name: "raft", Boot: func(env labrpc.Env, p *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		return raft.Make(env, p, func(m raft.ApplyMsg) { apply(replog.Msg(m)) })
	}})
}
