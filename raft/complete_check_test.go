package raft

import (
	"strings"
	"testing"

	"protolab/tests"
)

// The cluster's leader-completeness check (§5.4) is tested like a protocol:
// fed a peer whose log misses committed entries, it must fail; fed an older
// term's leader that missed entries a newer term committed, it must not,
// since §5.4 promises committed entries only to the leaders of later terms.
func TestLeaderCompletenessCheck4B(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		c := newCluster(t, 3, clusterConfig{})
		c.Disconnect(2) // n2 misses every entry below
		for cmd := 101; cmd <= 103; cmd++ {
			c.One(cmd, 2, true)
		}
		term, _ := c.raft(c.Leader()).GetState()
		lagger := c.raft(2)
		if lagger.log.lastIndex() != 0 {
			t.Fatalf("n2 holds %d entries; the check needs a peer that missed them", lagger.log.lastIndex())
		}
		err := c.checkLeaderComplete(2, lagger, term+1)
		if err == nil || !strings.Contains(err.Error(), "entries up to 3 were committed in earlier terms") {
			t.Fatalf("a leader of term %d without the entries committed in term %d: got %v, want a leader-completeness failure", term+1, term, err)
		}
		if err := c.checkLeaderComplete(2, lagger, term); err != nil {
			t.Fatalf("a leader of term %d, the term that committed the entries, was blamed: %v", term, err)
		}
	})
}
