package stories

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
	for _, want := range []string{
		"act 1, election", "elect: leader t1",
		"act 2, leader cut off", "disconnect n",
		"act 3, re-election", "elect: leader t2",
		"act 4, heal", "connect n", "leader steps down",
		"act 5, crash and restart", "crash", "start incarnation 2", "restore: snapshot through",
		"act 6, a snapshot installed", "InstallSnapshot", "snap: installed",
		"trace digest",
	} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("the raft demo does not show %q:\n%s", want, a.String())
		}
	}
}
