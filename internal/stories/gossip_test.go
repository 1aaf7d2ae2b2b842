package stories

import (
	"bytes"
	"strings"
	"testing"
)

// The gossip demo tells its three acts (a value spreading, a suspicion
// refuted, a crash declared dead) and tells them the same way twice.
func TestGossipDemoTellsTheStoryTheSameWayTwice(t *testing.T) {
	var a, b bytes.Buffer
	if err := demoGossip(&a); err != nil {
		t.Fatalf("demo gossip: %v", err)
	}
	if err := demoGossip(&b); err != nil {
		t.Fatalf("demo gossip, second run: %v", err)
	}
	if a.String() != b.String() {
		t.Errorf("the gossip demo printed two different stories from one seed")
	}
	for _, want := range []string{
		"←c0 Broadcast", "←n1 Gossip", "act 1: spread", // a value spreads
		"deafen n1", "n1 alive→suspect inc 0", "refute: alive at inc 1", "n1 suspect→alive inc 1", "dead for nobody", // refuted
		"crash", "suspect: n3 timed out", "n3 suspect→dead inc 0", "dead for everyone", // declared dead
		"per member per period", "trace digest",
	} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("the gossip demo does not show %q:\n%s", want, a.String())
		}
	}
}
