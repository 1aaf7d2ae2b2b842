package course

import "testing"

func TestDemoHint(t *testing.T) {
	got := DemoHint("kvsrv")
	want := "The kvsrv demo runs your code of parts 1A to 1C: until they pass it cannot work, and that is expected. It works once 'make test PART=1C' and the parts before it pass."
	if got != want {
		t.Errorf("DemoHint(kvsrv) = %q, want %q", got, want)
	}
	if DemoHint("nosuchlab") != "" {
		t.Error("a demo that is no lab's gets a hint")
	}
}

func TestDemoDone(t *testing.T) {
	for _, tt := range []struct {
		demo, next string
		done       bool
	}{
		{"kvsrv", "1A", false}, {"kvsrv", "1C", false}, {"kvsrv", "2A", true},
		{"raft", "4E", false}, {"raft", "5A", true}, {"raft", SolutionNext, true},
		{"nosuchlab", "1A", true},
	} {
		if got := DemoDone(tt.demo, tt.next); got != tt.done {
			t.Errorf("DemoDone(%s, %s) = %v, want %v", tt.demo, tt.next, got, tt.done)
		}
	}
}
