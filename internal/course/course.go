// Package course holds what the lab tool knows about the course: the order of the
// lab parts and the package each belongs to, the solution markers that the reference
// solution carries, the learner's skeleton generated from them, and the mutants that
// check the tests catch the classic bugs.
//
// The command-line tool (cmd/lab) is a thin shell over this package. Every function
// here takes the module root and the course table as parameters, so tests can run the
// whole pipeline on a small fixture module with a course of its own.
package course

import (
	"fmt"
	"strings"
)

// A Part is one step of the course, such as 4B, and the lab package it belongs to.
type Part struct {
	Name string // "4B"
	Dir  string // package directory relative to the module root, "raft"
}

// A Course is the ordered list of parts. Part P is "before" part Q when it comes
// earlier in the list; the skeleton up to Q keeps the solutions of every part before Q.
type Course struct {
	Parts []Part
}

// Default is protolab's course. It is the single place that says which parts exist,
// in which order, and where each one lives; keep the handouts in docs/ in step with it.
var Default = Course{Parts: []Part{
	{"1A", "kvsrv"}, {"1B", "kvsrv"}, {"1C", "kvsrv"},
	{"2A", "chash"}, {"2B", "chash"}, {"2C", "chash"}, {"2D", "chash"}, {"2E", "chash/balance"},
	{"3A", "gossip"}, {"3B", "gossip"}, {"3C", "gossip"},
	{"4A", "raft"}, {"4B", "raft"}, {"4C", "raft"}, {"4D", "raft"}, {"4E", "raft"}, {"4F", "raft"},
	{"5A", "paxos"}, {"5B", "paxos"},
	{"6A", "services/rsm"}, {"6B", "services/kv"}, {"6C", "services/lock"}, {"6D", "services/election"},
	{"7A", "shardkv/ctrler"}, {"7B", "shardkv/group"}, {"7C", "shardkv/group"},
}}

// Index returns the position of the named part in course order.
func (c Course) Index(name string) (int, bool) {
	for i, p := range c.Parts {
		if p.Name == name {
			return i, true
		}
	}
	return -1, false
}

// Lookup returns the named part, or an error that lists the known parts.
func (c Course) Lookup(name string) (Part, error) {
	i, ok := c.Index(name)
	if !ok {
		return Part{}, c.unknownPart(name)
	}
	return c.Parts[i], nil
}

// Names returns the part names in course order.
func (c Course) Names() []string {
	names := make([]string, len(c.Parts))
	for i, p := range c.Parts {
		names[i] = p.Name
	}
	return names
}

// Before returns the parts that come before the named one and live in the same
// package directory, in course order: the parts whose tests must still pass in the
// skeleton up to it.
func (c Course) Before(name string) []Part {
	i, ok := c.Index(name)
	if !ok {
		return nil
	}
	var earlier []Part
	for _, p := range c.Parts[:i] {
		if p.Dir == c.Parts[i].Dir {
			earlier = append(earlier, p)
		}
	}
	return earlier
}

// lastOf returns the name of the last part that lives in dir, in course
// order, among the parts in among ("" if none does).
func (c Course) lastOf(dir string, among map[string]bool) string {
	last := ""
	for _, p := range c.Parts {
		if p.Dir == dir && among[p.Name] {
			last = p.Name
		}
	}
	return last
}

// ParseParts turns a comma-separated list such as "1A,2B" into parts, sorted in
// course order without duplicates.
func (c Course) ParseParts(list string) ([]Part, error) {
	want := map[string]bool{}
	for _, name := range strings.Split(list, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if _, ok := c.Index(name); !ok {
			return nil, c.unknownPart(name)
		}
		want[name] = true
	}
	if len(want) == 0 {
		return nil, fmt.Errorf("no parts in %q; name them like 1A,2B", list)
	}
	var parts []Part
	for _, p := range c.Parts {
		if want[p.Name] {
			parts = append(parts, p)
		}
	}
	return parts, nil
}

func (c Course) unknownPart(name string) error {
	return fmt.Errorf("unknown part %q; the known parts are %s", name, strings.Join(c.Names(), " "))
}
