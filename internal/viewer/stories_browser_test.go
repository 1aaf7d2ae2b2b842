package viewer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/require"

	"protolab/internal/course"
	"protolab/labrpc"
	"protolab/tests"
)

// The viewer on the stories it tells, in headless chromium, each kept as a
// screenshot (make browser keeps them in .artifacts/): the raft demo, a
// partitioned lab run, and a linearizability failure. Each test reads the
// figures the page leaves on its body, so that what the screenshot shows is
// also checked: state bars from time 0 and after a restart, the world's acts
// labelled, the partition's sides, the operations porcupine blames, and a
// time window opened from the page's address.

// labPage runs the lab tool from the module root to write a page.
func labPage(t *testing.T, page string, args ...string) {
	t.Helper()
	root := filepath.Join("..", "..")
	if info, ok, _ := course.ReadLearnerInfo(root); ok && info.Next != course.SolutionNext {
		t.Skipf("a learner's copy with %s next: lab %s needs the parts still to do", info.Next, strings.Join(args, " "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"run", "./cmd/lab"}, append(args, "--html", page)...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "lab %s:\n%s", strings.Join(args, " "), tail(out))
}

// screenshot opens the page (with query, like "?from=1s&to=2s") in
// chromium, keeps a screenshot as an artifact, and returns the page's
// figures.
func screenshot(t *testing.T, bin, page, query, png string) map[string]float64 {
	t.Helper()
	dom, _ := headless(t, bin, "file://"+page+query, "--window-size=1400,600", "--dump-dom")
	stats := pageStats(t, dom)
	path := filepath.Join(t.ArtifactDir(), png)
	headless(t, bin, "file://"+page+query, "--window-size=1400,600", "--hide-scrollbars", "--screenshot="+path)
	info, err := os.Stat(path)
	require.NoError(t, err, "chromium wrote no screenshot")
	require.Greater(t, info.Size(), int64(20_000), "the screenshot is nearly empty")
	t.Logf("screenshot: %s (page: %s%s)", path, page, query)
	return stats
}

func TestBrowserRaftDemo(t *testing.T) {
	bin := chromium(t)
	page := filepath.Join(t.ArtifactDir(), "raft-demo.html")
	labPage(t, page, "demo", "raft")
	stats := screenshot(t, bin, page, "", "raft-demo.png")
	require.Equal(t, 5.0, stats["states-from-zero"], "every peer's lane has a state bar from time 0")
	require.GreaterOrEqual(t, stats["states-after-restart"], 1.0, "the restarted peer's lane has a state bar from its restart")
	require.GreaterOrEqual(t, stats["world-labels"], 6.0, "the demo's six acts are labelled on the world's lane")

	// A window from the address: the page opens on it.
	stats = screenshot(t, bin, page, "?from=1.5s&to=2.1s", "raft-demo-restart.png")
	require.InDelta(t, 1.5e9, stats["view-t0"], 1e6, "the window starts where the address says")
	require.InDelta(t, 2.1e9, stats["view-t1"], 0.05e9, "and ends there")
}

func TestBrowserPartitionedRun(t *testing.T) {
	bin := chromium(t)
	page := filepath.Join(t.ArtifactDir(), "run-partitions.html")
	labPage(t, page, "run", "raft", "--faults", "reliable+partitions", "--for", "3s")
	stats := screenshot(t, bin, page, "", "run-partitions.png")
	require.GreaterOrEqual(t, stats["partitions"], 1.0)
	require.Greater(t, stats["partition-badges"], 0.0, "each side's lanes carry its letter")
	stats = screenshot(t, bin, page, "#from=1.9s&to=2.5s", "run-partitions-zoom.png")
	require.Greater(t, stats["partition-badges"], 0.0)
	require.InDelta(t, 1.9e9, stats["view-t0"], 1e6, "a window in the fragment works too")
}

func TestBrowserLinearizabilityFailure(t *testing.T) {
	require.Equal(t, tests.BlamePrefix, blamePrefix, "the viewer reads the notes the harness writes")
	bin := chromium(t)
	lines := staleReads(t)
	page := filepath.Join(t.ArtifactDir(), "linearizability.html")
	f, err := os.Create(page)
	require.NoError(t, err)
	require.NoError(t, Write(f, Input{Title: "a store that lags one write behind: not linearizable", Nodes: 1, Lines: lines, Focus: -1}))
	require.NoError(t, f.Close())
	stats := screenshot(t, bin, page, "", "linearizability.png")
	require.GreaterOrEqual(t, stats["blamed"], 1.0, "porcupine blames an operation")
	require.Equal(t, stats["blamed"], stats["drawn-blames"], "each blamed operation is drawn")
}

// A key/value store that answers a Get with the value before the last Put,
// as a replica one write behind would: clients that write and read at once
// soon see a history no order explains.

type StoreArgs struct {
	Put   bool
	Value int
}
type StoreReply struct{ Value int }

type laggingStore struct{ value, previous int }

func (s *laggingStore) Op(args *StoreArgs, reply *StoreReply) {
	if args.Put {
		s.previous, s.value = s.value, args.Value
		return
	}
	reply.Value = s.previous // the bug
}

var registerModel = porcupine.Model{
	Init: func() any { return 0 },
	Step: func(state, input, output any) (bool, any) {
		in := input.(StoreArgs)
		if in.Put {
			return true, in.Value
		}
		return output == nil || output.(int) == state.(int), state
	},
	DescribeOperation: func(input, output any) string {
		in := input.(StoreArgs)
		if in.Put {
			return fmt.Sprintf("put(%d)", in.Value)
		}
		return fmt.Sprintf("get() → %v", output)
	},
}

// staleReads runs three clients on the lagging store and checks their
// history, as CheckLinearizable does; it returns the run's trace.
func staleReads(t *testing.T) []labrpc.Line {
	w := labrpc.NewWorld(labrpc.Config{Seed: 3, Nodes: 1, Profile: labrpc.MustProfile("reliable"), KeepTrace: 1})
	defer w.Close()
	var lines []labrpc.Line
	w.OnTrace(func(l labrpc.Line) { lines = append(lines, l) })
	w.Start(0, func(labrpc.Env) any { return &laggingStore{} })
	h := tests.NewHistory(w)
	for i := 0; i < 3; i++ {
		c := w.NewClient()
		w.Go(fmt.Sprint("client", i), func() {
			for j := 0; j < 4; j++ {
				in := StoreArgs{Put: c.Rand().IntN(2) == 0, Value: 10*(i+1) + j}
				op := h.Begin(i, in)
				var reply StoreReply
				if c.Call(0, "laggingStore.Op", &in, &reply) {
					op.End(reply.Value)
				}
				w.Sleep(time.Duration(5+c.Rand().IntN(20)) * time.Millisecond)
			}
		})
	}
	require.True(t, w.RunUntilDone(10*time.Second))
	err := h.Check(registerModel, 10*time.Second)
	require.Error(t, err, "the lagging store's history must not be linearizable")
	w.Note("FAIL: %s", strings.SplitN(err.Error(), "\n", 2)[0])
	return lines
}
