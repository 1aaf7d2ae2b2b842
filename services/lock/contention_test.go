package lock

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/tests"
)

// worker is a client application that takes locks in turn: acquire one of
// locks, write to the storage under it, hold it a while, release, rest.
type worker struct {
	env     labrpc.Env
	cl      *Client
	storage int
	locks   []string
	grants  *int
	refused *int
}

func (wk *worker) next() {
	name := wk.locks[wk.env.Rand().IntN(len(wk.locks))]
	wk.cl.Acquire(name, func(seq Sequencer) {
		*wk.grants++
		wk.cl.Write(wk.storage, name, fmt.Sprintf("%s by n%d", seq, wk.env.Me()), seq, func(err Err) {
			if err != OK {
				*wk.refused++
			}
			hold := time.Duration(wk.env.Rand().IntN(100)) * time.Millisecond
			wk.env.After(hold, func() {
				wk.cl.Release(name, func(Err) {
					wk.env.After(time.Duration(wk.env.Rand().IntN(50))*time.Millisecond, wk.next)
				})
			})
		})
	})
}

// Five clients contend for two locks while servers crash and restart
// (restoring from snapshots), are cut off, and the network loses messages;
// the cell's checks run after every event.
func TestContentionUnderFaults6C(t *testing.T) {
	forEngine(t, func(t *tests.T, e replog.Engine) {
		w := t.NewWorld(labrpc.Config{Nodes: 3 + 1 + 5, ClockDrift: DefaultConfig.Rho})
		c, err := NewCell(w, e, 3, DefaultConfig)
		require.NoError(t, err)
		c.MaxStateSize = 4000
		grants, refused := 0, 0
		c.App = func(env labrpc.Env, cl *Client) {
			wk := &worker{env: env, cl: cl, storage: c.Storage, locks: []string{"x", "y"}, grants: &grants, refused: &refused}
			env.After(100*time.Millisecond, wk.next)
		}
		c.StartAll()
		tests.Nemesis{Nodes: c.Servers, Every: 400 * time.Millisecond, For: 5 * time.Second,
			Partitions: true, Crashes: true, Outages: true, Unreliable: true}.Start(w)
		w.Sleep(6 * time.Second)
		during := grants
		w.Sleep(3 * time.Second)
		t.Logf("%d grants under faults, %d in the 3 s after; %d writes refused by the storage", during, grants-during, refused)
		require.GreaterOrEqual(t, grants-during, 5, "once the faults are over, the clients should get locks again")
	})
}

// The run-twice check on the busiest scenario: the same seed gives the same
// run, event for event (no wall clock, no global randomness, no map order).
func TestSameSeedSameRun6C(t *testing.T) {
	for _, e := range engines {
		t.Run(e.Name, func(t *testing.T) {
			tests.RunTwice(t, func(t *tests.T) {
				w := t.NewWorld(labrpc.Config{Nodes: 3 + 1 + 3, ClockDrift: DefaultConfig.Rho})
				c, err := NewCell(w, e, 3, DefaultConfig)
				require.NoError(t, err)
				c.MaxStateSize = 4000
				grants, refused := 0, 0
				c.App = func(env labrpc.Env, cl *Client) {
					wk := &worker{env: env, cl: cl, storage: c.Storage, locks: []string{"x", "y"}, grants: &grants, refused: &refused}
					env.After(100*time.Millisecond, wk.next)
				}
				c.StartAll()
				tests.Nemesis{Nodes: c.Servers, Every: 300 * time.Millisecond, For: 2 * time.Second,
					Partitions: true, Crashes: true, Unreliable: true}.Start(w)
				w.Pause(c.Clients[0], 1500*time.Millisecond)
				w.Sleep(3 * time.Second)
			})
		})
	}
}
