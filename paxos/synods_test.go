package paxos

import (
	"crypto/sha256"
	"fmt"
	"time"

	"protolab/labrpc"
	"protolab/tests"
)

// synods is a group of Synod peers in a simulated world, with the safety
// check of part 5A: for each instance, at most one value is ever decided, and
// only a value that some peer proposed (Paxos Made Simple §2.1). Every
// decision is checked as it happens, through the callback a Synod calls when
// it learns a value; the check remembers forgotten instances too.
type synods struct {
	t *tests.T
	w *labrpc.World
	n int

	proposed map[int]map[string]bool // instance → the values proposed for it, as keys
	chosen   map[int]decision        // instance → the first decision seen
	err      error                   // the first violation; the world's check reports it
}

type decision struct {
	key  string
	peer int
	at   time.Duration
}

func newSynods(t *tests.T, n int, profile labrpc.Profile) *synods {
	c := &synods{t: t, n: n, proposed: map[int]map[string]bool{}, chosen: map[int]decision{}}
	c.w = t.NewWorld(labrpc.Config{Nodes: n, Profile: profile})
	c.w.Check(func() error { return c.err })
	for i := 0; i < n; i++ {
		c.w.Start(i, c.boot)
	}
	return c
}

func (c *synods) boot(env labrpc.Env) any {
	me := env.Me()
	return MakeSynod(env, env.Persister(), func(seq int, v any) { c.onDecide(me, seq, v) })
}

func (c *synods) onDecide(peer, seq int, v any) {
	if c.err != nil {
		return
	}
	k := valueKey(v)
	if !c.proposed[seq][k] {
		c.err = fmt.Errorf("n%d decided instance %d = %s, which no peer proposed (Paxos Made Simple §2.1: only a value that has been proposed may be chosen)", peer, seq, short(v))
		return
	}
	first, ok := c.chosen[seq]
	if !ok {
		c.chosen[seq] = decision{key: k, peer: peer, at: c.w.Now()}
		return
	}
	if first.key != k {
		c.err = fmt.Errorf("instance %d: n%d decided %s at %v, but n%d had decided %s at %v: two values chosen (Paxos Made Simple §2.1: only a single value is chosen)",
			seq, peer, short(v), c.w.Now(), first.peer, first.key, first.at)
	}
}

// valueKey identifies a value in the check without keeping it: the
// memory test proposes megabyte values, which the check must not hold on to.
func valueKey(v any) string {
	s := fmt.Sprintf("%T:%v", v, v)
	if len(s) <= 40 {
		return s
	}
	return fmt.Sprintf("%.20s…#%x", s, sha256.Sum256([]byte(s)))
}

// px returns peer i's Synod, or nil if it is down.
func (c *synods) px(i int) *Synod {
	if s, ok := c.w.Service(i, "Synod").(*Synod); ok {
		return s
	}
	return nil
}

// start has peer i propose v for instance seq.
func (c *synods) start(i, seq int, v any) {
	if c.proposed[seq] == nil {
		c.proposed[seq] = map[string]bool{}
	}
	c.proposed[seq][valueKey(v)] = true
	c.px(i).Start(seq, v)
}

// ndecided counts the running peers whose Status says seq is decided, and
// checks that each reports the value that was chosen.
func (c *synods) ndecided(seq int) int {
	count := 0
	for i := 0; i < c.n; i++ {
		px := c.px(i)
		if px == nil {
			continue
		}
		fate, v := px.Status(seq)
		if fate != Decided {
			continue
		}
		if k := valueKey(v); k != c.chosen[seq].key {
			c.t.Fatalf("n%d: Status(%d) = Decided %s, but the value decided is %s", i, seq, short(v), c.chosen[seq].key)
		}
		count++
	}
	return count
}

// waitn waits (in virtual time) until at least wanted peers know instance
// seq's value.
func (c *synods) waitn(seq, wanted int) {
	c.t.Helper()
	if !c.w.WaitUntil(func() bool { return c.ndecided(seq) >= wanted }, 10*time.Millisecond, 20*time.Second) {
		c.t.Fatalf("instance %d: only %d peers decided after 20s of virtual time; want %d", seq, c.ndecided(seq), wanted)
	}
}

func (c *synods) waitmajority(seq int) { c.t.Helper(); c.waitn(seq, c.n/2+1) }

// checkmax requires that at most max peers know instance seq's value.
func (c *synods) checkmax(seq, max int) {
	c.t.Helper()
	if n := c.ndecided(seq); n > max {
		c.t.Fatalf("instance %d: %d peers decided; at most %d may", seq, n, max)
	}
}

// value is the value chosen for seq, as its key.
func (c *synods) value(seq int) string { return c.chosen[seq].key }

// fixedDelay is a reliable network whose every message takes exactly d:
// the scripted scenarios rely on knowing what arrives when.
func fixedDelay(d time.Duration) labrpc.Profile {
	return labrpc.Profile{Name: fmt.Sprintf("fixed-%v", d), MinDelay: d, MaxDelay: d, Timeout: 100 * time.Millisecond}
}

var (
	reliable   = labrpc.MustProfile("reliable")
	unreliable = labrpc.MustProfile("unreliable")
)
