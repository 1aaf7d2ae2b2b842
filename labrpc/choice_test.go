package labrpc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recordChooser takes the seed's value of every choice and keeps it.
type recordChooser struct{ got []int64 }

func (r *recordChooser) Choose(c *Choice) int64 {
	v := c.Seeded()
	r.got = append(r.got, v)
	return v
}

// replayChooser gives back recorded values, then defaults.
type replayChooser struct {
	vals  []int64
	kinds []ChoiceKind
}

func (r *replayChooser) Choose(c *Choice) int64 {
	r.kinds = append(r.kinds, c.Kind)
	if len(r.vals) == 0 {
		return c.Default()
	}
	v := r.vals[0]
	r.vals = r.vals[1:]
	return v
}

type chooserFunc func(c *Choice) int64

func (f chooserFunc) Choose(c *Choice) int64 { return f(c) }

// chatter is a lossy run of echo calls among three nodes: drops, delays,
// time-outs, and timers due at the same time.
func chatter(t *testing.T, ch Chooser) *World {
	w := NewWorld(Config{Seed: 7, Nodes: 3, Profile: MustProfile("reorder"), Chooser: ch})
	t.Cleanup(w.Close)
	for i := 0; i < 3; i++ {
		w.Start(i, func(env Env) any {
			var tick func()
			tick = func() {
				for _, p := range env.Peers() {
					if p != env.Me() {
						env.Call(p, "echoNode.Echo", &EchoArgs{From: env.Me(), Text: "hi"}, &EchoReply{}, func(bool) {})
					}
				}
				env.After(10*time.Millisecond, tick)
			}
			env.After(10*time.Millisecond, tick)
			return &echoNode{env: env}
		})
	}
	w.Sleep(2 * time.Second)
	return w
}

func TestChooserTakingTheSeedsValuesKeepsTheDigest(t *testing.T) {
	plain := chatter(t, nil)
	rec := &recordChooser{}
	recorded := chatter(t, rec)
	require.Equal(t, plain.Digest(), recorded.Digest(), "a chooser that takes the seed's values must give the run the seed gives")
	require.NotEmpty(t, rec.got)

	replayed := chatter(t, &replayChooser{vals: rec.got})
	require.Equal(t, plain.Digest(), replayed.Digest(), "replaying the recorded choices must give the same run")

	other := chatter(t, &replayChooser{})
	require.NotEqual(t, plain.Digest(), other.Digest(), "defaults (no loss, shortest delays) give another run")
}

func TestChooserSeesEveryKindOfChoice(t *testing.T) {
	seen := map[ChoiceKind]bool{}
	losses := 0
	chatter(t, chooserFunc(func(c *Choice) int64 {
		seen[c.Kind] = true
		if c.Kind == ChoiceLoss {
			losses++
			return int64(losses % 3 / 2) // lose some messages, so that calls time out
		}
		return c.Default()
	}))
	for _, k := range []ChoiceKind{ChoiceLoss, ChoiceDelay, ChoiceTimeout, ChoiceOrder} {
		require.True(t, seen[k], "no %s choice was asked", k)
	}
}

func TestOrderChoiceRunsTiedEventsInTheChosenOrder(t *testing.T) {
	run := func(first int64) []string {
		var got []string
		w := NewWorld(Config{Nodes: 1, Chooser: &replayChooser{vals: []int64{first}}})
		defer w.Close()
		w.Start(0, func(env Env) any {
			env.After(10*time.Millisecond, func() { got = append(got, "a") })
			env.After(10*time.Millisecond, func() { got = append(got, "b") })
			env.After(10*time.Millisecond, func() { got = append(got, "c") })
			return &echoNode{env: env}
		})
		w.Sleep(time.Second)
		return got
	}
	require.Equal(t, []string{"a", "b", "c"}, run(0))
	require.Equal(t, []string{"c", "a", "b"}, run(2), "the chosen event first, the others in their order")
}

func TestBadChoiceStopsTheRunWithTheCause(t *testing.T) {
	w := NewWorld(Config{Nodes: 2, Chooser: &replayChooser{vals: []int64{7}}})
	defer w.Close()
	w.Start(0, bootEcho)
	w.Start(1, bootEcho)
	c := w.NewClient()
	err := mustStop(t, w, func() { c.Call(0, "echoNode.Echo", &EchoArgs{}, &EchoReply{}) })
	require.ErrorContains(t, err, "a loss choice is 0 or 1, not 7")
	require.ErrorContains(t, err, "choices file")
}
