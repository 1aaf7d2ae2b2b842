package main

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"protolab/internal/stories"
	"protolab/labrpc"
)

// Idle is a node that serves nothing much.
type Idle struct{}

type IdleArgs struct{ N int }
type IdleReply struct{ N int }

func (*Idle) Ping(args *IdleArgs, reply *IdleReply) { reply.N = args.N }

func TestRunUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"run"}, "lab run: give one protocol, like 'lab run kvsrv'; the protocols are gossip, kv, kvsrv, lb, paxos, raft"},
		{[]string{"run", "kvsvr"}, `lab run: no runner for "kvsvr" (did you mean "kvsrv"?); the protocols are gossip, kv, kvsrv, lb, paxos, raft`},
		{[]string{"run", "kvsrv", "--nodes", "3"}, "lab run: --nodes 3: kvsrv runs with 1 node(s); give --nodes 1, or leave it out"},
		{[]string{"run", "kvsrv", "--for", "0s"}, "lab run: --for 0s: the workload runs for more than 0 and at most 1h0m0s of virtual time; give a --for in that range"},
		{[]string{"run", "kvsrv", "--faults", "unreliabel"}, `lab run: --faults: no network profile "unreliabel" (did you mean "unreliable"?); the profiles are reliable, unreliable, reorder, duplicating, lossy, slow-dead, wan`},
		{[]string{"run", "kvsrv", "--faults", "lossy+crash"}, `lab run: --faults: no fault "crash" (did you mean "crashes"?); the faults are partitions, crashes, outages`},
		{[]string{"run", "kvsrv", "--faults", "lossy+crashes"}, "lab run: --faults: kvsrv does not survive crashes; it takes outages"},
		{[]string{"run", "kv", "--engine", "zab"}, "lab run: --engine zab: kv runs on raft or paxos; give one of them, or leave --engine out for raft"},
		{[]string{"run", "kvsrv", "--engine", "raft"}, "lab run: --engine raft: kvsrv runs on no consensus engine; leave --engine out"},
	} {
		code, stdout, stderr := lab(t, "", tt.args...)
		if code != exitUsage || stderr != tt.want+"; run 'lab help run'\n" || stdout != "" {
			t.Errorf("lab %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}

func TestRunKvsrv(t *testing.T) {
	args := []string{"run", "kvsrv", "--faults", "unreliable+outages", "--for", "5s", "--seed", "7"}
	code, text, stderr := lab(t, "", args...)
	if code != exitOK {
		t.Fatalf("exit status %d, stderr:\n%s\n%s", code, stderr, text)
	}
	for _, want := range []string{"lab run kvsrv: 1 node, seed 7, faults unreliable+outages, 5s of virtual time, 100 ops/s offered",
		"messages", "operations", "ErrMaybe", "latency p50/p99", "trace digest", "linearizable       ok"} {
		if !strings.Contains(text, want) {
			t.Errorf("the summary does not say %q:\n%s", want, text)
		}
	}
	code, out, _ := lab(t, "", append(args, "--json")...)
	var s stories.Summary
	if err := json.Unmarshal([]byte(out), &s); err != nil || code != exitOK {
		t.Fatalf("exit status %d; --json: %v\n%s", code, err, out)
	}
	if !s.OK || s.Messages == 0 || s.Operations == 0 || s.P99MS < s.P50MS || s.P50MS <= 0 || len(s.Checks) != 1 || !strings.Contains(text, s.Digest) {
		t.Errorf("--json summary: %+v", s)
	}
	if s.Counts[0].Name != "operations" || s.Counts[0].Value != int64(s.Operations) {
		t.Errorf("counts: %+v", s.Counts)
	}
	// The same flags, the same run.
	_, again, _ := lab(t, "", append(args, "--json")...)
	var s2 stories.Summary
	json.Unmarshal([]byte(again), &s2)
	if s2.Digest != s.Digest || s2.Messages != s.Messages {
		t.Errorf("the same flags gave digests %s and %s", s.Digest, s2.Digest)
	}
	_, other, _ := lab(t, "", "run", "kvsrv", "--faults", "unreliable+outages", "--for", "5s", "--seed", "8", "--json")
	var s3 stories.Summary
	json.Unmarshal([]byte(other), &s3)
	if s3.Digest == s.Digest {
		t.Errorf("seeds 7 and 8 gave the same digest %s", s.Digest)
	}
}

// fakeRunners empties the runner table for one test, so that the labs'
// runners do not matter; addRunner puts one in.
func fakeRunners(t *testing.T) {
	t.Helper()
	saved := runners
	runners = nil
	t.Cleanup(func() { runners = saved })
}

func addRunner(r stories.Runner) { runners = append(runners, r) }

func TestRunReportsABrokenInvariant(t *testing.T) {
	fakeRunners(t)
	addRunner(stories.Runner{Name: "broken", Summary: "breaks", Nodes: 3, Load: 10, Faults: []string{"partitions", "crashes"},
		Run: func(r *stories.Run) error {
			for i := 0; i < r.Nodes; i++ {
				r.W.Start(i, func(labrpc.Env) any { return &Idle{} })
			}
			r.StartFaults()
			r.W.Sleep(r.For)
			r.Count("commits", 3)
			r.Latency(time.Millisecond)
			r.Check("election safety", errors.New("two leaders in term 4: peers 1 and 3"))
			return nil
		}})
	code, out, _ := lab(t, "", "run", "broken", "--faults", "reliable+partitions+crashes", "--for", "2s")
	if code != exitFail || !strings.Contains(out, "election safety    FAIL: two leaders in term 4: peers 1 and 3") || !strings.Contains(out, "commits            3") {
		t.Errorf("exit status %d, output:\n%s", code, out)
	}
	if !strings.Contains(out, "3 nodes") {
		t.Errorf("the summary does not give the default node count:\n%s", out)
	}
}

func TestRunGossip(t *testing.T) {
	code, out, stderr := lab(t, "", "run", "gossip", "--faults", "lossy+partitions", "--for", "3s", "--json")
	var s stories.Summary
	decode(t, out, &s)
	if code != exitOK || !s.OK || s.Nodes != 5 {
		t.Fatalf("exit status %d, stderr %s, summary %+v", code, stderr, s)
	}
	counts := map[string]int64{}
	for _, c := range s.Counts {
		counts[c.Name] = c.Value
	}
	if counts["broadcasts"] == 0 || counts["deliveries"] != 5*counts["broadcasts"] || s.Operations != int(counts["broadcasts"]) {
		t.Errorf("counts %v, %d timed operations", counts, s.Operations)
	}
}
