package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"protolab/internal/replay"
	"protolab/labrpc"
	"protolab/labrpc/live/chaos"
)

// lab cluster: a local cluster of lab serve processes, each behind a chaos
// proxy, with a control address that lab chaos talks to.

type clusterFlags struct {
	n      int
	engine string
	reads  string
	dir    string
	dur    time.Duration
}

func newClusterFlags() (*flag.FlagSet, *clusterFlags) {
	f := &clusterFlags{}
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.IntVar(&f.n, "n", 3, "how many `NODES`")
	fs.StringVar(&f.engine, "engine", "raft", "the consensus `ENGINE` under kv or lock: raft or paxos")
	fs.StringVar(&f.reads, "reads", "log", "how kv serves a Get: `PATH` log or readindex")
	fs.StringVar(&f.dir, "dir", "", "keep the cluster's files (storage, traces, cluster.json) in `DIR` (default: a new temporary directory)")
	fs.DurationVar(&f.dur, "for", 0, "stop after `DURATION` (default: run until interrupted)")
	return fs, f
}

func helpCluster(w io.Writer) {
	fmt.Fprint(w, `usage: lab cluster LAB [-n NODES] [--engine ENGINE] [--dir DIR] [--for DURATION]
       lab cluster timeline DIR [--node NODE] [--window L] [--html FILE]

Cluster starts a local cluster of LAB (kv, lock or swim, as lab serve runs them):
one 'lab serve' process per node, each behind a proxy that 'lab chaos' can
tell to drop, delay, duplicate or partition. It prints where each node is
reached (the proxy's address: give it to clients) and writes
DIR/cluster.json, which lab kv and lab chaos read. Each node keeps its
storage in DIR/nID and appends its trace to DIR/nID-K.jsonl (incarnation
K). Interrupting the cluster (Ctrl-C, SIGTERM) stops every process it
started; so does its own death, since each child exits when its standard
input closes.

'lab cluster timeline DIR' merges the nodes' traces by time and prints the
per-node timeline of the last L lines, as lab replay does; --html writes
the space-time viewer. A live run has no replay: these are records of what
happened, not runs that can be repeated (docs/live.md).

Flags:
`)
	fs, _ := newClusterFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runCluster(c *cli, args []string) int {
	if len(args) > 0 && args[0] == "timeline" {
		return runTimeline(c, args[1:])
	}
	fs, f := newClusterFlags()
	pos, rest, code, ok := c.parseFlags("cluster", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 || len(rest) > 0 {
		return c.usageError("cluster", "give one lab: %s (or 'timeline DIR')", strings.Join(liveLabs, " or "))
	}
	if !slices.Contains(liveLabs, pos[0]) {
		return c.usageError("cluster", "no live service for lab %q; give one of: %s", pos[0], strings.Join(liveLabs, ", "))
	}
	if f.n < 1 || f.n > 9 {
		return c.usageError("cluster", "-n %d: a local cluster has 1 to 9 nodes", f.n)
	}
	bin, err := os.Executable()
	if err != nil {
		return c.failf("cluster", "cannot find the lab binary to start the nodes with: %v", err)
	}
	dir := f.dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "lab-cluster-"); err != nil {
			return c.failf("cluster", "%v", err)
		}
	} else if dir, err = c.outputDir(dir); err != nil {
		return c.failf("cluster", "--dir: %v", err)
	} else if err = os.MkdirAll(dir, 0o755); err != nil {
		return c.failf("cluster", "--dir: %v", err)
	}
	engine := f.engine
	if pos[0] == "swim" {
		engine = ""
	}
	lc, err := startCluster(clusterOptions{Lab: pos[0], Engine: engine, Reads: f.reads, Nodes: f.n, Dir: dir, Bin: bin, Out: c.stdout})
	if err != nil {
		return c.failf("cluster", "%v", err)
	}
	defer lc.close()
	what := pos[0]
	if engine != "" {
		what += " on " + engine
	}
	fmt.Fprintf(c.stdout, "lab cluster: %s, %d nodes; files in %s\n", what, f.n, dir)
	for i, p := range lc.proxies {
		fmt.Fprintf(c.stdout, "  n%d  %s  (pid %d, listening on %s behind its proxy)\n", i, p.Addr(), lc.pid(i), lc.target(i))
	}
	cf := filepath.Join(dir, clusterFileName)
	fmt.Fprintf(c.stdout, "chaos control on %s; try:\n", lc.control.Addr())
	switch pos[0] {
	case "kv":
		fmt.Fprintf(c.stdout, "  lab kv --cluster %s put k hello\n", cf)
	case "lock":
		fmt.Fprintf(c.stdout, "  lab lock --cluster %s hold L --for 5s\n", cf)
	}
	fmt.Fprintf(c.stdout, "  lab chaos --cluster %s partition 0 1,2\n  lab chaos --cluster %s kill 1\n", cf, cf)
	fmt.Fprintf(c.stdout, "stop with Ctrl-C; then: lab cluster timeline %s\n", dir)
	ctx, stop := signal.NotifyContext(c.ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	var timeout <-chan time.Time
	if f.dur > 0 {
		timeout = time.After(f.dur)
	}
	select {
	case <-ctx.Done():
	case <-timeout:
	}
	lc.close()
	fmt.Fprintf(c.stdout, "lab cluster: stopped every node; traces in %s\n", dir)
	return exitOK
}

type clusterOptions struct {
	Lab, Engine, Reads string
	Nodes              int
	Dir                string
	Bin                string    // the lab binary the nodes run
	Out                io.Writer // the nodes' output, each line prefixed "nID| "
	Seed               int64     // the proxies' random stream (0: from the clock)
}

// liveCluster is a running local cluster: its proxies, its processes and
// its control server.
type liveCluster struct {
	o       clusterOptions
	epoch   time.Time
	net     *chaos.Net
	proxies []*chaos.Proxy
	control net.Listener
	file    string

	mu     sync.Mutex
	procs  []*nodeProc
	incs   []int
	closed bool
	outMu  sync.Mutex
}

// nodeProc is one process of a node.
type nodeProc struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	addr   string
	exited chan struct{}
}

