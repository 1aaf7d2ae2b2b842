// Package suggest finds what a misspelt name was meant to be, for the
// "did you mean" in protolab's error messages (a handler name given to
// labrpc, a subcommand or a demo given to the lab tool).
package suggest

import "strings"

// Closest returns the candidate that name is most likely a typo of: one
// that name is a prefix of (at least two letters), or else the nearest
// within two edits, ignoring case. It returns "" when none is close.
func Closest(name string, candidates []string) string {
	name = strings.ToLower(name)
	for _, cand := range candidates {
		if len(name) >= 2 && strings.HasPrefix(strings.ToLower(cand), name) {
			return cand
		}
	}
	best, bestDist := "", 3
	for _, cand := range candidates {
		if d := Distance(name, strings.ToLower(cand)); d < bestDist && d < len(cand) {
			best, bestDist = cand, d
		}
	}
	return best
}

// Distance is the Levenshtein distance between a and b: the fewest
// insertions, deletions and substitutions of bytes that turn one into the
// other.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
