package course

import "fmt"

// Which parts each lab's demo needs, for 'lab demo' in a learner's copy.

// demoNeeds names, for a demo whose story does not need its whole lab, the last part
// it needs. Every other demo is named after its lab's package and needs all of it.
var demoNeeds = map[string]string{}

// DemoHint says which part a demo needs, for a learner whose demo failed.
func DemoHint(name string) string {
	need, ok := demoNeeds[name]
	if !ok {
		for _, p := range Default.Parts {
			if p.Dir == name {
				need = p.Name
			}
		}
	}
	if need == "" {
		return ""
	}
	var parts []string
	for _, p := range Default.Parts {
		if p.Dir == name {
			parts = append(parts, p.Name)
		}
		if p.Name == need {
			break
		}
	}
	span := parts[0]
	if len(parts) > 1 {
		span = parts[0] + " to " + need
	}
	return fmt.Sprintf("The %s demo runs your code of parts %s: until they pass it cannot work, and that is expected. "+
		"It works once 'make test PART=%s' and the parts before it pass.", name, span, need)
}

// DemoDone reports whether the parts a demo needs all come before next (the part a
// copy was written with next).
func DemoDone(name, next string) bool {
	need, ok := demoNeeds[name]
	if !ok {
		for _, p := range Default.Parts {
			if p.Dir == name {
				need = p.Name
			}
		}
	}
	i, ok1 := Default.Index(need)
	j, ok2 := Default.Index(next)
	return !ok1 || !ok2 || i < j // the solution copy's "done" is no part: every part is done
}
