package labrpc

import (
	"fmt"
	"time"
)

// Choices: every decision the world takes on its own (is this message
// lost, how long does it travel, how long does a lost call wait, which of
// several events due at the same instant runs first) is a Choice, and a
// Chooser makes it. A run is then a pure function of the code, the seed (for
// the nodes', the clients' and the harness's streams) and the sequence of
// values the chooser gave: record that sequence and the run can be replayed;
// vary it and the run explores another schedule (docs/explore.md).
//
// Without a Config.Chooser the world draws every choice from the seed's
// network stream, exactly as it always has: digests do not change.

// ChoiceKind says what a choice decides, and so what its value means.
type ChoiceKind uint8

const (
	// ChoiceLoss: is this message lost (a request or a reply), or
	// duplicated (a request)? 1 for yes, 0 for no.
	ChoiceLoss ChoiceKind = iota
	// ChoiceDelay: how long the message From→To travels, in nanoseconds.
	// The profile's range is [Lo, Hi]; a chooser may hold a message longer
	// (a long reordering), never shorter than 0.
	ChoiceDelay
	// ChoiceTimeout: how long a call whose message was lost waits before it
	// completes with ok=false, counted from the call, in nanoseconds (the
	// profile's range is [Lo, Hi]).
	ChoiceTimeout
	// ChoiceOrder: which of Hi+1 events due at the same virtual time runs
	// first, as an index in the order they were scheduled (0 is the
	// earliest scheduled). Asked only of a Config.Chooser: the seed's
	// stream always runs them in the order they were scheduled.
	ChoiceOrder
)

var choiceKindNames = [...]string{"loss", "delay", "timeout", "order"}

func (k ChoiceKind) String() string {
	if int(k) < len(choiceKindNames) {
		return choiceKindNames[k]
	}
	return fmt.Sprintf("ChoiceKind(%d)", k)
}

// ChoiceKindByName is the kind a choices file calls name ("loss", "delay",
// "timeout", "order").
func ChoiceKindByName(name string) (ChoiceKind, bool) {
	for i, n := range choiceKindNames {
		if n == name {
			return ChoiceKind(i), true
		}
	}
	return 0, false
}

// A Choice is one decision the world asks its chooser to take.
type Choice struct {
	Kind     ChoiceKind
	From, To int           // the message's link (ChoiceDelay); -1 when not known
	P        float64       // ChoiceLoss: the profile's probability
	Lo, Hi   time.Duration // ChoiceDelay, ChoiceTimeout: the profile's range; ChoiceOrder: 0 and the last index

	w           *World
	unreachable bool // ChoiceTimeout: the peer is down or cut off
}

// Valid reports whether v is a value this choice can take, and if not why.
// A replayed value that is not (a choices file from another version of the
// code) fails the run with that reason instead of doing something strange.
func (c *Choice) Valid(v int64) error {
	switch c.Kind {
	case ChoiceLoss:
		if v != 0 && v != 1 {
			return fmt.Errorf("a loss choice is 0 or 1, not %d", v)
		}
	case ChoiceDelay, ChoiceTimeout:
		if v < 0 {
			return fmt.Errorf("a %s is a duration of at least 0, not %d", c.Kind, v)
		}
	case ChoiceOrder:
		if v < 0 || v > int64(c.Hi) {
			return fmt.Errorf("an order choice among %d events is 0..%d, not %d", c.Hi+1, c.Hi, v)
		}
	}
	return nil
}

// Default is the value a search takes when it does not vary this choice:
// nothing lost, the shortest delay, the shortest time-out, the events in
// the order they were scheduled.
func (c *Choice) Default() int64 {
	switch c.Kind {
	case ChoiceDelay, ChoiceTimeout:
		return int64(c.Lo)
	}
	return 0
}

