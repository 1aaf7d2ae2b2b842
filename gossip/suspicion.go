package gossip

import (
	//lab:solution 3B
	"math"
	//lab:end
	"time"

	"protolab/labrpc"
)

// The suspicion mechanism (SWIM §4.2). A member that fails a probe does not
// declare its target dead at once: it marks it suspect and tells everyone,
// and every member that hears starts a timer. If the suspect hears of it
// in time, it refutes with a higher incarnation, and the timers are
// cancelled; if a timer expires first, its member declares the suspect
// dead. The timeout must outlast the news's trip to the suspect and the
// refutation's trip back, which take O(log n) periods: so it scales with
// log n (memberlist: SuspicionMult·log₁₀(n)·T').
//
// Lifeguard (§4.2, part 3C) makes the timeout dynamic: it starts long
// (SuspicionMaxTimeoutMult times the minimum) and shrinks towards the
// minimum as independent suspicions of the same member arrive. A lone
// accuser, who may be the slow one itself, cannot get a member killed
// quickly; a member that many cannot reach is declared dead as fast as
// before.

// suspicion is one member's timer on a suspect.
type suspicion struct {
	env        labrpc.Env
	k          int           // confirmations that bring the timeout to min
	min, max   time.Duration // the timeout's range
	start      time.Duration // when the suspicion began here
	confirmers []int         // members whose suspicions count, the first accuser included
	cancel     func()
	expire     func()
}

// suspicionTimeout is the minimum suspicion timeout in a group of n:
// mult·max(1, log₁₀ n)·interval (memberlist's suspicionTimeout). With
// mult 4 and a 1 s period: 4 s up to 10 members, 6 s at 32, 8.4 s at 128.
func suspicionTimeout(mult, n int, interval time.Duration) time.Duration {
	//lab:solution 3B
	scale := math.Max(1, math.Log10(math.Max(1, float64(n))))
	return time.Duration(float64(mult) * scale * float64(interval))
	//lab:stub
	// TODO(3B): mult·max(1, log₁₀ n)·interval.
	//> return time.Duration(mult) * interval
	//lab:end
}

// SuspicionTimeout is the suspicion timeout this configuration gives a
// group of n members (under Lifeguard, the minimum one).
func (cfg SwimConfig) SuspicionTimeout(n int) time.Duration {
	return suspicionTimeout(cfg.SuspicionMult, n, cfg.ProbeInterval)
}

// remainingSuspicionTime is how much of a suspicion's timeout is left after
// elapsed, with n confirmations of the k expected, in [min, max]
// (Lifeguard §4.2, memberlist's remainingSuspicionTime):
//
//	timeout = max - (max-min)·log(n+1)/log(k+1),  at least min
//
// Each confirmation takes a share off, the first ones the most. With k = 0
// there is nothing to wait for: the timeout is min. The result is never
// below zero... but may be zero: time is up.
func remainingSuspicionTime(n, k int, elapsed, min, max time.Duration) time.Duration {
	//lab:solution 3C
	if k < 1 {
		return clampZero(min - elapsed)
	}
	frac := math.Log(float64(n)+1) / math.Log(float64(k)+1)
	raw := max.Seconds() - frac*(max.Seconds()-min.Seconds())
	timeout := time.Duration(math.Floor(1000*raw)) * time.Millisecond
	if timeout < min {
		timeout = min
	}
	return clampZero(timeout - elapsed)
	//lab:stub
	// TODO(3C): max - (max-min)·log(n+1)/log(k+1), no less than min (just
	// min when k < 1), minus elapsed, no less than zero.
	//> return clampZero(min - elapsed)
	//lab:end
}

func clampZero(d time.Duration) time.Duration { return max(d, 0) }

// startSuspicion starts this member's timer on suspect m, accused by from.
// Under Lifeguard the timer starts at the maximum and waits for
// confirmations; without, it is the minimum and fixed.
func (s *Swim) startSuspicion(m *member, from int) {
	//lab:solution 3B
	s.cancelSuspicion(m.id)
	n := s.numMembers()
	min := suspicionTimeout(s.cfg.SuspicionMult, n, s.cfg.ProbeInterval)
	sus := &suspicion{env: s.env, min: min, max: min, start: s.env.Now(), confirmers: []int{from}}
	//lab:end
	//lab:solution 3C
	if s.cfg.Lifeguard {
		// Expect SuspicionMult-2 confirmations, so that with all of them the
		// timeout is the nominal one less two periods (memberlist); none
		// in a group too small to give them (n minus me and the suspect).
		sus.k = s.cfg.SuspicionMult - 2
		if n-2 < sus.k {
			sus.k = 0
		}
		sus.max = time.Duration(s.cfg.SuspicionMaxTimeoutMult) * min
	}
	//lab:stub
	// TODO(3C): under Lifeguard, expect sus.k = SuspicionMult-2
	// confirmations (none if n-2 < k) and let the timeout start at
	// sus.max = SuspicionMaxTimeoutMult·min.
	//lab:end
	//lab:solution 3B
	id, inc := m.id, m.incarnation
	sus.expire = func() {
		delete(s.suspicions, id)
		if cur := s.members[id]; cur.state == Suspect && cur.incarnation == inc {
			s.env.Logf("suspect", "n%d timed out", id)
			s.deadNode(Update{Member: id, State: Dead, Incarnation: inc, From: s.me})
		}
	}
	s.suspicions[id] = sus
	sus.cancel = s.env.After(remainingSuspicionTime(0, sus.k, 0, sus.min, sus.max), sus.expire)
	//lab:stub
	// TODO(3B): start a timer of suspicionTimeout for the group's current
	// size; when it fires, if m is still suspect at the same incarnation,
	// declare it dead (deadNode, from me). Keep it in s.suspicions so that
	// a refutation can cancel it.
	//lab:end
}

// cancelSuspicion stops the timer on member id, if there is one.
func (s *Swim) cancelSuspicion(id int) {
	//lab:solution 3B
	if sus := s.suspicions[id]; sus != nil {
		sus.cancel()
		delete(s.suspicions, id)
	}
	//lab:stub
	// TODO(3B): cancel and forget the timer on id, if any.
	//lab:end
}

// confirm counts another member's suspicion of the same suspect at the
// same incarnation. A new, independent confirmation shortens the timeout
// (Lifeguard §4.2) and is worth passing on; it reports whether this one
// was new. Without Lifeguard (k = 0) nothing is counted.
func (sus *suspicion) confirm(from int) bool {
	//lab:solution 3C
	if len(sus.confirmers)-1 >= sus.k {
		return false // all the confirmations we wait for are in
	}
	for _, c := range sus.confirmers {
		if c == from {
			return false // the same accuser again is not independent
		}
	}
	sus.confirmers = append(sus.confirmers, from)
	sus.cancel()
	elapsed := sus.env.Now() - sus.start
	sus.cancel = sus.env.After(remainingSuspicionTime(len(sus.confirmers)-1, sus.k, elapsed, sus.min, sus.max), sus.expire)
	return true
	//lab:stub
	// TODO(3C): ignore a confirmation once k are in, or from a member
	// already counted; otherwise record it, and re-arm the timer for the
	// time that remains (remainingSuspicionTime, with the confirmations
	// beyond the first accuser).
	//> return false
	//lab:end
}
