package chash

import "fmt"

// checkNames says what is wrong with a member list, in words that name the
// fix: every name must be non-empty and appear once.
func checkNames(names []string) error {
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" {
			return fmt.Errorf("chash: a member needs a non-empty name")
		}
		if seen[n] {
			return fmt.Errorf("chash: member %q is listed twice; names must be distinct", n)
		}
		seen[n] = true
	}
	return nil
}