// Seeded is the value the seed's network stream gives this choice, as a
// world without a Chooser takes it. It draws from that stream.
func (c *Choice) Seeded() int64 {
	w := c.w
	switch c.Kind {
	case ChoiceLoss:
		if c.P > 0 && w.netRand.Float64() < c.P {
			return 1
		}
		return 0
	case ChoiceDelay:
		return int64(w.seededDelay(c.Lo, c.Hi))
	case ChoiceTimeout:
		if c.unreachable && w.profile.DeadTimeout > 0 {
			return w.netRand.Int64N(int64(w.profile.DeadTimeout)) + 1
		}
		return int64(c.Lo) + w.netRand.Int64N(int64(c.Hi-c.Lo)+1)
	}
	return 0
}

// A Chooser takes the world's choices. Choose returns the value of c (see
// ChoiceKind); it runs inside the world's event loop and must not call into
// the world. c.Seeded gives the seed's value, c.Default a search's.
type Chooser interface {
	Choose(c *Choice) int64
}

// choose asks the world's chooser, or the seed's stream without one.
func (w *World) choose(c Choice) int64 {
	c.w = w
	if w.chooser == nil {
		return c.Seeded()
	}
	return w.askChooser(c)
}

// askChooser is choose with a chooser. It is a function of its own so that
// only its copy of c escapes (the chooser gets a pointer): a world without
// a chooser makes no allocation per choice, two or three per RPC.
func (w *World) askChooser(c Choice) int64 {
	v := w.chooser.Choose(&c)
	if err := c.Valid(v); err != nil {
		w.Fail(fmt.Errorf("labrpc: the chooser gave a bad value at %s: %v (a choices file recorded by another version of the test or the code?)", fmtTime(w.now), err))
		return c.Default()
	}
	return v
}

// The world's three network choices, as network.go and call.go take them.

func (w *World) chooseDelay(from, to int, lo, hi time.Duration) time.Duration {
	if w.chooser == nil {
		// Every message takes this path: it skips building a Choice,
		// which is copied on its way to Seeded (a stall; see queue.add).
		return w.seededDelay(lo, hi)
	}
	return time.Duration(w.choose(Choice{Kind: ChoiceDelay, From: from, To: to, Lo: lo, Hi: hi}))
}

// seededDelay is a message's delay as the seed's network stream gives it
// (Choice.Seeded for ChoiceDelay): uniform in [lo, hi], plus, with the
// profile's LongReorder probability, a long reordering delay.
func (w *World) seededDelay(lo, hi time.Duration) time.Duration {
	d := lo
	if hi > lo {
		d += time.Duration(w.netRand.Int64N(int64(hi - lo + 1)))
	}
	if p := w.profile.LongReorder; p > 0 && w.netRand.Float64() < p {
		d += w.profile.ReorderMin + time.Duration(w.netRand.Int64N(int64(w.profile.ReorderMax-w.profile.ReorderMin+1)))
	}
	return d
}

func (w *World) chooseLoss(p float64) bool {
	if w.chooser == nil && p <= 0 {
		return false // no draw, as before choices existed
	}
	return w.choose(Choice{Kind: ChoiceLoss, From: -1, To: -1, P: p}) != 0
}

func (w *World) chooseTimeout(unreachable bool) time.Duration {
	t := w.profile.Timeout
	return time.Duration(w.choose(Choice{Kind: ChoiceTimeout, From: -1, To: -1, Lo: t / 2, Hi: t, unreachable: unreachable}))
}

// orderTies lets the chooser pick which of the events due at the same time
// as ev runs first (ChoiceOrder). The others go back to the queue with their
// own (at, seq), so they keep their order among themselves. Only a world
// with a Config.Chooser asks; without one, events run in scheduling order.
func (w *World) orderTies(ev event) event {
	if w.q.len() == 0 || w.q.keys[0].at != ev.at {
		return ev
	}
	tied := []event{ev}
	for w.q.len() > 0 && w.q.keys[0].at == ev.at {
		if e := w.q.pop(); !w.stale(&e) {
			tied = append(tied, e) // a stale event would be skipped anyway
		}
	}
	if len(tied) == 1 {
		return ev
	}
	i := w.choose(Choice{Kind: ChoiceOrder, From: -1, To: -1, Hi: time.Duration(len(tied) - 1)})
	for j, e := range tied {
		if int64(j) != i {
			w.q.push(e)
		}
	}
	return tied[i]
}
