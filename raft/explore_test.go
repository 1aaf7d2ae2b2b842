package raft

import (
	"fmt"
	"time"

	"testing"

	"protolab/explore"
	"protolab/tests"
)

// Schedule searches (docs/explore.md): the cluster's invariants (election
// safety, log matching, leader completeness, state-machine safety) are
// checked after every event, and the search varies the network's choices
// to break one. Each is bounded to stay a second or two in make test; lab
// explore raft -run TestSearch... --budget 60s searches longer.

// submitEvery hands a command to every peer that believes it leads, every
// period, n times: leaders come and go under the search's faults, and
// every one of them gets commands to replicate.
func submitEvery(c *cluster, period time.Duration, n int) {
	for k := 0; k < n; k++ {
		c.w.Sleep(period)
		for i := 0; i < c.n; i++ {
			if rf := c.raft(i); rf != nil {
				rf.Start(fmt.Sprintf("c%d", k))
			}
		}
	}
}

func TestSearchElectionSafety4A(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 60, Budget: 3 * time.Second}, func(t *tests.T) {
		newCluster(t, 3, clusterConfig{})
		t.World().Sleep(1500 * time.Millisecond)
	})
}

func TestSearchLogMatching4B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.PCT, Runs: 40, Budget: 3 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		submitEvery(c, 100*time.Millisecond, 15)
	})
}

// The same search, bounded and exhaustive over the first choices: a lost or
// late message, fewest first.
func TestSearchLogMatchingBounded4B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.BFS, Runs: 60, MaxFaults: 1, Budget: 3 * time.Second}, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		submitEvery(c, 100*time.Millisecond, 10)
	})
}
