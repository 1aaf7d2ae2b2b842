package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"protolab/internal/stress"
)

func TestShardUsageErrors(t *testing.T) {
	for _, tt := range []struct{ args, want string }{
		{"--shard 0/4", "--shard 0/4: I must be from 1 to N"},
		{"--shard 5/4", "--shard 5/4: I must be from 1 to N"},
		{"--shard 2", `--shard "2": give I/N, like 2/8 (shard 2 of 8)`},
		{"--shard 1/4x", `--shard "1/4x": give I/N`},
		{"--seeds 3 --shard 1/4", "--shard 1/4: 3 seeds do not make 4 shards; give --seeds 4 or more"},
	} {
		code, _, stderr := lab(t, "", append([]string{"stress", "kvsrv"}, strings.Fields(tt.args)...)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("lab stress kvsrv %s: exit status %d, stderr %q; want %q", tt.args, code, stderr, tt.want)
		}
	}
}

// TestInstructorsMatrixCoversTheSeeds reads the GitHub Actions matrix in
// docs/instructors.md and checks that its stress command parses and that its shards,
// with the workflow's default inputs, run every seed once.
func TestInstructorsMatrixCoversTheSeeds(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "docs", "instructors.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	start := strings.Index(doc, "```yaml\n")
	end := strings.Index(doc[start+1:], "```\n")
	if start < 0 || end < 0 {
		t.Fatal("docs/instructors.md has no yaml block")
	}
	yaml := doc[start : start+1+end]
	matrix := regexp.MustCompile(`shard: \[([0-9, ]+)\]`).FindStringSubmatch(yaml)
	seeds := regexp.MustCompile(`seeds: \{description: "[^"]*", default: "(\d+)"\}`).FindStringSubmatch(yaml)
	run := regexp.MustCompile(`(?s)run: >-\n\s+go run \./cmd/lab (stress .*?) > stress\.json`).FindStringSubmatch(yaml)
	if matrix == nil || seeds == nil || run == nil {
		t.Fatalf("the matrix, the seeds input or the stress command is not where this test looks:\n%s", yaml)
	}
	shards := strings.Split(matrix[1], ", ")
	covered := map[int64]int{}
	for _, shard := range shards {
		line := strings.NewReplacer("${{ inputs.package }}", "raft", "${{ inputs.seeds }}", seeds[1],
			"${{ matrix.shard }}", shard).Replace(run[1])
		fs, f := newStressFlags()
		args := strings.Fields(line)[2:] // after "stress raft"
		if err := fs.Parse(args); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		from, n, err := stress.Shard(f.shard, f.from, f.seeds)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if !strings.HasSuffix(f.shard, fmt.Sprintf("/%d", len(shards))) {
			t.Errorf("%s: the shard count is not the matrix's %d", line, len(shards))
		}
		for s := from; s < from+int64(n); s++ {
			covered[s]++
		}
	}
	total := 0
	fmt.Sscan(seeds[1], &total)
	for s := int64(1); s <= int64(total); s++ {
		if covered[s] != 1 {
			t.Fatalf("seed %d runs %d times over the matrix", s, covered[s])
		}
	}
	if len(covered) != total {
		t.Errorf("the matrix runs %d seeds, want %d", len(covered), total)
	}
}
