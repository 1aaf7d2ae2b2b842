package labrpc

import (
	"fmt"
	"strings"
	"time"
)

// A Profile describes how the network treats messages. Every field is a
// probability or a range of virtual time; the draws come from the network's
// own random stream, so a profile with the same seed loses the same messages.
type Profile struct {
	Name string

	// DropRequest and DropReply are the chances that a request, or a reply,
	// is lost. A lost message's call completes with ok=false after Timeout.
	DropRequest float64
	DropReply   float64
	// Duplicate is the chance that a request is delivered twice (the
	// handler runs twice; the first reply to arrive counts). At-most-once
	// servers must survive it.
	Duplicate float64

	// Each message takes a delay drawn uniformly from [MinDelay, MaxDelay].
	MinDelay, MaxDelay time.Duration
	// LongReorder is the chance that a message is held back an extra
	// [ReorderMin, ReorderMax]: later messages overtake it.
	LongReorder            float64
	ReorderMin, ReorderMax time.Duration

	// Timeout is how long a call whose message was lost waits before it
	// completes with ok=false (drawn from [Timeout/2, Timeout]).
	Timeout time.Duration
	// DeadTimeout, if set, replaces Timeout for calls to a node that is down
	// or cut off: up to DeadTimeout, as a real RPC library's connect timeout
	// would. Protocols must not wait on such calls (send RPCs in parallel).
	DeadTimeout time.Duration
}

// Named profiles. Tests and `lab run --faults` refer to them by name.
var profiles = []Profile{
	{Name: "reliable", MinDelay: 1 * time.Millisecond, MaxDelay: 5 * time.Millisecond,
		Timeout: 100 * time.Millisecond},
	{Name: "unreliable", DropRequest: 0.1, DropReply: 0.1, MaxDelay: 27 * time.Millisecond,
		Timeout: 100 * time.Millisecond},
	{Name: "reorder", DropRequest: 0.1, DropReply: 0.1, MaxDelay: 27 * time.Millisecond,
		LongReorder: 0.5, ReorderMin: 200 * time.Millisecond, ReorderMax: 2200 * time.Millisecond,
		Timeout: 100 * time.Millisecond},
	{Name: "duplicating", Duplicate: 0.2, DropRequest: 0.1, DropReply: 0.1, MaxDelay: 27 * time.Millisecond,
		Timeout: 100 * time.Millisecond},
	{Name: "lossy", DropRequest: 0.3, DropReply: 0.3, MaxDelay: 10 * time.Millisecond,
		Timeout: 100 * time.Millisecond},
	{Name: "slow-dead", MinDelay: 1 * time.Millisecond, MaxDelay: 5 * time.Millisecond,
		Timeout: 100 * time.Millisecond, DeadTimeout: 7 * time.Second},
	{Name: "wan", MinDelay: 100 * time.Millisecond, MaxDelay: 100 * time.Millisecond,
		Timeout: 500 * time.Millisecond},
}

// ProfileNames lists the named profiles.
func ProfileNames() []string {
	var names []string
	for _, p := range profiles {
		names = append(names, p.Name)
	}
	return names
}

// NamedProfile returns the profile called name, or an error listing the
// names there are.
func NamedProfile(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("labrpc: no network profile %q; choose one of: %s", name, strings.Join(ProfileNames(), ", "))
}

// MustProfile is NamedProfile for names written in code.
func MustProfile(name string) Profile {
	p, err := NamedProfile(name)
	if err != nil {
		panic(err)
	}
	return p
}

func (p Profile) validate() error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"DropRequest", p.DropRequest}, {"DropReply", p.DropReply}, {"Duplicate", p.Duplicate}, {"LongReorder", p.LongReorder}} {
		if f.v < 0 || f.v > 1 {
			return fmt.Errorf("labrpc: profile %q: %s = %v is not a probability in [0, 1]", p.Name, f.name, f.v)
		}
	}
	if p.MinDelay < 0 || p.MaxDelay < p.MinDelay {
		return fmt.Errorf("labrpc: profile %q: delays must satisfy 0 <= MinDelay <= MaxDelay (got %v, %v)", p.Name, p.MinDelay, p.MaxDelay)
	}
	if p.LongReorder > 0 && (p.ReorderMin < 0 || p.ReorderMax < p.ReorderMin) {
		return fmt.Errorf("labrpc: profile %q: reordering needs 0 <= ReorderMin <= ReorderMax", p.Name)
	}
	if p.Timeout <= 0 {
		return fmt.Errorf("labrpc: profile %q: Timeout must be positive, so that every Call completes", p.Name)
	}
	return nil
}

