package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"protolab/kvsrv"
	"protolab/labrpc"
	"protolab/replog"
	"protolab/services/kv"
	"protolab/tests/history"
)

// The live test: lab 6's key/value store on three real processes, with
// clients, a partition of the leader and a SIGKILL-and-restart, held to the
// same checks as in the simulator: porcupine on the clients' history, timed
// by the real clock, and the replicated-log invariants on what each process
// applied (read back from its trace). It needs seconds of real time and a
// build of the lab binary, so it runs only with -live (make live):
//
//	go test ./cmd/lab -run Live -live -v

var (
	liveFlag  = flag.Bool("live", false, "run the live tests: real processes on localhost (make live)")
	liveReads = flag.String("live.reads", "log", "the live kv's read `PATH`: log, readindex, or stale (the bug porcupine must catch)")
)

func TestLiveKVRaft(t *testing.T) { runLiveKV(t, "raft") }

func TestLiveKVMultiPaxos(t *testing.T) { runLiveKV(t, "paxos") }

// liveBinary is the lab binary the live tests run, built once.
var liveBinary struct {
	once sync.Once
	path string
	err  error
	took time.Duration
}

func buildLiveBinary(t *testing.T) string {
	t.Helper()
	liveBinary.once.Do(func() {
		began := time.Now()
		dir, err := os.MkdirTemp("", "lab-live-bin-")
		if err != nil {
			liveBinary.err = err
			return
		}
		liveBinary.path = filepath.Join(dir, "lab")
		if out, err := exec.Command("go", "build", "-o", liveBinary.path, ".").CombinedOutput(); err != nil {
			liveBinary.err = fmt.Errorf("go build of the lab binary: %v\n%s", err, out)
		}
		liveBinary.took = time.Since(began)
	})
	if liveBinary.err != nil {
		t.Fatal(liveBinary.err)
	}
	t.Logf("the lab binary: %s (built in %v)", liveBinary.path, liveBinary.took.Round(time.Millisecond))
	return liveBinary.path
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if liveBinary.path != "" {
		os.RemoveAll(filepath.Dir(liveBinary.path))
	}
	os.Exit(code)
}

