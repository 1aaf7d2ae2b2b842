package gossip

import (
	"fmt"
	"time"

	"protolab/labrpc"
)

// Parts 3B and 3C: SWIM, a membership protocol with failure detection
// (Das, Gupta, Motivala 2002, "SWIM: Scalable Weakly-consistent
// Infection-style Process Group Membership Protocol"), and Lifeguard's
// refinements (Dadgar, Phillips, Currey 2018, "Lifeguard: Local Health
// Awareness for More Accurate Failure Detection"), laid out like
// hashicorp/memberlist, one mechanism per file:
//
//	swim.go          the member's state, its configuration, Make
//	members.go       the member table and its transitions (SWIM §4.2)
//	probe.go         the failure detector: ping, ping-req, ack (SWIM §3.1, §4.3)
//	suspicion.go     the suspicion timer (SWIM §4.2; Lifeguard §4.2 in 3C)
//	dissemination.go piggybacked updates with a retransmit limit (SWIM §4.1)
//	pushpull.go      join through a seed, and periodic full-state sync
//	awareness.go     local health awareness (Lifeguard §4.1, part 3C)
//
// Every period each member probes one other; the load per member is
// constant however large the group (SWIM's first promise), and a crash is
// detected by someone within a period or two and known to everyone
// O(log n) periods later (its second).

// SwimConfig sets up a member. DefaultSwimConfig gives memberlist's LAN
// settings.
type SwimConfig struct {
	// Seeds are the members a new member joins through.
	Seeds []int

	ProbeInterval  time.Duration // the protocol period T'
	ProbeTimeout   time.Duration // how long to wait for a direct ack
	IndirectChecks int           // k: members asked to ping-req a silent target

	// RetransmitMult is λ: an update is piggybacked λ·⌈log₁₀(n+1)⌉ times.
	RetransmitMult int
	// MaxPiggyback is how many updates one message carries at most.
	MaxPiggyback int

	// SuspicionMult scales the suspicion timeout: mult·log₁₀(n)·T'.
	SuspicionMult int
	// SuspicionMaxTimeoutMult is Lifeguard's ceiling: a suspicion nobody
	// confirms lasts this many times the minimum (3C).
	SuspicionMaxTimeoutMult int

	// PushPullInterval is how often a member syncs its whole table with a
	// random other; zero turns periodic sync off (joins still use it).
	PushPullInterval time.Duration

	// Lifeguard turns on local health awareness, confirmation-based
	// suspicion timeouts and the buddy system (3C).
	Lifeguard bool
	// AwarenessMax bounds the health multiplier: timeouts stretch up to
	// AwarenessMax times (3C).
	AwarenessMax int

	// Notify, if set, is told of every change of a member's state at this
	// member: memberlist's event delegate. Tests watch the group with it.
	Notify func(Event)
}

// DefaultSwimConfig returns memberlist's DefaultLANConfig settings, with
// three changes, all because here, as in the SWIM paper, news rides only
// on the protocol's own messages (about two a member a period), while
// memberlist also gossips on a timer of its own (three members every
// 200 ms), which spreads a refutation several times faster:
//
//   - λ is 10, not 4. With 4, under 10% loss a refutation sometimes runs
//     out of retransmits before it reaches every member, and a healthy
//     member of 32 is declared dead a few times an hour;
//   - SuspicionMult is 6, not 4: the suspicion must reach the suspect and
//     the refutation come back, a few periods each way;
//   - the push-pull interval is shorter, for the small groups of the tests.
//
// The handout's "Tuning" section has the figures.
func DefaultSwimConfig() SwimConfig {
	return SwimConfig{
		Seeds:                   []int{0},
		ProbeInterval:           time.Second,
		ProbeTimeout:            500 * time.Millisecond,
		IndirectChecks:          3,
		RetransmitMult:          10,
		MaxPiggyback:            8,
		SuspicionMult:           6,
		SuspicionMaxTimeoutMult: 6,
		PushPullInterval:        15 * time.Second,
		AwarenessMax:            8,
	}
}

