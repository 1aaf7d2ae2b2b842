package labrpc

import "fmt"

// Invariants stated in node code.
//
// A protocol package states the invariants it relies on where they hold, as
// etcd's raft does in its log ("commitIndex never decreases") and as the
// paper states them beside its rules: a reader sees the invariant next to
// the code that keeps it, and a run that breaks it stops at the first wrong
// step, not thousands of events later when a checker notices the damage.
//
// The check is the caller's plain if, so that it costs nothing while the
// invariant holds (no arguments are boxed); Violated is called only when it
// does not:
//
//	if n < rf.commitIndex {
//		labrpc.Violated("commitIndex never decreases (Figure 2)",
//			"commitTo(%d) with commitIndex %d", n, rf.commitIndex)
//	}
//
// Violated panics with an *InvariantError. In the simulator a panic in node
// code stops the run as a failure that names the node, what it was handling
// and the virtual time, with the stack (World.fire), and an InvariantError is
// told as the check it is, not as a crash; the test then prints the usual
// replay line and timeline:
//
//	n2 broke an invariant in Raft.AppendEntries handler at 1.234567s:
//	commitIndex never decreases (Figure 2): commitTo(3) with commitIndex 5
//
// so an invariant needs no path of its own through the world, and node code
// needs nothing beyond its Env.

// An InvariantError is the panic value of Violated: which invariant broke,
// and the values that break it.
type InvariantError struct {
	// Invariant names the invariant and where it is stated, as the paper
	// or the handout says it: "commitIndex never decreases (Figure 2)".
	Invariant string
	// Detail gives the values that break it.
	Detail string
}

func (e *InvariantError) Error() string {
	return "invariant violated: " + e.Invariant + ": " + e.Detail
}

// Violated stops the run because the invariant named by invariant does not
// hold; format and args say with which values. Node code calls it inside the
// if that tests the invariant. An empty invariant name is itself a misuse,
// reported as such.
func Violated(invariant, format string, args ...any) {
	if invariant == "" {
		invariant = "(unnamed: pass Violated the invariant's name and where it is stated, as in \"commitIndex never decreases (Figure 2)\")"
	}
	panic(&InvariantError{Invariant: invariant, Detail: fmt.Sprintf(format, args...)})
}