func runLiveKV(t *testing.T, engine string) {
	if !*liveFlag || testing.Short() {
		t.Skip("a live test: real processes and seconds of real time; run it with -live (make live)")
	}
	if runtime.GOOS == "windows" {
		t.Skip("the live test kills process groups: unix only")
	}
	bin := buildLiveBinary(t)
	began := time.Now()
	tmp := t.TempDir()
	var out strings.Builder
	var outMu sync.Mutex
	dir := filepath.Join(tmp, "cluster")
	os.MkdirAll(dir, 0o755)
	lc, err := startCluster(clusterOptions{Lab: "kv", Engine: engine, Reads: *liveReads, Nodes: 3, Dir: dir, Bin: bin, Seed: 1,
		Out: writerFunc(func(p []byte) { outMu.Lock(); out.Write(p); outMu.Unlock() })})
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	t.Cleanup(func() {
		pids = append(pids, lc.pids()...)
		lc.close()
		for _, pid := range pids {
			if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
				t.Errorf("process %d is still there after the cluster closed (kill: %v)", pid, err)
			}
		}
	})
	pids = append(pids, lc.pids()...)
	epoch := lc.epoch

	// Clients: each reads a key and writes it at the version it read, for
	// a bounded time, and records every operation with real call and
	// return times.
	const clients, keys = 3, 3
	var histMu sync.Mutex
	var ops []porcupine.Operation
	record := func(op porcupine.Operation) {
		histMu.Lock()
		ops = append(ops, op)
		histMu.Unlock()
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ck := newLiveClerk(3+c, lc.addrs(), int64(1000+c))
			defer ck.close()
			ck.spread = rand.New(rand.NewPCG(uint64(c), 8))
			rng := rand.New(rand.NewPCG(uint64(c), 7))
			seen := map[string]kv.Tversion{}
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprint("k", rng.IntN(keys))
				deadline := time.Now().Add(4 * time.Second)
				op := porcupine.Operation{ClientId: c, Call: int64(time.Since(epoch)), Return: math.MaxInt64}
				if rng.IntN(2) == 0 {
					op.Input = kvsrv.ModelInput{Key: key}
					v, ver, e, err := ck.get(key, deadline)
					if err == nil {
						op.Output, op.Return = kvsrv.ModelOutput{Value: v, Version: ver, Err: e}, int64(time.Since(epoch))
						if e == kv.OK {
							seen[key] = ver
						}
					}
				} else {
					in := kvsrv.ModelInput{Put: true, Key: key, Value: fmt.Sprintf("c%d-%d", c, n), Version: seen[key]}
					op.Input = in
					e, err := ck.put(in.Key, in.Value, in.Version, deadline)
					if err == nil {
						op.Output, op.Return = kvsrv.ModelOutput{Err: e}, int64(time.Since(epoch))
						if e == kv.OK {
							seen[key]++
						}
					}
				}
				if op.Output == nil && errors.Is(err, errGaveUp) {
					// stays in the history with no answer: it may or may not
					// have taken effect
				}
				record(op)
			}
		}()
	}

	// The nemesis, in real time.
	chaos := func(cmd string) {
		t.Helper()
		res, err := lc.command(cmd)
		if err != nil {
			t.Fatalf("chaos %s: %v", cmd, err)
		}
		t.Logf("%6.2fs chaos %s: %s", time.Since(epoch).Seconds(), cmd, strings.TrimSpace(res))
	}
	sleep := func(d time.Duration) { time.Sleep(d) }
	sleep(time.Second)
	l := liveLeader(t, dir)
	others := []string{}
	for i := range 3 {
		if i != l {
			others = append(others, strconv.Itoa(i))
		}
	}
	chaos(fmt.Sprintf("partition %d %s", l, strings.Join(others, ",")))
	sleep(2 * time.Second)
	chaos("heal")
	sleep(time.Second)
	l = liveLeader(t, dir)
	chaos(fmt.Sprintf("kill %d", l))
	sleep(1500 * time.Millisecond)
	chaos(fmt.Sprintf("restart %d", l))
	pids = append(pids, lc.pids()...)
	sleep(1500 * time.Millisecond)
	close(stop)
	wg.Wait()
	sleep(500 * time.Millisecond) // the restarted node catches up
	pids = append(pids, lc.pids()...)
	lc.close()

	// The checks.
	done, unanswered := 0, 0
	for _, op := range ops {
		if op.Output != nil {
			done++
		} else {
			unanswered++
		}
	}
	t.Logf("%d operations answered, %d not", done, unanswered)
	if done < 30 {
		t.Errorf("only %d operations were answered: the cluster was not serving (its output:\n%s)", done, out.String())
	}
	if err := history.Linearizable(kvsrv.Model, ops, 30*time.Second); err != nil {
		t.Errorf("porcupine: %v", err)
	}
	lines, _, err := readLiveTraces(dir)
	if err != nil {
		t.Fatal(err)
	}
	stats, err := checkReplogTraces(engine, lines, 3)
	if err != nil {
		t.Errorf("replicated-log invariants: %v\n(lab cluster timeline %s shows the run; it is kept with -run's temp dir only while the test runs)", err, dir)
	}
	t.Logf("replicated log: %s; the whole test took %v", stats, time.Since(began).Round(time.Millisecond))
}

type writerFunc func(p []byte)

func (f writerFunc) Write(p []byte) (int, error) { f(p); return len(p), nil }

// liveLeader is the node that most recently said it leads, from the
// traces written so far.
func liveLeader(t *testing.T, dir string) int {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		lines, _, err := readLiveTraces(dir)
		if err != nil {
			continue
		}
		leader, best := -1, -1
		for _, l := range lines {
			if term, ok := strings.CutPrefix(l.Text, "replog: lead "); ok && l.Kind == labrpc.KindLog {
				if n, err := strconv.Atoi(term); err == nil && n > best {
					leader, best = l.Node, n
				}
			}
		}
		if leader >= 0 {
			return leader
		}
	}
	t.Fatal("no node said it leads within 5s")
	return -1
}

