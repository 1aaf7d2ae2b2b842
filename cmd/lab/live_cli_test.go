package main

import (
	"strings"
	"testing"
)

// The live commands refuse a wrong command line with the cause and the fix,
// before anything starts.
func TestLiveCommandsUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve"}, "lab serve: give one lab: kv or lock or swim"},
		{[]string{"serve", "kv"}, "give the peers: --peers host:port,host:port,... or --cluster FILE"},
		{[]string{"serve", "kv", "--peers", "a:1,b:2", "--me", "2"}, "--me 2: give this node's index in the peers (0..1)"},
		{[]string{"serve", "kv", "--peers", "a:1", "--me", "0", "--engine", "zab"}, "--engine zab: say raft or paxos"},
		{[]string{"serve", "chash", "--peers", "a:1", "--me", "0"}, `no live service for lab "chash"`},
		{[]string{"cluster", "raft"}, `no live service for lab "raft"; give one of: kv, lock, swim`},
		{[]string{"cluster", "kv", "-n", "12"}, "-n 12: a local cluster has 1 to 9 nodes"},
		{[]string{"chaos", "heal"}, "give --cluster FILE and a command"},
		{[]string{"kv", "get", "k"}, "give --cluster FILE"},
		{[]string{"kv", "--cluster", "/nonexistent/cluster.json", "get", "k"}, "lab cluster prints where it wrote one"},
		{[]string{"kv", "bench", "--sim", "--delay", "2s"}, "--delay 0..1s"},
		{[]string{"lock", "--cluster", "x", "grab", "L"}, "say 'lab lock --cluster FILE hold NAME'"},
	} {
		code, _, stderr := lab(t, "", c.args...)
		if code != exitUsage || !strings.Contains(stderr, c.want) {
			t.Errorf("lab %s: exit %d, stderr %q; want exit %d saying %q", strings.Join(c.args, " "), code, stderr, exitUsage, c.want)
		}
	}
}

// The simulated bench runs the live bench's workload in virtual time:
// every Raft write is four one-way trips.
func TestKVBenchSim(t *testing.T) {
	code, stdout, stderr := lab(t, "", "kv", "bench", "--sim", "--for", "1s", "--delay", "1ms")
	if code != exitOK || !strings.Contains(stdout, "latency p50 4ms") {
		t.Fatalf("lab kv bench --sim: exit %d\n%s%s\nwant p50 of 4ms (four trips of 1ms)", code, stdout, stderr)
	}
}
