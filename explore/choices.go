// Package explore searches a simulated test's schedules on purpose instead
// of by chance: it runs the test again and again, each time with other
// choices for the world to take (which message is lost, how long one
// travels, which of two events due at once runs first), looking for a run
// that breaks one of the test's invariants; it then shrinks the run it
// found to one with as few faults and events as it can. docs/explore.md
// explains the strategies (random, PCT, bounded search, staged goals) and
// how to read what they find.
//
// The package knows no lab and no test: a Runner (package tests provides
// one) runs the scenario once with a chooser and says how it ended.
package explore

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"protolab/labrpc"
)

// A Point is one choice a run took: what was asked, and what was chosen.
type Point struct {
	Kind     labrpc.ChoiceKind
	Value    int64
	Default  int64 // what a search takes when it does not vary the choice
	Lo, Hi   int64 // the profile's range (ChoiceDelay, ChoiceTimeout); the last index (ChoiceOrder)
	From, To int   // the message's link, or -1
	State    uint64
	Hashed   bool // State is the world's state hash just before the choice
}

// Fault reports whether the point is a fault a reader would name: a message
// lost (or duplicated), or held past the profile's longest delay. Other
// values (a delay within the profile's range, another order of events due
// at once) are the network's ordinary jitter.
func (p Point) Fault() bool {
	switch p.Kind {
	case labrpc.ChoiceLoss:
		return p.Value != 0
	case labrpc.ChoiceDelay:
		return p.Value > p.Hi
	}
	return false
}

// Rest says what a plan takes at the positions it does not set.
type Rest uint8

const (
	RestDefault Rest = iota // the choice's Default: nothing lost, shortest delays
	RestSeeded              // the seed's draw, as a run without explore takes it
)

func (r Rest) String() string {
	if r == RestSeeded {
		return "seeded"
	}
	return "default"
}

// A Plan is a sequence of choices to replay: the value at each position it
// sets (position i is the run's i-th choice), and Rest elsewhere.
type Plan struct {
	Set  map[int]int64
	Rest Rest
}

// Positions are the plan's positions, in order.
func (p Plan) Positions() []int {
	pos := make([]int, 0, len(p.Set))
	for i := range p.Set {
		pos = append(pos, i)
	}
	slices.Sort(pos)
	return pos
}

func (p Plan) with(pos int, v int64) Plan {
	q := Plan{Set: make(map[int]int64, len(p.Set)+1), Rest: p.Rest}
	for i, x := range p.Set {
		q.Set[i] = x
	}
	q.Set[pos] = v
	return q
}

// Chooser returns a chooser that replays the plan (and records nothing).
func (p Plan) Chooser() labrpc.Chooser { return &recorder{plan: p, noRecord: true} }

// recorder is the chooser of one run: it takes the plan's value where the
// plan sets one, else asks the strategy's policy, else Rest; and it records
// every point.
type recorder struct {
	plan     Plan
	kinds    map[int]labrpc.ChoiceKind // if set: a plan's value applies only to a choice of this kind
	policy   func(pos int, c *labrpc.Choice) (int64, bool)
	hash     bool // record the state hash before each choice (bounded search)
	noRecord bool
	points   []Point
	n        int
}

func (r *recorder) Choose(c *labrpc.Choice) int64 {
	pos := r.n
	r.n++
	v, ok := r.plan.Set[pos]
	if ok && r.kinds != nil && r.kinds[pos] != c.Kind {
		ok = false // shrinking moved another kind of choice here: take the default
	}
	if !ok && r.policy != nil {
		v, ok = r.policy(pos, c)
	}
	if !ok {
		if r.plan.Rest == RestSeeded {
			v = c.Seeded()
		} else {
			v = c.Default()
		}
	}
	if r.noRecord {
		return v
	}
	p := Point{Kind: c.Kind, Value: v, Default: c.Default(), Lo: int64(c.Lo), Hi: int64(c.Hi), From: c.From, To: c.To}
	if r.hash {
		p.State, p.Hashed = c.StateHash()
	}
	r.points = append(r.points, p)
	return v
}

// planOf is the plan that replays points exactly: every value that is not
// the default, over a default rest.
func planOf(points []Point) Plan {
	p := Plan{Set: map[int]int64{}}
	for i, pt := range points {
		if pt.Value != pt.Default {
			p.Set[i] = pt.Value
		}
	}
	return p
}