func startCluster(o clusterOptions) (*liveCluster, error) {
	if o.Seed == 0 {
		o.Seed = time.Now().UnixNano()
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	lc := &liveCluster{o: o, epoch: time.Now(), net: chaos.NewNet(o.Nodes, o.Seed), procs: make([]*nodeProc, o.Nodes), incs: make([]int, o.Nodes)}
	for i := range o.Nodes {
		p, err := lc.net.Listen(i, "127.0.0.1:0")
		if err != nil {
			lc.close()
			return nil, err
		}
		lc.proxies = append(lc.proxies, p)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		lc.close()
		return nil, err
	}
	lc.control = ln
	go http.Serve(ln, http.HandlerFunc(lc.serveControl))
	cf := clusterFile{Lab: o.Lab, Engine: o.Engine, Nodes: lc.addrs(), Control: ln.Addr().String(), Dir: o.Dir, Epoch: lc.epoch.UnixNano()}
	data, _ := json.MarshalIndent(cf, "", "  ")
	lc.file = filepath.Join(o.Dir, clusterFileName)
	if err := os.WriteFile(lc.file, append(data, '\n'), 0o644); err != nil {
		lc.close()
		return nil, err
	}
	for i := range o.Nodes {
		if err := lc.start(i); err != nil {
			lc.close()
			return nil, err
		}
	}
	return lc, nil
}

// addrs are where clients and peers reach the nodes: the proxies.
func (lc *liveCluster) addrs() []string {
	var a []string
	for _, p := range lc.proxies {
		a = append(a, p.Addr())
	}
	return a
}

func (lc *liveCluster) pid(i int) int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if p := lc.procs[i]; p != nil {
		return p.cmd.Process.Pid
	}
	return 0
}

func (lc *liveCluster) target(i int) string {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if p := lc.procs[i]; p != nil {
		return p.addr
	}
	return "(down)"
}

