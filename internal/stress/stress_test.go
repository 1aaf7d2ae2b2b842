package stress

import (
	"fmt"
	"testing"
)

func TestShardCoversEverySeedOnce(t *testing.T) {
	for _, tt := range []struct {
		from  int64
		seeds int
		n     int
	}{{1, 4000, 8}, {1, 10, 3}, {1000, 7, 7}, {5, 9, 2}, {1, 1, 1}} {
		next := tt.from
		for i := 1; i <= tt.n; i++ {
			spec := fmt.Sprintf("%d/%d", i, tt.n)
			from, seeds, err := Shard(spec, tt.from, tt.seeds)
			if err != nil {
				t.Fatalf("shard %s of %d seeds: %v", spec, tt.seeds, err)
			}
			if from != next || seeds < tt.seeds/tt.n || seeds > tt.seeds/tt.n+1 {
				t.Errorf("shard %s of seeds %d..%d: seeds %d..%d", spec, tt.from, tt.from+int64(tt.seeds)-1, from, from+int64(seeds)-1)
			}
			next = from + int64(seeds)
		}
		if next != tt.from+int64(tt.seeds) {
			t.Errorf("the %d shards of seeds %d..%d end at %d", tt.n, tt.from, tt.from+int64(tt.seeds)-1, next-1)
		}
	}
	if from, seeds, _ := Shard("3/8", 1, 4000); from != 1001 || seeds != 500 {
		t.Errorf("shard 3/8 of 1..4000 = %d+%d, want 1001..1500 as the help says", from, seeds)
	}
}
