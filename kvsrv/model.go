package kvsrv

import (
	"fmt"

	"github.com/anishathalye/porcupine"
)

// The specification the tests hold client histories to, for the
// linearizability checker (porcupine): the server behaves as one map from
// keys to (value, version), each operation taking effect at one instant
// between its call and its return. Keys are independent, so the checker
// takes them one at a time.

// ModelInput is an operation as a client called it.
type ModelInput struct {
	Put     bool // a Put; otherwise a Get
	Key     string
	Value   string   // Put only
	Version Tversion // Put only
}

// ModelOutput is what the client saw returned: for a Get, the value,
// version and error; for a Put, the error.
type ModelOutput struct {
	Value   string
	Version Tversion
	Err     Err
}

// modelKey is the model's state of one key.
type modelKey struct {
	exists  bool
	value   string
	version Tversion
}

// put is a Put applied to the model: the rules of the lab's first part.
func (k modelKey) put(in ModelInput) (modelKey, Err) {
	switch {
	case !k.exists && in.Version != 0:
		return k, ErrNoKey
	case k.version != in.Version:
		return k, ErrVersion
	}
	return modelKey{true, in.Value, k.version + 1}, OK
}

// Model is nondeterministic because a Put that returned ErrMaybe, or never
// returned, may or may not have applied: both next states are kept. An
// operation that never returned has a nil output.
var Model = (&porcupine.NondeterministicModel{
	Partition: func(ops []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string // first-seen order, so the partition does not depend on map order
		for _, op := range ops {
			k := op.Input.(ModelInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		parts := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			parts = append(parts, byKey[k])
		}
		return parts
	},
	Init: func() []any { return []any{modelKey{}} },
	Step: func(state, input, output any) []any {
		k, in := state.(modelKey), input.(ModelInput)
		if !in.Put {
			if output == nil {
				return []any{k} // a Get with no answer seen changes nothing
			}
			out := output.(ModelOutput)
			if !k.exists && out.Err == ErrNoKey ||
				k.exists && out.Err == OK && out.Value == k.value && out.Version == k.version {
				return []any{k}
			}
			return nil
		}
		next, err := k.put(in)
		if output == nil || output.(ModelOutput).Err == ErrMaybe {
			return []any{k, next} // applied, or not: the client cannot know
		}
		if output.(ModelOutput).Err == err {
			return []any{next}
		}
		return nil
	},
	// The descriptions are plain text: tests.Linearizable escapes them for
	// porcupine's page, which shows states as HTML.
	DescribeState: func(state any) string {
		k := state.(modelKey)
		if !k.exists {
			return "no value"
		}
		return fmt.Sprintf("%q v%d", k.value, k.version)
	},
	DescribeOperation: func(input, output any) string {
		in := input.(ModelInput)
		out := "?"
		if output != nil {
			o := output.(ModelOutput)
			out = string(o.Err)
			if !in.Put {
				out = fmt.Sprintf("%q v%d %s", o.Value, o.Version, o.Err)
			}
		}
		if in.Put {
			return fmt.Sprintf("put(%s, %q, v%d) → %s", in.Key, in.Value, in.Version, out)
		}
		return fmt.Sprintf("get(%s) → %s", in.Key, out)
	},
}).ToModel()
