package course

import (
	"strings"
	"testing"
)

func TestDefaultCourseOrder(t *testing.T) {
	want := "1A 1B 1C 2A 2B 2C 2D 2E 3A 3B 3C 4A 4B 4C 4D 4E 4F 5A 5B 6A 6B 6C 6D 7A 7B 7C"
	if got := strings.Join(Default.Names(), " "); got != want {
		t.Errorf("course order = %s, want %s", got, want)
	}
	dirs := map[byte]string{'1': "kvsrv", '2': "chash", '3': "gossip", '4': "raft", '5': "paxos"}
	byPart := map[string]string{
		"2E": "chash/balance",
		"6A": "services/rsm", "6B": "services/kv", "6C": "services/lock", "6D": "services/election", // lab 6: one package per part
		"7A": "shardkv/ctrler", "7B": "shardkv/group", "7C": "shardkv/group", // lab 7: the controller, then the groups
	}
	for _, p := range Default.Parts {
		want, ok := byPart[p.Name]
		if !ok {
			want = dirs[p.Name[0]]
		}
		if p.Dir != want {
			t.Errorf("part %s lives in %s/, want %s/", p.Name, p.Dir, want)
		}
	}
}

func TestBefore(t *testing.T) {
	tests := []struct{ part, want string }{
		{"1A", ""},
		{"1C", "1A 1B"},
		{"2A", ""}, // 1A-1C are earlier, but in another package
		{"4D", "4A 4B 4C"},
		{"5B", "5A"},
		{"9Z", ""},
	}
	for _, tt := range tests {
		var names []string
		for _, p := range Default.Before(tt.part) {
			names = append(names, p.Name)
		}
		if got := strings.Join(names, " "); got != tt.want {
			t.Errorf("Before(%s) = %q, want %q", tt.part, got, tt.want)
		}
	}
}

func TestParseParts(t *testing.T) {
	parts, err := Default.ParseParts("4B, 1A,4B,2C")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range parts {
		names = append(names, p.Name)
	}
	if got := strings.Join(names, " "); got != "1A 2C 4B" {
		t.Errorf("ParseParts = %s, want 1A 2C 4B (course order, no duplicates)", got)
	}

	_, err = Default.ParseParts("1A,9A")
	if err == nil || !strings.Contains(err.Error(), `unknown part "9A"; the known parts are 1A 1B`) {
		t.Errorf("ParseParts(1A,9A) error = %v, want one naming 9A and listing the parts", err)
	}
	if _, err := Default.ParseParts(" , "); err == nil {
		t.Error("ParseParts of an empty list succeeded")
	}
}
