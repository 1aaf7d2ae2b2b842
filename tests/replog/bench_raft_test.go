package replog_test

import "protolab/raft"

func init() { engines = append(engines, raft.Engine) }
