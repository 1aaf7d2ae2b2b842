package raft

import (
	"fmt"
	"testing"
	"time"

	"protolab/labrpc"
)

// The scale benchmarks (issue 14): what a simulated second of Raft costs the
// machine, as the group grows and as the log grows, with and without
// snapshots. Each reports virtual seconds per CPU-second, CPU-ms per virtual
// second, events per CPU-second, bytes allocated per event and the peak heap
// (labrpc.Meter), over a window in which one client process starts 1,000
// commands per virtual second at the leader, on the benchmarks' network
// (replog.BenchProfile). Run them once each (make scale):
//
//	go test ./raft -run '^$' -bench Scale -benchtime 1x

const scaleRate = 1000 // commands per virtual second

// BenchmarkScaleRaftPeers: 3, 5, 7 and 9 peers, the service snapshotting
// every 100 entries; 2 virtual seconds measured.
func BenchmarkScaleRaftPeers(b *testing.B) {
	for _, n := range []int{3, 5, 7, 9} {
		b.Run(fmt.Sprintf("peers=%d", n), func(b *testing.B) {
			var m labrpc.Measure
			for b.Loop() {
				m = scaleRun(b, n, 0, 100, 2*time.Second)
			}
			m.Report(b)
		})
	}
}

// BenchmarkScaleRaftLog: five peers whose logs already hold 2k, 8k or 32k
// entries, with the service snapshotting every 100 entries (the log stays
// short) or never (the log grows by a thousand entries a second, and each
// save must cost what changed, not the whole log: persist.go); one virtual
// second measured. Without snapshots the peers boot with the log already
// persisted, and a second of load runs before the measurement; with them,
// the load runs until the log reaches its length, unmeasured (a log handed
// to them whole would be snapshotted 100 entries at a time in one burst,
// at a cost that grows with the square of its length).
func BenchmarkScaleRaftLog(b *testing.B) {
	for _, entries := range []int{2000, 8000, 32000} {
		for _, snapEvery := range []int{100, 0} {
			name := fmt.Sprintf("log=%dk/snapshots=%s", entries/1000, map[bool]string{true: "every100", false: "none"}[snapEvery > 0])
			b.Run(name, func(b *testing.B) {
				var m labrpc.Measure
				for b.Loop() {
					m = scaleRun(b, benchPeers, entries, snapEvery, time.Second)
				}
				m.Report(b)
			})
		}
	}
}

// scaleRun boots n peers whose logs hold entries entries (persisted before
// boot without snapshots; run up to with them), lets them elect a leader
// and commit everything, and measures window of scaleRate commands per
// second at the leader.
func scaleRun(b *testing.B, n, entries, snapEvery int, window time.Duration) labrpc.Measure {
	wc := benchWorldConfig(n)
	wc.Seed = 1
	w := labrpc.NewWorld(wc)
	defer w.Close()
	fill := 0 // commands run before the measurement
	if entries > 0 && snapEvery > 0 {
		fill = entries
	} else if entries > 0 {
		// A second of load before the measurement: a peer's first appends
		// after its boot regrow the log and the persisted state that the
		// boot read in sized to fit (amortised over the next quarter of
		// the log's length, but a one-off in a short window).
		fill = scaleRate
		log := make([]Entry, 1, entries+1) // the sentinel, then the entries
		for k := 1; k <= entries; k++ {
			log = append(log, Entry{Term: 1, Command: k})
		}
		for i := 0; i < n; i++ {
			// What the peer would have saved, having voted for n0 in term
			// 1: persist itself writes it.
			rf := &Raft{persister: w.Persister(i), currentTerm: 1, votedFor: 0, log: raftLog{entries: log}}
			rf.persist()
		}
	}
	c := newClusterIn(b, w, n, clusterConfig{snapEvery: snapEvery})
	c.One(-1, n, false)
	leader := c.CheckOneLeader()
	rf := c.peers[leader]
	w.Go("client", func() {
		for k := 0; k < fill+int(window.Seconds()*scaleRate); k++ {
			if _, _, ok := rf.Start(entries + 1 + k); !ok {
				w.Fail(fmt.Errorf("the leader n%d lost its office on a lossless network", leader))
				return
			}
			w.Sleep(time.Second / scaleRate)
		}
	})
	w.Sleep(time.Duration(fill) * time.Second / scaleRate)
	meter := labrpc.NewMeter(w)
	w.Sleep(window)
	m := meter.Read()
	if err := w.Err(); err != nil {
		b.Fatal(err)
	}
	return m
}