// checkReplogTraces holds the lines of a live run (merged by time) to the
// replicated-log invariants, with replog's checker: the "replog:" lines
// lab serve's kv writes (serve.go: tracedEngine, watchLeader). A command
// is known by its hash; a snapshot is checked for its place (never back,
// never ahead of what was committed), its content by porcupine.
func checkReplogTraces(engine string, lines []labrpc.Line, n int) (string, error) {
	check := replog.NewChecker(engine, n)
	installs := 0
	for _, l := range lines {
		if l.Node < 0 || l.Node >= n {
			continue
		}
		switch {
		case l.Kind == labrpc.KindStart:
			check.Boot(l.Node)
		case l.Kind != labrpc.KindLog || !strings.HasPrefix(l.Text, "replog: "):
		case l.Text == "replog: booted":
			check.Booted(l.Node)
		default:
			f := strings.Fields(strings.TrimPrefix(l.Text, "replog: "))
			if len(f) < 2 {
				return "", fmt.Errorf("a trace line that lab serve does not write: %q", l.Text)
			}
			num, err := strconv.Atoi(f[1])
			if err != nil {
				return "", fmt.Errorf("a trace line that lab serve does not write: %q", l.Text)
			}
			switch f[0] {
			case "apply":
				if len(f) != 3 {
					return "", fmt.Errorf("a trace line that lab serve does not write: %q", l.Text)
				}
				check.Apply(l.Node, replog.Msg{CommandValid: true, Command: f[2], CommandIndex: num})
			case "install":
				if num > check.LastCommitted() {
					return "", fmt.Errorf("n%d installed a snapshot through index %d at %v, before any node had applied index %d", l.Node, num, l.At, num)
				}
				installs++
				check.Apply(l.Node, replog.Msg{SnapshotValid: true, Snapshot: check.State(num), SnapshotIndex: num})
			case "lead":
				check.Lead(l.Node, num)
			}
		}
		if err := check.Err(); err != nil {
			return "", fmt.Errorf("at %v: %w", l.At, err)
		}
	}
	last := check.LastCommitted()
	return fmt.Sprintf("%d indexes committed, %d terms or ballots with a leader, %d snapshots installed; last applied n0..n%d: %d %d %d",
		last, check.Elections(), installs, n-1, check.Applied(0), check.Applied(1), check.Applied(2)), nil
}

// The live test's log check must be able to fail: each liar below breaks
// one invariant in a trace that lab serve could have written.
func TestLiveTraceCheckCatchesEachViolation(t *testing.T) {
	apply := func(node int, at time.Duration, text string) labrpc.Line {
		return labrpc.Line{Node: node, At: at, Kind: labrpc.KindLog, Peer: -1, Text: "replog: " + text}
	}
	start := func(node int, at time.Duration) labrpc.Line {
		return labrpc.Line{Node: node, At: at, Kind: labrpc.KindStart, Peer: -1}
	}
	honest := []labrpc.Line{
		start(0, 0), start(1, 0), apply(0, 1, "booted"), apply(1, 1, "booted"),
		apply(0, 2, "lead 1"), apply(0, 3, "apply 1 aa"), apply(1, 4, "apply 1 aa"), apply(0, 5, "apply 2 bb"),
		start(1, 6), apply(1, 7, "install 2"), apply(1, 8, "booted"), apply(1, 9, "lead 2"), apply(1, 10, "apply 3 cc"),
	}
	if _, err := checkReplogTraces("raft", honest, 3); err != nil {
		t.Fatalf("an honest trace was refused: %v", err)
	}
	for _, c := range []struct {
		name string
		line labrpc.Line
		want string
	}{
		{"two commands at one index", apply(2, 11, "apply 1 zz"), "two commands committed at one index"},
		{"a gap", apply(0, 11, "apply 4 dd"), "a gap"},
		{"two leaders in a term", apply(2, 11, "lead 2"), "two leaders with term or ballot 2"},
		{"a snapshot ahead of the log", apply(2, 11, "install 9"), "before any node had applied index 9"},
		{"a snapshot that goes back", apply(1, 11, "install 1"), "its state would go back"},
	} {
		if _, err := checkReplogTraces("raft", append(slices.Clone(honest), c.line), 3); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want it to say %q", c.name, err, c.want)
		}
	}
}
