package labgob

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unsafe"
)

// gob follows pointers without remembering where it has been, so a value
// that refers back to itself (a node whose Next points at an ancestor, a
// slice of any that holds itself) makes it recurse until the goroutine's
// stack overflows: a fatal error no recover can catch, with a dump of every
// goroutine. checkCycles walks the value first and turns that into an error
// that names the path of the cycle.
//
// Most messages cannot hold a cycle at all (a struct of ints, strings and
// byte slices), and for those the walk is one cached lookup. Only types
// whose graph can lead back to themselves, or that hold an interface (whose
// dynamic value could be anything), are walked.

// maxDepth bounds how deep a value may nest. A legitimate message is far
// shallower; the bound keeps a pathological list from exhausting the stack.
const maxDepth = 10_000

// walkPlan is what the walk needs to know of a type, computed once.
type walkPlan struct {
	walk   bool  // a value of this type may hold a cycle
	fields []int // for structs: the exported fields worth walking
}

var plans sync.Map // reflect.Type -> *walkPlan

func planOf(t reflect.Type) *walkPlan {
	if p, ok := plans.Load(t); ok {
		return p.(*walkPlan)
	}
	p := &walkPlan{walk: mayCycle(t, map[reflect.Type]bool{})}
	if p.walk && t.Kind() == reflect.Struct {
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if f.IsExported() && mayCycle(f.Type, map[reflect.Type]bool{}) {
				p.fields = append(p.fields, i)
			}
		}
	}
	plans.Store(t, p)
	return p
}

// mayCycle reports whether a value of type t could refer back to itself:
// its type graph holds an interface, or leads back to a type on the way.
func mayCycle(t reflect.Type, onPath map[reflect.Type]bool) bool {
	if onPath[t] {
		return true
	}
	if implementsGob(t) {
		return false // it encodes itself; gob does not walk it
	}
	onPath[t] = true
	defer delete(onPath, t)
	switch t.Kind() {
	case reflect.Interface:
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return mayCycle(t.Elem(), onPath)
	case reflect.Map:
		return mayCycle(t.Key(), onPath) || mayCycle(t.Elem(), onPath)
	case reflect.Struct:
		for i := 0; i < t.NumField(); i++ {
			if f := t.Field(i); f.IsExported() && mayCycle(f.Type, onPath) {
				return true
			}
		}
	}
	return false
}

// A cycleError is built on the way back up from where the cycle closed,
// each level adding the step it took, so that the walk itself keeps no
// names.
type cycleError struct {
	top   string
	steps []string // innermost first
	deep  bool     // the depth bound, not a cycle
}

func (e *cycleError) Error() string {
	var b strings.Builder
	b.WriteString(e.top)
	for i := len(e.steps) - 1; i >= 0; i-- {
		b.WriteString(e.steps[i])
	}
	if e.deep {
		return fmt.Sprintf("labgob: %s nests more than %d levels deep (at %s); gob would exhaust the stack: send a flatter value", e.top, maxDepth, b.String())
	}
	return fmt.Sprintf("labgob: %s refers back to itself (the cycle closes at %s); gob would recurse forever: send a value without the cycle (ids instead of pointers, say)", e.top, b.String())
}

// pathKey identifies a container on the current path: its address, and
// for a slice its length (a shorter sub-slice of the same array is not the
// same value).
type pathKey struct {
	p unsafe.Pointer
	n int
}

type walker struct {
	// found, when set, collects the dynamic types of the interface values
	// met on the way (each once in a row), for Wire's byte counts.
	found *[]reflect.Type
	path  []pathKey
	// The plans of the last few types met: a log of entries whose
	// Command is an int alternates between two types at every element,
	// and a lookup in plans for each would cost as much as the walk.
	recentT [4]reflect.Type
	recentP [4]*walkPlan
	next    int
}

// checkCycles reports an error if v (of any type CheckType accepted) holds
// a cycle, or nests deeper than maxDepth.
func checkCycles(v reflect.Value) error {
	if !planOf(v.Type()).walk {
		return nil
	}
	var w walker
	if err := w.walk(v); err != nil {
		err.top = v.Type().String()
		return err
	}
	return nil
}

func (w *walker) plan(t reflect.Type) *walkPlan {
	for i, u := range w.recentT {
		if u == t {
			return w.recentP[i]
		}
	}
	p := planOf(t)
	w.recentT[w.next], w.recentP[w.next] = t, p
	w.next = (w.next + 1) % len(w.recentT)
	return p
}

// enter pushes a container on the path; it returns false if it is there
// already: the value has come back to itself.
func (w *walker) enter(k pathKey) bool {
	for _, q := range w.path {
		if q == k {
			return false
		}
	}
	w.path = append(w.path, k)
	return true
}

func (w *walker) walk(v reflect.Value) *cycleError {
	p := w.plan(v.Type())
	if !p.walk {
		return nil
	}
	if len(w.path) > maxDepth {
		return &cycleError{deep: true}
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil
		}
		if !w.enter(pathKey{v.UnsafePointer(), -1}) {
			return &cycleError{steps: []string{" (back to an enclosing pointer)"}}
		}
		err := w.walk(v.Elem())
		w.path = w.path[:len(w.path)-1]
		return err
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if w.found != nil {
			w.note(v.Elem().Type())
		}
		if err := w.walk(v.Elem()); err != nil {
			return err.add(".(" + v.Elem().Type().String() + ")") // named only on the way out of a cycle
		}
		return nil
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		if !w.enter(pathKey{v.UnsafePointer(), v.Len()}) {
			return &cycleError{steps: []string{" (back to an enclosing slice)"}}
		}
		err := w.elems(v)
		w.path = w.path[:len(w.path)-1]
		return err
	case reflect.Array:
		return w.elems(v)
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		if !w.enter(pathKey{v.UnsafePointer(), -2}) {
			return &cycleError{steps: []string{" (back to an enclosing map)"}}
		}
		err := w.entries(v)
		w.path = w.path[:len(w.path)-1]
		return err
	case reflect.Struct:
		for _, i := range p.fields {
			if err := w.walk(v.Field(i)); err != nil {
				return err.add("." + v.Type().Field(i).Name)
			}
		}
	}
	return nil
}

// note records t among the interface values' types, unless it is there.
func (w *walker) note(t reflect.Type) {
	for _, u := range *w.found {
		if u == t {
			return
		}
	}
	*w.found = append(*w.found, t)
}

// entries walks a map's keys and values.
func (w *walker) entries(v reflect.Value) *cycleError {
	it := v.MapRange()
	for it.Next() {
		if err := w.walk(it.Key()); err != nil {
			return err.add("[key]")
		}
		if err := w.walk(it.Value()); err != nil {
			return err.add(fmt.Sprintf("[%v]", it.Key()))
		}
	}
	return nil
}

func (w *walker) elems(v reflect.Value) *cycleError {
	for i := 0; i < v.Len(); i++ {
		if err := w.walk(v.Index(i)); err != nil {
			return err.add(fmt.Sprintf("[%d]", i))
		}
	}
	return nil
}

// add records one step of the path on the way back up (nil stays nil).
func (e *cycleError) add(step string) *cycleError {
	if e != nil && len(e.steps) < 64 {
		e.steps = append(e.steps, step)
	}
	return e
}