// link is a directed pair of endpoints.
type link struct{ from, to int32 }

// SetProfile changes how the network treats messages from now on. Messages
// already in flight keep the fate they were given when sent.
func (w *World) SetProfile(p Profile) {
	if !w.owned() {
		w.strayCall("World.SetProfile", -1)
	}
	if err := p.validate(); err != nil {
		w.misuse(err)
		return
	}
	w.profile = p
	w.fault("network profile " + p.Name)
}

// Profile is the network's current profile.
func (w *World) Profile() Profile { return w.profile }

// SetReliable turns message loss off, or on with 10% loss each way and short
// random delays, keeping the rest of the profile.
func (w *World) SetReliable(reliable bool) {
	if !w.owned() {
		w.strayCall("World.SetReliable", -1)
	}
	p := w.profile
	if reliable {
		p.DropRequest, p.DropReply = 0, 0
		p.Name = strings.TrimSuffix(p.Name, "+unreliable")
	} else {
		p.DropRequest, p.DropReply = 0.1, 0.1
		p.MaxDelay = max(p.MaxDelay, 27*time.Millisecond)
		p.Name = strings.TrimSuffix(p.Name, "+unreliable") + "+unreliable"
	}
	w.SetProfile(p)
}

// SetLongReordering turns long reordering on (half the messages held back
// 200ms to 2.2s) or off.
func (w *World) SetLongReordering(on bool) {
	if !w.owned() {
		w.strayCall("World.SetLongReordering", -1)
	}
	p := w.profile
	p.Name = strings.TrimSuffix(p.Name, "+reorder")
	if on {
		p.LongReorder, p.ReorderMin, p.ReorderMax = 0.5, 200*time.Millisecond, 2200*time.Millisecond
		p.Name += "+reorder"
	} else {
		p.LongReorder = 0
	}
	w.SetProfile(p)
}

// Connect enables every link of endpoint id; Disconnect disables them all,
// as if its cable were pulled. The node keeps running.
func (w *World) Connect(id int) {
	if !w.owned() {
		w.strayCall("World.Connect", -1)
	}
	if w.checkID(id) {
		w.ends[id].disabled = false
		w.fault(fmt.Sprintf("connect %s", w.Name(id)))
	}
}

// Disconnect disables every link of endpoint id (see Connect).
func (w *World) Disconnect(id int) {
	if !w.owned() {
		w.strayCall("World.Disconnect", -1)
	}
	if w.checkID(id) {
		w.ends[id].disabled = true
		w.fault(fmt.Sprintf("disconnect %s", w.Name(id)))
	}
}

// Connected reports whether endpoint id's links are enabled.
func (w *World) Connected(id int) bool {
	if !w.owned() {
		w.strayCall("World.Connected", -1)
	}
	return w.checkID(id) && !w.ends[id].disabled
}

// Partition splits endpoints into groups that cannot reach one another.
// An endpoint named in no group (clients, unless listed) reaches every group.
// Partition replaces any earlier partition; links disabled by Disconnect and
// one-way cuts stay as they are.
func (w *World) Partition(groups ...[]int) {
	if !w.owned() {
		w.strayCall("World.Partition", -1)
	}
	for i := range w.ends {
		w.ends[i].group = 0
	}
	var desc []string
	for g, members := range groups {
		for _, id := range members {
			if !w.checkID(id) {
				return
			}
			w.ends[id].group = int32(g + 1)
		}
		names := make([]string, len(members))
		for i, id := range members {
			names[i] = w.Name(id)
		}
		desc = append(desc, "["+strings.Join(names, " ")+"]")
	}
	w.fault("partition " + strings.Join(desc, " | "))
}

