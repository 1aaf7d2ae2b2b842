package gotool

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// The verdict of a run comes from its events: a test that passes, one that
// fails, and one that does not run at all (a name the binary does not have;
// the binary exits 0 with "no tests to run", which is no pass).
func TestTestBinaryReadsTheVerdictFromEvents(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	b, err := BuildTest(ctx, root, "cmd/lab/testdata/flaky", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	tests, _, err := b.List(ctx, "Flaky|Solid", "-seed=1")
	if err != nil || strings.Join(tests, ",") != "TestFlaky,TestSolid" {
		t.Fatalf("List: %v, %v", tests, err)
	}
	for _, tt := range []struct {
		test, seed string
		passed     bool
		says       string
	}{
		{"TestSolid", "-seed=1", true, "digest="},
		{"TestFlaky", "-seed=3", false, "the invariant broke"},
		{"TestNoSuchTest", "-seed=1", false, "no tests to run"},
	} {
		r := b.Run(ctx, tt.test, tt.seed)
		if r.Passed != tt.passed || !strings.Contains(r.Output, tt.says) || r.Err != nil {
			t.Errorf("%s %s: passed %v, err %v, output:\n%s\nwant passed %v and %q", tt.test, tt.seed, r.Passed, r.Err, r.Output, tt.passed, tt.says)
		}
	}
}
