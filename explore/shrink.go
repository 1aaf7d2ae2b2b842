package explore

import "protolab/labrpc"

// Shrinking. A failing schedule found at random carries hundreds of
// choices that had nothing to do with the failure: every delay the seed
// drew, losses long before the bug. Shrinking replays the run with fewer
// of them, keeping a smaller schedule whenever it still breaks the same
// invariant (SameFailure), until no single step helps or the budget
// (Options.Shrink runs) is spent:
//
//  1. every choice that is not a fault (a delay within the profile's range,
//     another order of events due at once) back to the default, at once;
//  2. delta debugging over the choices left (Zeller and Hildebrandt, TSE
//     2002): drop half of them, then quarters, ..., then one at a time;
//  3. each message still held past the profile's range held only to its
//     longest delay (no longer a fault).
//
// Positions are replayed as they are: after a change, the i-th choice may
// be about another message than before. That is fine: every candidate is
// run, and only a run that fails the same way is kept.
func (s *search) shrink() {
	f := s.found
	cur, points, steps := planOf(s.foundPoints), s.foundPoints, int64(f.Before.Events)
	budget := s.o.Shrink
	size := func(sum Summary) [3]int { return [3]int{sum.Faults, sum.Varied, sum.Events} }
	best := size(f.Before)
	first := true
	// try runs a candidate and keeps it if it fails the same way and is
	// smaller: fewer faults, else fewer varied choices, else fewer events.
	try := func(p Plan) bool {
		if budget <= 0 {
			return false
		}
		budget--
		f.Shrinks++
		r := &recorder{plan: p, kinds: kindsOf(points)}
		res := s.run(f.Seed, r)
		if !SameFailure(res.Err, f.Err) {
			return false
		}
		sz := size(summarize(r.points, res.Steps))
		if !first && !less(sz, best) {
			return false
		}
		first = false
		best = sz
		cur, points, steps = planOf(r.points), r.points, res.Steps
		f.Err = res.Err
		return true
	}
	if !try(cur) {
		// The exact replay over a default rest does not fail: keep the run
		// as found, with its seeded rest (it replays as it was found).
		f.Plan.Rest = RestSeeded
		return
	}
	// 1. Jitter to defaults.
	faults := Plan{Set: map[int]int64{}}
	for _, pos := range cur.Positions() {
		if points[pos].Fault() {
			faults.Set[pos] = cur.Set[pos]
		}
	}
	if len(faults.Set) < len(cur.Set) {
		try(faults)
	}
	// 2. Delta debugging over what is left.
	for chunk := max(len(cur.Set)/2, 1); budget > 0; {
		pos := cur.Positions()
		progress := false
		for i := 0; i < len(pos) && budget > 0; i += chunk {
			cand := Plan{Set: map[int]int64{}}
			for j, p := range pos {
				if j < i || j >= i+chunk {
					cand.Set[p] = cur.Set[p]
				}
			}
			if try(cand) {
				progress = true
				break // positions changed: start over at this chunk size
			}
		}
		if progress {
			continue
		}
		if chunk == 1 {
			break
		}
		chunk = max(chunk/2, 1)
	}
	// 3. Long delays back within the profile's range.
	for _, pos := range cur.Positions() {
		if budget <= 0 {
			break
		}
		if pos < len(points) && points[pos].Kind == labrpc.ChoiceDelay && points[pos].Fault() {
			try(cur.with(pos, points[pos].Hi))
		}
	}
	f.Plan, f.Kinds = cur, kindsOf(points)
	f.After = summarize(points, steps)
}

func less(a, b [3]int) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
