package main

import (
	"strings"
	"testing"

	"protolab/internal/stories"
)

// replogCounts runs 'lab run' with args and --json, requires it to pass,
// and returns the summary and its counts by name.
func replogCounts(t *testing.T, args ...string) (stories.Summary, map[string]int64) {
	t.Helper()
	code, out, stderr := lab(t, "", append(append([]string{"run"}, args...), "--json")...)
	var s stories.Summary
	decode(t, out, &s)
	if code != exitOK || !s.OK {
		t.Fatalf("lab run %s: exit status %d, stderr %s, summary %+v", strings.Join(args, " "), code, stderr, s)
	}
	counts := map[string]int64{}
	for _, c := range s.Counts {
		counts[c.Name] = c.Value
	}
	return s, counts
}

// Each engine, on a quiet network and under every fault it takes, commits
// every command the client submits, one log on every peer.
func TestRunRaftAndPaxos(t *testing.T) {
	for _, protocol := range []string{"raft", "paxos"} {
		for _, faults := range []string{"reliable", "unreliable+partitions+crashes"} {
			t.Run(protocol+"/"+faults, func(t *testing.T) {
				s, counts := replogCounts(t, protocol, "--faults", faults, "--for", "4s", "--seed", "3")
				if counts["submitted"] == 0 || counts["committed"] != counts["submitted"] || s.Operations != int(counts["committed"]) ||
					counts["log indexes"] < counts["committed"] || counts["elections won"] < 1 || counts["msgs/100 commits"] == 0 {
					t.Errorf("counts %v, %d timed operations", counts, s.Operations)
				}
				var names []string
				for _, c := range s.Checks {
					names = append(names, c.Name)
				}
				if got := strings.Join(names, ", "); got != "log and election safety, all committed" {
					t.Errorf("checks %s", got)
				}
				if s.P50MS <= 0 || s.P99MS < s.P50MS {
					t.Errorf("latency p50 %vms, p99 %vms", s.P50MS, s.P99MS)
				}
			})
		}
	}
}

// The same flags give the same run, crashes, partitions and all.
func TestRunReplogSameFlagsSameDigest(t *testing.T) {
	for _, protocol := range []string{"raft", "paxos"} {
		args := []string{protocol, "--faults", "unreliable+partitions+crashes", "--for", "3s", "--seed", "11", "--nodes", "3"}
		a, _ := replogCounts(t, args...)
		b, _ := replogCounts(t, args...)
		if a.Digest != b.Digest || a.Messages != b.Messages || a.Events != b.Events {
			t.Errorf("%s: the same flags gave digests %s and %s", protocol, a.Digest, b.Digest)
		}
		c, _ := replogCounts(t, append(args[:len(args)-4], "--seed", "12", "--nodes", "3")...)
		if c.Digest == a.Digest {
			t.Errorf("%s: seeds 11 and 12 gave the same digest %s", protocol, a.Digest)
		}
	}
}

func TestRunReplogUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run", "raft", "--faults", "nonsense"}, `lab run: --faults: no network profile "nonsense"; the profiles are reliable, unreliable, reorder, duplicating, lossy, slow-dead, wan`},
		{[]string{"run", "paxos", "--faults", "reliable+outages"}, "lab run: --faults: paxos does not survive outages; it takes partitions, crashes"},
	} {
		code, stdout, stderr := lab(t, "", tt.args...)
		if code != exitUsage || stderr != tt.want+"; run 'lab help run'\n" || stdout != "" {
			t.Errorf("lab %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}

// Lab 6B's store runs on the engine --engine names (multipaxos is paxos's
// own name for itself), under faults, and its history is linearizable; the
// two engines give two different runs.
func TestRunKVOnEitherEngine(t *testing.T) {
	digests := map[string]string{}
	for _, engine := range []string{"raft", "paxos", "multipaxos"} {
		t.Run(engine, func(t *testing.T) {
			s, _ := replogCounts(t, "kv", "--engine", engine, "--faults", "unreliable+partitions+crashes", "--for", "3s", "--seed", "2")
			if s.Operations == 0 || len(s.Checks) == 0 || s.Checks[0].Name != "linearizable" {
				t.Errorf("summary %+v", s)
			}
			digests[engine] = s.Digest
		})
	}
	if digests["raft"] == digests["paxos"] || digests["paxos"] != digests["multipaxos"] {
		t.Errorf("digests %v: raft and paxos should differ, paxos and multipaxos agree", digests)
	}
}