// State is what a member believes of another.
type State uint8

// The states of a member. Suspect is still a member; dead and left ones
// are not, and are kept only as tombstones that remember the incarnation
// (so that stale news cannot bring them back) until they rejoin with a
// higher one.
const (
	Alive State = iota
	Suspect
	Dead
	Left
)

func (s State) String() string {
	switch s {
	case Alive:
		return "alive"
	case Suspect:
		return "suspect"
	case Dead:
		return "dead"
	case Left:
		return "left"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// An Update is one piece of membership news: member is in state at
// incarnation, as From says. It is what dissemination piggybacks and what
// push-pull exchanges by the table-full.
type Update struct {
	Member      int
	State       State
	Incarnation uint64
	From        int
}

// An Event tells a Notify function that Node changed its view of Member.
type Event struct {
	At          time.Duration
	Node        int
	Member      int
	From, To    State
	Incarnation uint64
	New         bool // Member was unknown to Node until now
}

// Swim is one member. Its RPC handlers are Ping, PingReq and IndirectAck
// (probe.go) and PushPull (pushpull.go).
type Swim struct {
	env labrpc.Env
	cfg SwimConfig
	me  int

	// incarnation is this member's own: only it may raise it, to refute a
	// suspicion (SWIM §4.2) or to leave.
	incarnation uint64
	leaving     bool

	// members is the table, indexed by id; nil for a member never heard
	// of. The ids are the world's, so iterating by index is deterministic.
	// groupSize counts its rows alive or suspected (numMembers).
	members   []*member
	groupSize int

	// probing (probe.go)
	probeList []int
	probeNext int
	probeSeq  uint64
	probe     *probeRun

	// suspicion timers by member (suspicion.go)
	suspicions map[int]*suspicion

	// piggyback queue (dissemination.go)
	queue broadcastQueue

	// local health (awareness.go, 3C)
	awareness awareness

	joined bool
}

type member struct {
	id          int
	state       State
	incarnation uint64
}

// MakeSwim starts a member: it knows only itself, joins through a seed,
// and starts probing and (every PushPullInterval) syncing.
func MakeSwim(env labrpc.Env, cfg SwimConfig) *Swim {
	s := &Swim{env: env, cfg: cfg, me: env.Me(),
		members:    make([]*member, len(env.Peers())),
		suspicions: map[int]*suspicion{},
		awareness:  awareness{max: cfg.AwarenessMax},
	}
	s.addMember(s.me, 0)
	//lab:solution 3B
	s.queue.add(Update{Member: s.me, State: Alive, Incarnation: 0, From: s.me})
	// Start after a random part of a period, so that members started
	// together do not probe in lockstep.
	stagger := time.Duration(env.Rand().Int64N(int64(cfg.ProbeInterval)))
	env.After(stagger, s.probeTick)
	env.After(0, s.join)
	if cfg.PushPullInterval > 0 {
		env.After(stagger+cfg.PushPullInterval, s.pushPullTick)
	}
	//lab:stub
	// TODO(3B): queue the news that this member is alive, start the probe
	// timer (after a random stagger within a period), join through a seed
	// (after boot: env.After(0, s.join)) and start periodic push-pull.
	//lab:end
	return s
}

// Incarnation is this member's own incarnation number.
func (s *Swim) Incarnation() uint64 { return s.incarnation }

// Health is this member's local health score (0 is healthy; 3C).
func (s *Swim) Health() int { return s.awareness.score }

// scale stretches a timeout by this member's health multiplier when
// Lifeguard is on (3C): a member that misses its own deadlines gives
// others more time.
func (s *Swim) scale(d time.Duration) time.Duration {
	if !s.cfg.Lifeguard {
		return d
	}
	return s.awareness.scale(d)
}