// start starts a process for node i (its next incarnation), waits until
// it listens, and points its proxy at it.
func (lc *liveCluster) start(i int) error {
	lc.mu.Lock()
	if lc.closed {
		lc.mu.Unlock()
		return errors.New("the cluster is stopping")
	}
	if p := lc.procs[i]; p != nil {
		lc.mu.Unlock()
		return fmt.Errorf("n%d is running (pid %d); kill it first", i, p.cmd.Process.Pid)
	}
	lc.incs[i]++
	inc := lc.incs[i]
	lc.mu.Unlock()
	args := []string{"serve", lc.o.Lab, "--me", strconv.Itoa(i), "--peers", strings.Join(lc.addrs(), ","),
		"--listen", "127.0.0.1:0", "--dir", filepath.Join(lc.o.Dir, fmt.Sprintf("n%d", i)),
		"--trace", filepath.Join(lc.o.Dir, fmt.Sprintf("n%d-%d.jsonl", i, inc)),
		"--epoch", strconv.FormatInt(lc.epoch.UnixNano(), 10), "--incarnation", strconv.Itoa(inc),
		"--seed", strconv.FormatInt(lc.o.Seed+int64(i), 10), "--exit-with-stdin"}
	switch lc.o.Lab {
	case "kv":
		args = append(args, "--engine", lc.o.Engine, "--reads", lc.o.Reads)
	case "lock":
		args = append(args, "--engine", lc.o.Engine)
	}
	cmd := exec.Command(lc.o.Bin, args...)
	cmd.SysProcAttr = ownProcessGroup()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting n%d: %v", i, err)
	}
	p := &nodeProc{cmd: cmd, stdin: stdin, exited: make(chan struct{})}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		prefix := fmt.Sprintf("n%d listening on ", i)
		var last []string
		for sc.Scan() {
			line := sc.Text()
			if a, ok := strings.CutPrefix(line, prefix); ok {
				select {
				case listening <- a:
				default:
				}
				continue
			}
			last = append(last, line)
			if len(last) > 5 {
				last = last[1:]
			}
			lc.outMu.Lock()
			fmt.Fprintf(lc.o.Out, "n%d| %s\n", i, line)
			lc.outMu.Unlock()
		}
		cmd.Wait()
		close(p.exited)
		close(listening)
	}()
	select {
	case a, ok := <-listening:
		if !ok {
			return fmt.Errorf("n%d exited before it listened (%v)", i, cmd.ProcessState)
		}
		p.addr = a
	case <-time.After(20 * time.Second):
		killGroup(cmd)
		return fmt.Errorf("n%d did not listen within 20s", i)
	}
	lc.mu.Lock()
	lc.procs[i] = p
	lc.mu.Unlock()
	lc.proxies[i].SetTarget(p.addr)
	return nil
}

// kill ends node i's process at once (SIGKILL), as a power cut would: its
// stable storage is what it had written.
func (lc *liveCluster) kill(i int) error { return lc.stopNode(i, false) }

// stopNode ends node i's process: at once (SIGKILL), or, if gently, with
// SIGTERM first and SIGKILL a second later if it has not exited.
func (lc *liveCluster) stopNode(i int, gently bool) error {
	lc.mu.Lock()
	p := lc.procs[i]
	lc.procs[i] = nil
	lc.mu.Unlock()
	if p == nil {
		return fmt.Errorf("n%d is not running", i)
	}
	lc.proxies[i].SetTarget("")
	if gently {
		termGroup(p.cmd)
		select {
		case <-p.exited:
			return nil
		case <-time.After(time.Second):
		}
	}
	killGroup(p.cmd)
	<-p.exited
	return nil
}

// pids are the processes running now.
func (lc *liveCluster) pids() []int {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	var ps []int
	for _, p := range lc.procs {
		if p != nil {
			ps = append(ps, p.cmd.Process.Pid)
		}
	}
	return ps
}

// close stops every process (SIGTERM, then SIGKILL a second later), and
// the proxies and the control server.
func (lc *liveCluster) close() {
	lc.mu.Lock()
	lc.closed = true
	lc.mu.Unlock()
	var wg sync.WaitGroup
	for i := range lc.procs {
		wg.Add(1)
		go func() { defer wg.Done(); lc.stopNode(i, true) }()
	}
	wg.Wait()
	if lc.control != nil {
		lc.control.Close()
	}
	lc.net.Close()
}

// command carries out one chaos command: the network's (chaos.Net.Apply),
// or kill I, restart I, status.
func (lc *liveCluster) command(line string) (string, error) {
	f := strings.Fields(line)
	node := func() (int, error) {
		if len(f) != 2 {
			return 0, fmt.Errorf("%s takes one node id, like '%s 1'", f[0], f[0])
		}
		i, err := strconv.Atoi(f[1])
		if err != nil || i < 0 || i >= lc.o.Nodes {
			return 0, fmt.Errorf("%s %s: the nodes are 0..%d", f[0], f[1], lc.o.Nodes-1)
		}
		return i, nil
	}
	if len(f) > 0 {
		switch f[0] {
		case "kill", "restart":
			i, err := node()
			if err != nil {
				return "", err
			}
			if f[0] == "kill" {
				if err := lc.kill(i); err != nil {
					return "", err
				}
				return fmt.Sprintf("killed n%d (SIGKILL)", i), nil
			}
			lc.kill(i) // restart a running node: kill it first
			if err := lc.start(i); err != nil {
				return "", err
			}
			return fmt.Sprintf("n%d restarted (incarnation %d, pid %d)", i, lc.incs[i], lc.pid(i)), nil
		case "status":
			var b strings.Builder
			for i := range lc.o.Nodes {
				fmt.Fprintf(&b, "n%d %s pid %d, at %s\n", i, lc.proxies[i].Addr(), lc.pid(i), lc.target(i))
			}
			passed, dropped, dup := lc.net.Counts()
			fmt.Fprintf(&b, "network: %s (frames: %d passed, %d dropped, %d duplicated)", lc.net.Rules(), passed, dropped, dup)
			return b.String(), nil
		}
	}
	if len(f) == 0 || !slices.Contains(chaos.Commands, f[0]) {
		return "", fmt.Errorf("unknown command %q; say %s, kill, restart or status", line, strings.Join(chaos.Commands, ", "))
	}
	r, err := lc.net.Apply(line)
	if err != nil {
		return "", err
	}
	return "network: " + r.String(), nil
}

