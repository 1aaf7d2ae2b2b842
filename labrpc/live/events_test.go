package live_test

import (
	"net"
	"sync"
	"testing"
	"time"

	"protolab/labrpc"
	"protolab/labrpc/live"
)

// Busy is a node whose handler takes a while; it records whether two of
// its events ever overlapped and whether its clock moved within one.
type Busy struct {
	env     labrpc.Env
	inside  int
	overlap bool
	moved   bool
	timers  int
}

type BusyArgs struct{}
type BusyReply struct{}

func (b *Busy) Work(args *BusyArgs, reply *BusyReply) { b.event() }

func (b *Busy) event() {
	b.inside++
	if b.inside > 1 {
		b.overlap = true
	}
	before := b.env.Now()
	time.Sleep(200 * time.Microsecond) // host-side test code: a slow handler
	if b.env.Now() != before {
		b.moved = true
	}
	b.inside--
}

func (b *Busy) tick() {
	b.event()
	b.timers++
	if b.timers < 200 {
		b.env.After(time.Millisecond, b.tick)
	}
}

// Handlers, timers and Do from many goroutines: one event at a time, each
// with the node's clock frozen.
func TestEventsRunOneAtATimeWithTheClockFrozen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := []string{ln.Addr().String()}
	b := &Busy{}
	nd, err := live.Start(live.Config{Me: 0, Addrs: addrs, Listener: ln}, func(env labrpc.Env) any {
		b.env = env
		env.After(time.Millisecond, b.tick)
		return b
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nd.Stop()
	var wg sync.WaitGroup
	for c := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := live.NewClient(1+c, addrs, time.Second)
			defer cl.Close()
			for range 50 {
				if ok, err := cl.Call(0, "Busy.Work", &BusyArgs{}, &BusyReply{}); !ok || err != nil {
					t.Errorf("Busy.Work: ok=%v err=%v", ok, err)
					return
				}
				nd.Do(b.event)
			}
		}()
	}
	wg.Wait()
	var overlap, moved bool
	var timers int
	nd.Do(func() { overlap, moved, timers = b.overlap, b.moved, b.timers })
	if overlap {
		t.Errorf("two events of one node ran at once: node code would need locks")
	}
	if moved {
		t.Errorf("env.Now changed within one event: the clock must be frozen for an event's length")
	}
	if timers == 0 {
		t.Errorf("no timer fired")
	}
}
