package kvsrv

import (
	"fmt"

	"github.com/anishathalye/porcupine"

	"protolab/labrpc"
	"protolab/tests"
)

// cluster is one server (node 0) and the clerks that talk to it.
type cluster struct {
	t *tests.T
	w *labrpc.World
}

func newCluster(t *tests.T, profile string) *cluster {
	w := t.NewWorld(labrpc.Config{Nodes: 1, Profile: labrpc.MustProfile(profile)})
	w.Start(0, func(env labrpc.Env) any { return MakeKVServer(env) })
	return &cluster{t: t, w: w}
}

// clerk returns a clerk with its own network endpoint.
func (c *cluster) clerk() *Clerk { return MakeClerk(c.w.NewClient(), 0) }

// The linearizability model: a map of keys to (value, version), checked one
// key at a time.

type kvInput struct {
	Put     bool
	Key     string
	Value   string
	Version Tversion
}

type kvOutput struct {
	Value   string
	Version Tversion
	Err     Err
}

type kvState struct {
	exists  bool
	value   string
	version Tversion
}

func (s kvState) put(in kvInput) (kvState, Err) {
	switch {
	case !s.exists && in.Version != 0:
		return s, ErrNoKey
	case s.version != in.Version:
		return s, ErrVersion
	}
	return kvState{true, in.Value, s.version + 1}, OK
}

// kvModel is nondeterministic because a Put that returned ErrMaybe, or
// never returned, may or may not have applied: both next states are kept.
var kvModel = (&porcupine.NondeterministicModel{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range ops {
			k := op.Input.(kvInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		var parts [][]porcupine.Operation
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() []any { return []any{kvState{}} },
	Step: func(state, input, output any) []any {
		s, in := state.(kvState), input.(kvInput)
		if !in.Put {
			if output == nil {
				return []any{s} // a Get with no answer seen changes nothing
			}
			out := output.(kvOutput)
			if !s.exists && out.Err == ErrNoKey ||
				s.exists && out.Err == OK && out.Value == s.value && out.Version == s.version {
				return []any{s}
			}
			return nil
		}
		next, err := s.put(in)
		if output == nil || output.(kvOutput).Err == ErrMaybe {
			return []any{s, next} // applied, or not: the client cannot know
		}
		if output.(kvOutput).Err == err {
			return []any{next}
		}
		return nil
	},
	DescribeOperation: func(input, output any) string {
		in := input.(kvInput)
		out := "?"
		if output != nil {
			o := output.(kvOutput)
			out = fmt.Sprintf("%s v%d %s", o.Value, o.Version, o.Err)
		}
		if in.Put {
			return fmt.Sprintf("put(%s, %q, v%d) → %s", in.Key, in.Value, in.Version, out)
		}
		return fmt.Sprintf("get(%s) → %s", in.Key, out)
	},
}).ToModel()
