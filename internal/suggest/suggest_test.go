package suggest

import "testing"

func TestDistance(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"RequestVot", "RequestVote", 1}, {"Ecoh", "Echo", 2}, {"same", "same", 0},
	} {
		if got := Distance(tc.a, tc.b); got != tc.want {
			t.Errorf("Distance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestClosest(t *testing.T) {
	names := []string{"AppendEntries", "InstallSnapshot", "RequestVote"}
	for _, tc := range []struct{ name, want string }{
		{"RequestVot", "RequestVote"},
		{"requestvote", "RequestVote"},     // case is ignored
		{"Install", "InstallSnapshot"},     // a prefix
		{"AppendEntires", "AppendEntries"}, // two letters swapped: two edits
		{"Heartbeat", ""},                  // nothing close
		{"R", ""},                          // one letter is no prefix to go on
	} {
		if got := Closest(tc.name, names); got != tc.want {
			t.Errorf("Closest(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}
