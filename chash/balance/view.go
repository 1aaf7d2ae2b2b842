package balance

import "time"

// A View is what one client knows of the servers, indexed 0..N-1 (the
// index is the server's place in the client's list, not its node id): the
// queue lengths of the last load report, and which servers are marked down.
// Every balancer reads it; only the client writes it.
//
// The queue lengths are as old as the report: a board that publishes every
// T gives information between one network delay and T plus that old. A
// balancer that must not trust them (round robin, random, weighted) ignores
// them; one that ranks servers by them (least-loaded, two choices on
// reported loads) inherits their age, which is what the herd is about.
type View struct {
	queue    []int           // reported queue length of each server
	down     []bool          // reported down (drained by its operator)
	heldTill []time.Duration // the client marked it down after a failed call, until then
	asOf     time.Duration   // when the report was taken (the board's clock)
	now      func() time.Duration
}

// NewView returns a view of n servers, all up with empty queues, whose
// failure holds are timed by now (the client's clock).
func NewView(n int, now func() time.Duration) *View {
	return &View{queue: make([]int, n), down: make([]bool, n), heldTill: make([]time.Duration, n), now: now}
}

// N is the number of servers.
func (v *View) N() int { return len(v.queue) }

// Up reports whether server i may be sent a request: not reported down,
// and not held down after a failed call.
func (v *View) Up(i int) bool { return !v.down[i] && v.now() >= v.heldTill[i] }

// Queue is server i's queue length (waiting and in service) in the last report.
func (v *View) Queue(i int) int { return v.queue[i] }

// AsOf is when the last report was taken, by the board's clock.
func (v *View) AsOf() time.Duration { return v.asOf }

// AppendUp appends the servers that are up to dst, in index order.
func (v *View) AppendUp(dst []int) []int {
	for i := range v.queue {
		if v.Up(i) {
			dst = append(dst, i)
		}
	}
	return dst
}

// Report installs a load report: each server's queue length and whether it
// is down, as of the board's time asOf. An older report than the one held
// is ignored (reports can overtake each other on the network).
func (v *View) Report(queue []int, down []bool, asOf time.Duration) {
	if asOf < v.asOf || len(queue) != len(v.queue) || len(down) != len(v.down) {
		return
	}
	copy(v.queue, queue)
	copy(v.down, down)
	v.asOf = asOf
}

// SetDown marks server i down (or up again), as a report saying so would.
func (v *View) SetDown(i int, down bool) { v.down[i] = down }

// SetQueue sets server i's reported queue length (for tests and tools that
// play a report by hand).
func (v *View) SetQueue(i, queue int) { v.queue[i] = queue }

// Hold marks server i down until the client's clock reaches until: a call
// to it failed, so it may be down, and the client tries others meanwhile.
func (v *View) Hold(i int, until time.Duration) { v.heldTill[i] = max(v.heldTill[i], until) }
