package tests

import (
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

// The failure report's own self-tests: which frames it leaves out of a
// failure's trace, and how much of the timeline it shows.

func TestOwnFramesAreTheHarnessTheWorldAndTheRuntime(t *testing.T) {
	harness, world, rt := ownDirs[0], ownDirs[1], filepath.Join(runtime.GOROOT(), "src", "runtime")+"/"
	for frame, want := range map[string]bool{
		harness + "failure.go:139":        true,  // the harness
		world + "world.go:12":             true,  // the world
		rt + "panic.go:100":               true,  // Go's runtime
		harness + "harness_test.go:20":    false, // a test file of the harness's package is a test's own line
		harness + "replog/scenarios.go:9": false, // a package below the harness: the scenarios are the test
		harness + "failure.go":            false, // no line: not a frame
		"/elsewhere/raft/raft.go:12":      false, // a lab's code
		"raft.go:12":                      false, // a frame outside every directory
	} {
		require.Equal(t, want, own(frame), "own(%q)", frame)
	}
}

func TestReportShowsTheLastTailLines(t *testing.T) {
	tail, filter := *tailFlag, *filterFlag
	defer func() { *tailFlag, *filterFlag = tail, filter }()
	*tailFlag = 3
	st := &T{T: t, Seed: 1}
	w := st.NewWorld(labrpc.Config{Nodes: 1})
	defer w.Close()
	for i := 0; i < 10; i++ {
		w.Note("note %d", i)
	}
	for _, f := range []string{"", "vote,-Ping"} { // no filter; a filter that is an error
		*filterFlag = f
		report := st.report()
		require.Contains(t, report, "the last 3 trace lines", "-tailfilter=%q", f)
		require.Equal(t, 3, strings.Count(report, "note "), "-tail=3, -tailfilter=%q: the report shows the last 3 lines:\n%s", f, report)
		require.Contains(t, report, "note 9", "-tailfilter=%q", f)
		require.NotContains(t, report, "note 6", "-tailfilter=%q", f)
	}
}
