package balance

import (
	"cmp"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// TestServerConcurrency checks the given server (no part: it passes in every
// skeleton): with Concurrency 3 and a fixed service of 100ms, six requests
// sent at once are answered in two waves, 100ms apart, and the replies
// report the queue shrinking; a slow server takes twice as long.
func TestServerConcurrency(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		profile := labrpc.Profile{Name: "fixed-1ms", MinDelay: time.Millisecond, MaxDelay: time.Millisecond, Timeout: time.Second}
		w := t.NewWorld(labrpc.Config{Nodes: 2, Profile: profile})
		for id, speed := range []float64{1, 0.5} {
			w.Start(id, func(env labrpc.Env) any {
				s, err := MakeServer(env, ServerConfig{Service: Fixed(100 * time.Millisecond), Concurrency: 3, Speed: speed, Board: -1})
				require.NoError(t, err)
				return s
			})
		}
		type answer struct {
			took  time.Duration
			queue int
		}
		for id, wave := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
			var answers []answer
			start := w.Now()
			for range 6 {
				w.Go("client", func() {
					reply := &Reply{}
					require.True(t, w.NewClient().Call(id, "Server.Serve", &Request{Key: "k"}, reply))
					answers = append(answers, answer{w.Now() - start, reply.Queue})
				})
			}
			require.True(t, w.RunUntilDone(10*time.Second))
			slices.SortFunc(answers, func(a, b answer) int { return cmp.Or(cmp.Compare(a.took, b.took), b.queue-a.queue) })
			// Each reply reports the requests still at the server as it
			// leaves: 5, 4, 3 after the first wave, 2, 1, 0 after the second.
			first, second := wave+2*time.Millisecond, 2*wave+2*time.Millisecond
			want := []answer{{first, 5}, {first, 4}, {first, 3}, {second, 2}, {second, 1}, {second, 0}}
			require.Equal(t, want, answers, "server %d (service %v, 3 at a time): six requests at once", id, wave)
		}
		_, err := MakeServer(nil, ServerConfig{Service: Exponential(0)})
		require.ErrorContains(t, err, "must be positive")
		_, err = MakeServer(nil, ServerConfig{Service: Fixed(time.Millisecond), Concurrency: -1})
		require.ErrorContains(t, err, "concurrency")
	})
}
