package stories

import (
	"bytes"
	"strings"
	"testing"
)

func TestShardkvDemoTellsTheStoryTheSameWayTwice(t *testing.T) {
	var a, b bytes.Buffer
	if err := demoShardkv(&a); err != nil {
		t.Fatalf("demo shardkv: %v", err)
	}
	if err := demoShardkv(&b); err != nil {
		t.Fatalf("demo shardkv, second run: %v", err)
	}
	if a.String() != b.String() {
		t.Errorf("the shardkv demo printed two different stories from one seed")
	}
	for _, want := range []string{
		"act 1", "g3 joins", "g3 in config 2", "of g1",
		"crashes", "start incarnation 2", "g1 leaves", "copy deleted",
		"writes answered OK   72 of 72", "keys at version 12   6 of 6",
		"trace digest",
	} {
		if !strings.Contains(a.String(), want) {
			t.Errorf("the shardkv demo does not show %q:\n%s", want, a.String())
		}
	}
}