// Deafen makes endpoint id deaf: every request sent to it is lost, while
// the requests it sends, and the replies to them, still pass. It is a
// server that stopped accepting connections but whose own outgoing
// connections stay open (the "deaf peer" of Paxos tests). Undeafen or Heal
// ends it.
func (w *World) Deafen(id int) {
	if !w.owned() {
		w.strayCall("World.Deafen", -1)
	}
	if w.checkID(id) {
		w.ends[id].deaf = true
		w.fault(fmt.Sprintf("deafen %s", w.Name(id)))
	}
}

// Undeafen lets requests reach endpoint id again (see Deafen).
func (w *World) Undeafen(id int) {
	if !w.owned() {
		w.strayCall("World.Undeafen", -1)
	}
	if w.checkID(id) {
		w.ends[id].deaf = false
		w.fault(fmt.Sprintf("undeafen %s", w.Name(id)))
	}
}

// Heal undoes Partition, every one-way cut and every Deafen, and reconnects
// every endpoint.
func (w *World) Heal() {
	if !w.owned() {
		w.strayCall("World.Heal", -1)
	}
	for i := range w.ends {
		w.ends[i].group = 0
		w.ends[i].disabled = false
		w.ends[i].deaf = false
	}
	clear(w.cuts)
	w.fault("heal")
}

// Cut blocks messages from one endpoint to another, one way only: replies
// and requests from `to` to `from` still pass.
func (w *World) Cut(from, to int) {
	if !w.owned() {
		w.strayCall("World.Cut", -1)
	}
	if w.checkID(from) && w.checkID(to) {
		w.cuts[link{int32(from), int32(to)}] = true
		w.fault(fmt.Sprintf("cut %s→%s", w.Name(from), w.Name(to)))
	}
}

// Uncut restores the link from one endpoint to another.
func (w *World) Uncut(from, to int) {
	if !w.owned() {
		w.strayCall("World.Uncut", -1)
	}
	if w.checkID(from) && w.checkID(to) {
		delete(w.cuts, link{int32(from), int32(to)})
		w.fault(fmt.Sprintf("uncut %s→%s", w.Name(from), w.Name(to)))
	}
}

// SetLinkDelay gives the link from one endpoint to another its own delay
// range, overriding the profile's (a slow WAN link, a straggler).
func (w *World) SetLinkDelay(from, to int, min, max time.Duration) {
	if !w.owned() {
		w.strayCall("World.SetLinkDelay", -1)
	}
	if !w.checkID(from) || !w.checkID(to) {
		return
	}
	if min < 0 || max < min {
		w.misuse(fmt.Errorf("labrpc: SetLinkDelay(%d, %d): need 0 <= min <= max, got %v, %v", from, to, min, max))
		return
	}
	w.linkDelay[link{int32(from), int32(to)}] = [2]time.Duration{min, max}
	w.fault(fmt.Sprintf("delay %s→%s %v..%v", w.Name(from), w.Name(to), min, max))
}

// Reachable reports whether a message from one endpoint to another would
// pass the links right now (it may still be lost by the profile).
func (w *World) Reachable(from, to int) bool {
	if !w.owned() {
		w.strayCall("World.Reachable", -1)
	}
	if !w.endpointID("World.Reachable", from) || !w.endpointID("World.Reachable", to) {
		return false
	}
	return w.reachable(from, to)
}

func (w *World) reachable(from, to int) bool {
	a, b := &w.ends[from], &w.ends[to]
	if a.disabled || b.disabled {
		return false
	}
	if a.group != 0 && b.group != 0 && a.group != b.group {
		return false
	}
	return len(w.cuts) == 0 || !w.cuts[link{int32(from), int32(to)}]
}

// delay draws one message's delay over the link.
func (w *World) delay(from, to int) time.Duration {
	lo, hi := w.profile.MinDelay, w.profile.MaxDelay
	if len(w.linkDelay) > 0 {
		if d, ok := w.linkDelay[link{int32(from), int32(to)}]; ok {
			lo, hi = d[0], d[1]
		}
	}
	return w.chooseDelay(from, to, lo, hi) // the seed's draw unless a Chooser is set (choice.go)
}

// lossTimeout draws how long a call whose message was lost waits before
// it completes with ok=false. unreachable says the peer is down or cut off.
func (w *World) lossTimeout(unreachable bool) time.Duration {
	return w.chooseTimeout(unreachable)
}

func (w *World) chance(p float64) bool { return w.chooseLoss(p) }
