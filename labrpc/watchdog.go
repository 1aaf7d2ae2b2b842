package labrpc

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"
)

// The watchdog turns a hang into a report. Node code that blocks on a real
// channel, a mutex held elsewhere, time.Sleep or a WaitGroup stops the whole
// world: nothing else runs until it returns, and it never does. Without a
// watchdog the test sits there until Go's 10-minute time-out, naming
// nobody. With it, a world whose driver is inside the world (running events,
// or a process's turn) and whose beat has not moved for Config.Watchdog of
// real time is reported within a second or so more: the node or process,
// what it was running, the virtual time, and the stuck goroutine's stack.
//
// One goroutine watches every world of the process; a world is on its list
// only while its driver is inside it (World.block, a node's boot), so an
// idle or abandoned world costs nothing. The watchdog uses the real clock,
// which is its job; node code never does.

type watchdog struct {
	mu      sync.Mutex
	worlds  []*watchEntry
	started bool
}

type watchEntry struct {
	w        *World
	beat     int64
	since    time.Time
	reported bool
}

var dog watchdog

// watchTick is how often the watchdog looks.
const watchTick = 100 * time.Millisecond

// watchBegin puts the world on the watchdog's list while its driver runs
// it (calls nest; the driver only).
func (w *World) watchBegin() {
	w.watching++
	if w.watching > 1 || w.cfg.Watchdog < 0 {
		return
	}
	dog.mu.Lock()
	defer dog.mu.Unlock()
	dog.worlds = append(dog.worlds, &watchEntry{w: w, beat: w.beat.load(), since: time.Now()})
	if !dog.started {
		dog.started = true
		go dog.run()
	}
}

func (w *World) watchEnd() {
	w.watching--
	if w.watching > 0 || w.cfg.Watchdog < 0 {
		return
	}
	dog.mu.Lock()
	defer dog.mu.Unlock()
	for i, e := range dog.worlds {
		if e.w == w {
			dog.worlds = append(dog.worlds[:i], dog.worlds[i+1:]...)
			break
		}
	}
}

func (d *watchdog) run() {
	for {
		time.Sleep(watchTick)
		var stuck []*World
		now := time.Now()
		d.mu.Lock()
		for _, e := range d.worlds {
			if b := e.w.beat.load(); b != e.beat {
				e.beat, e.since, e.reported = b, now, false
				continue
			}
			if !e.reported && now.Sub(e.since) >= e.w.cfg.Watchdog {
				e.reported = true
				stuck = append(stuck, e.w)
			}
		}
		d.mu.Unlock()
		for _, w := range stuck {
			w.hang()
		}
	}
}

// hang reports a world whose beat has stood still. It runs on the
// watchdog's goroutine while the driver is blocked, and reads only what
// the driver wrote before its last beat (see World.beat).
func (w *World) hang() {
	var who, num string
	var gnum int64
	switch w.ctx {
	case ctxProc:
		who = fmt.Sprintf("client process %q has held the turn", w.curProc.name)
		gnum = w.curProc.num
	case ctxNode:
		who = fmt.Sprintf("%s has been running %s", w.Name(w.cur), w.doing)
		gnum = w.driverNum
	default:
		who = "the world has been running " + w.doing
		gnum = w.driverNum
	}
	num = strconv.FormatInt(gnum, 10)
	err := fmt.Errorf("labrpc: watchdog: %s for %v of real time without returning, at %s of virtual time (step %d); nothing else can run meanwhile.\n"+
		"Node code must not block: a channel, a mutex held elsewhere, time.Sleep or a WaitGroup waits for ever here. Use env.After for a delay and Env.Call's callback for a reply; "+
		"a client process waits with Client.Call and Sleep, and a loop that never waits cannot let time pass. (Config.Watchdog sets the limit.)\n"+
		"The stuck goroutine:\n%s",
		who, w.cfg.Watchdog, fmtTime(w.now), w.steps, goroutineStack(num))
	w.tr.flush()
	if w.cfg.OnHang != nil {
		w.cfg.OnHang(err)
		return
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(2)
}

// goroutineStack returns goroutine num's stack from a dump of all of them,
// cut to a readable length.
func goroutineStack(num string) string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	head := []byte("goroutine " + num + " [")
	i := bytes.Index(buf, head)
	if i < 0 {
		return "(not found)"
	}
	g := buf[i:]
	if j := bytes.Index(g, []byte("\n\n")); j >= 0 {
		g = g[:j]
	}
	// The header says what it waits for ("[chan receive]"); the frames
	// that matter are the reader's, not the simulator's.
	header, _, _ := bytes.Cut(g, []byte("\n"))
	return string(header) + "\n" + trimStack(append(g, '\n'))
}
