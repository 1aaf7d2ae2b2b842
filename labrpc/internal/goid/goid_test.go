package goid

import (
	"sync"
	"testing"
)

func TestCurrentTellsGoroutinesApart(t *testing.T) {
	me := Current()
	if me == 0 || Current() != me {
		t.Fatalf("Current is %v then %v; want a stable non-zero ID", me, Current())
	}
	const n = 50
	ids := make([]ID, n)
	var wg sync.WaitGroup
	var start sync.WaitGroup
	start.Add(1)
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := Current()
			mu.Lock()
			ids[i] = id
			mu.Unlock()
			start.Wait() // all alive at once, so none can share a descriptor
		}()
	}
	for done := false; !done; {
		done = true
		for i := range ids {
			if loadID(&ids[i]) == 0 {
				done = false
			}
		}
	}
	seen := map[ID]bool{me: true}
	for i := range ids {
		if seen[loadID(&ids[i])] {
			t.Fatalf("two live goroutines share ID %v", ids[i])
		}
		seen[loadID(&ids[i])] = true
	}
	start.Done()
	wg.Wait()
}

var mu sync.Mutex

func loadID(p *ID) ID { mu.Lock(); defer mu.Unlock(); return *p }

func BenchmarkCurrent(b *testing.B) {
	for b.Loop() {
		_ = Current()
	}
}
