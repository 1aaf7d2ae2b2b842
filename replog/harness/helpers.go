package harness

import (
	"time"

	"protolab/replog"
)

// The helpers scenarios are written with, after MIT 6.5840's Raft tester.

// Leader is the running, connected peer that leads with the highest term
// or ballot, or -1 if none does.
func (c *Cluster) Leader() int {
	leader, best := -1, -1
	for i := 0; i < c.n; i++ {
		if !c.Up(i) {
			continue
		}
		if term, isLeader := c.peers[i].GetState(); isLeader && term > best {
			leader, best = i, term
		}
	}
	return leader
}

// CheckOneLeader waits until a peer that runs and is connected leads, and
// returns it (the one with the highest term or ballot if several believe
// they lead). Two leaders with one term stop the run at once: the checker
// sees every leader after every event.
func (c *Cluster) CheckOneLeader() int {
	if c.rep != nil {
		c.rep.Helper()
	}
	leader := -1
	if !c.w.WaitUntil(func() bool { leader = c.Leader(); return leader >= 0 }, 50*time.Millisecond, 5*time.Second) {
		c.Fatalf("no leader among the connected peers after 5s (expected one, Raft §5.2)")
	}
	return leader
}

// NCommitted is how many peers have applied index (a crashed peer counts
// what it applied until it restarts), and the command there.
func (c *Cluster) NCommitted(index int) (int, any) {
	count := 0
	for i := 0; i < c.n; i++ {
		if c.check.Applied(i) >= index {
			count++
		}
	}
	return count, c.check.CommandAt(index)
}

// One submits cmd to a leader and waits until expected peers have applied
// it; it returns the command's index. It tries the peers in turn until one
// takes the command; if the command then does not commit within 2s it
// fails, unless retry, in which case it submits it again (for scenarios
// where a leader may lose its office meanwhile). After 10s it fails in any
// case.
func (c *Cluster) One(cmd any, expected int, retry bool) int {
	if c.rep != nil {
		c.rep.Helper()
	}
	deadline := c.w.Now() + 10*time.Second
	next := 0
	for c.w.Now() < deadline {
		index := -1
		for k := 0; k < c.n; k++ {
			i := next
			next = (next + 1) % c.n
			if !c.Up(i) {
				continue
			}
			if idx, _, ok := c.peers[i].Start(cmd); ok {
				index = idx
				break
			}
		}
		if index < 0 {
			c.w.Sleep(50 * time.Millisecond)
			continue
		}
		until := c.w.Now() + 2*time.Second
		for c.w.Now() < until {
			if n, got := c.NCommitted(index); n > 0 && n >= expected && replog.SameCommand(got, cmd) {
				return index
			}
			c.w.Sleep(20 * time.Millisecond)
		}
		if !retry {
			n, got := c.NCommitted(index)
			c.Fatalf("one(%s): %d of the %d expected peers applied index %d within 2s (it holds %s)", replog.Show(cmd), n, expected, index, replog.Show(got))
		}
	}
	c.Fatalf("one(%s): no agreement within 10s", replog.Show(cmd))
	return -1
}

// Wait waits until n peers have applied index and returns the command
// there; it fails if they have not after about 25s.
func (c *Cluster) Wait(index, n int) any {
	if c.rep != nil {
		c.rep.Helper()
	}
	return c.WaitInTerm(index, n, -1)
}

// WaitInTerm is Wait for a command started in startTerm: it gives up
// (returning nil) once a peer has moved past startTerm, since the command
// may then never commit. A startTerm of -1 never gives up.
func (c *Cluster) WaitInTerm(index, n int, startTerm int) any {
	if c.rep != nil {
		c.rep.Helper()
	}
	to := 10 * time.Millisecond
	for iters := 0; iters < 30; iters++ {
		if nd, _ := c.NCommitted(index); nd >= n {
			break
		}
		c.w.Sleep(to)
		if to < time.Second {
			to *= 2
		}
		if startTerm > -1 {
			for i := 0; i < c.n; i++ {
				if p := c.Peer(i); p != nil {
					if t, _ := p.GetState(); t > startTerm {
						return nil
					}
				}
			}
		}
	}
	nd, cmd := c.NCommitted(index)
	if nd < n {
		c.Fatalf("only %d peers applied index %d; wanted %d", nd, index, n)
	}
	return cmd
}