func (lc *liveCluster) serveControl(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/chaos" {
		http.Error(w, "POST a command to /chaos", http.StatusNotFound)
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4096))
	out, err := lc.command(string(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	fmt.Fprintln(w, out)
}

func jsonUnmarshalStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

// lab cluster timeline

type timelineFlags struct {
	node   string
	window int
	html   string
}

func runTimeline(c *cli, args []string) int {
	f := &timelineFlags{}
	fs := flag.NewFlagSet("cluster", flag.ContinueOnError)
	fs.StringVar(&f.node, "node", "", "show only `NODE` (n2)")
	fs.IntVar(&f.window, "window", 60, "show the last `L` lines")
	fs.StringVar(&f.html, "html", "", "also write the space-time viewer to `FILE`")
	pos, _, code, ok := c.parseFlags("cluster", fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usageError("cluster", "timeline: give the cluster's directory")
	}
	dir, err := c.outputPath(pos[0])
	if err != nil {
		return c.failf("cluster", "%v", err)
	}
	lines, nodes, err := readLiveTraces(dir)
	if err != nil {
		return c.failf("cluster", "%v", err)
	}
	if f.node != "" {
		id, err := labrpc.ParseEndpoint(f.node, nodes)
		if err != nil {
			return c.usageError("cluster", "--node: %v", err)
		}
		var kept []labrpc.Line
		for _, l := range lines {
			if l.Node == id || l.Node == -1 {
				kept = append(kept, l)
			}
		}
		lines = kept
	}
	shown := lines
	if len(shown) > f.window && f.window > 0 {
		shown = shown[len(shown)-f.window:]
	}
	fmt.Fprintf(c.stdout, "live run in %s: %d nodes, %d trace lines (a record: a live run does not replay)\n\n", dir, nodes, len(lines))
	fmt.Fprintln(c.stdout, strings.TrimRight(labrpc.Timeline(shown, nodes), "\n"))
	if f.html != "" {
		path, err := c.outputFile(f.html)
		if err == nil {
			err = replay.WriteViewer(path, "live run "+filepath.Base(dir), nodes, lines, "", nil)
		}
		if err != nil {
			return c.failf("cluster", "--html: %v", err)
		}
		fmt.Fprintf(c.stdout, "\nviewer: %s\n", path)
	}
	return exitOK
}

// readLiveTraces reads every node's trace files in dir (nID-K.jsonl) and
// merges them by time, numbering the lines' steps again in that order.
func readLiveTraces(dir string) ([]labrpc.Line, int, error) {
	files, err := filepath.Glob(filepath.Join(dir, "n*-*.jsonl"))
	if err != nil || len(files) == 0 {
		return nil, 0, fmt.Errorf("no node traces (nID-K.jsonl) in %s: is it a directory lab cluster ran in?", dir)
	}
	nodes := 0
	if cf, err := readClusterFile(filepath.Join(dir, clusterFileName)); err == nil {
		nodes = len(cf.Nodes)
	}
	var lines []labrpc.Line
	for _, name := range files {
		fh, err := os.Open(name)
		if err != nil {
			return nil, 0, err
		}
		tf, err := labrpc.ReadTrace(fh)
		fh.Close()
		if err != nil {
			// A killed process may leave half a line at the end: keep what
			// is whole.
			tf, err = readWholeLines(name)
			if err != nil {
				return nil, 0, fmt.Errorf("%s: %v", name, err)
			}
		}
		for _, l := range tf.Lines {
			nodes = max(nodes, l.Node+1)
		}
		lines = append(lines, tf.Lines...)
	}
	slices.SortStableFunc(lines, func(a, b labrpc.Line) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	for i := range lines {
		lines[i].Step = int64(i + 1)
	}
	return lines, nodes, nil
}

// readWholeLines reads a trace file cut in the middle of a line.
func readWholeLines(name string) (*labrpc.TraceFile, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i >= 0 {
		data = data[:i+1]
	}
	return labrpc.ReadTrace(bytes.NewReader(data))
}
