package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestRaftDemoTellsTheStoryTheSameWayTwice(t *testing.T) {
	var a, b bytes.Buffer
	if err := demoRaft(&a); err != nil {
		t.Fatalf("demo raft: %v", err)
	}
	if err := demoRaft(&b); err != nil {
		t.Fatalf("demo raft, second run: %v", err)
	}
	if a.String() != b.String() {
		t.Errorf("the raft demo printed two different stories from one seed")
	}
	for _, want := range []string{"elect: leader t1", "crash", "start incarnation 2", "re-election", "trace digest"} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("the raft demo does not show %q:\n%s", want, a.String())
		}
	}
}