// Choices files: what a found failure saves, for `go test -choices=FILE`
// and `lab replay` to run it again.
//
//	# protolab choices package=raft test=TestSearchElection4A seed=3 rest=default
//	12 loss 1
//	40 delay 500000000
//
// Each line is a position, the kind of choice it must be, and the value.

const choicesPrefix = "# protolab choices "

// A File is a choices file: the run it belongs to and its plan.
type File struct {
	Package, Test string
	Seed          int64
	Plan          Plan
	Kinds         map[int]labrpc.ChoiceKind // what each set position must be
}

// Write writes the file.
func (f *File) Write(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%spackage=%s test=%s seed=%d rest=%s\n", choicesPrefix, f.Package, f.Test, f.Seed, f.Plan.Rest)
	for _, pos := range f.Plan.Positions() {
		fmt.Fprintf(bw, "%d %s %d\n", pos, f.Kinds[pos], f.Plan.Set[pos])
	}
	return bw.Flush()
}

// Save writes the file at path.
func (f *File) Save(path string) error {
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := f.Write(out); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ReadFile reads a choices file, refusing one that is not, with the line
// and the cause.
func ReadFile(path string) (*File, error) {
	in, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("explore: %v (a choices file is what a search saved for the failure it found)", err)
	}
	defer in.Close()
	f, err := Read(in)
	if err != nil {
		return nil, fmt.Errorf("explore: %s: %v", path, err)
	}
	return f, nil
}

// Read reads a choices file (see File).
func Read(r io.Reader) (*File, error) {
	sc := bufio.NewScanner(r)
	f := &File{Plan: Plan{Set: map[int]int64{}}, Kinds: map[int]labrpc.ChoiceKind{}}
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			if !strings.HasPrefix(line, choicesPrefix) {
				return nil, fmt.Errorf("line 1 is not a choices header (%q...): is this a choices file?", choicesPrefix)
			}
			for _, kv := range strings.Fields(strings.TrimPrefix(line, choicesPrefix)) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "package":
					f.Package = v
				case "test":
					f.Test = v
				case "seed":
					s, err := strconv.ParseInt(v, 10, 64)
					if err != nil {
						return nil, fmt.Errorf("line 1: seed=%q is not a number", v)
					}
					f.Seed = s
				case "rest":
					switch v {
					case "default":
						f.Plan.Rest = RestDefault
					case "seeded":
						f.Plan.Rest = RestSeeded
					default:
						return nil, fmt.Errorf("line 1: rest=%q; it is default or seeded", v)
					}
				}
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			return nil, fmt.Errorf("line %d: %q; a choice line is POSITION KIND VALUE", n, line)
		}
		pos, err1 := strconv.Atoi(fs[0])
		kind, ok := labrpc.ChoiceKindByName(fs[1])
		v, err2 := strconv.ParseInt(fs[2], 10, 64)
		switch {
		case err1 != nil || pos < 0:
			return nil, fmt.Errorf("line %d: position %q is not a number of at least 0", n, fs[0])
		case !ok:
			return nil, fmt.Errorf("line %d: no kind of choice %q (loss, delay, timeout, order)", n, fs[1])
		case err2 != nil:
			return nil, fmt.Errorf("line %d: value %q is not a number", n, fs[2])
		}
		if _, dup := f.Plan.Set[pos]; dup {
			return nil, fmt.Errorf("line %d: position %d is set twice", n, pos)
		}
		f.Plan.Set[pos], f.Kinds[pos] = v, kind
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, fmt.Errorf("the file is empty: is this a choices file?")
	}
	return f, nil
}

// Chooser replays the file, failing the run if a set position is not the
// kind of choice the file says (the test or the code changed since).
func (f *File) Chooser() labrpc.Chooser { return &checked{f: f} }

type checked struct {
	f *File
	n int
}

func (c *checked) Choose(ch *labrpc.Choice) int64 {
	pos := c.n
	c.n++
	v, ok := c.f.Plan.Set[pos]
	if !ok {
		if c.f.Plan.Rest == RestSeeded {
			return ch.Seeded()
		}
		return ch.Default()
	}
	if k := c.f.Kinds[pos]; k != ch.Kind {
		ch.Refuse(fmt.Errorf("choice %d is a %s choice, but the choices file sets a %s one there: the test or the code changed since the file was saved; search again", pos, ch.Kind, k))
		return ch.Default()
	}
	return v
}
