package main

import (
	"strings"
	"testing"
)

func TestExploreUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"explore"}, "lab explore: give one lab, like 'lab explore raft -run TestSearchLogMatching4B'; run 'lab help explore'"},
		{[]string{"explore", "raft"}, "lab explore: -run names the search test, like -run TestSearchLogMatching4B (the lab's search tests are its TestSearch... tests); run 'lab help explore'"},
		{[]string{"explore", "raft", "-run", "TestSearch.*"}, "lab explore: -run \"TestSearch.*\": give one test's name, like TestSearchLogMatching4B, not a pattern; run 'lab help explore'"},
		{[]string{"explore", "raft", "-run", "TestSearchLogMatching4B", "--strategy", "dpor"}, "lab explore: --strategy: explore: no strategy \"dpor\"; choose one of random, pct, bfs, dfs; run 'lab help explore'"},
		{[]string{"explore", "raft", "-run", "TestSearchLogMatching4B", "--budget", "0s"}, "lab explore: --budget must be positive, like 60s; run 'lab help explore'"},
		{[]string{"explore", "nosuchpkg", "-run", "TestSearchX"}, "lab explore: no package directory nosuchpkg; run 'lab help explore'"},
	} {
		code, stdout, stderr := lab(t, "", tt.args...)
		if code != exitUsage || stderr != tt.want+"\n" || stdout != "" {
			t.Errorf("lab %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}
