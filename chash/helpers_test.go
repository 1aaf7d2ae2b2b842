package chash

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// Helpers shared by the tests and benchmarks of every part.

// testKeys returns n key hashes from a fixed seed: the tests are
// deterministic, so their bounds are exact statements about these keys.
func testKeys(n int) []uint64 {
	rng := rand.New(rand.NewPCG(1, 2))
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = rng.Uint64()
	}
	return keys
}

// memberNames returns "node-0" … "node-(n-1)".
func memberNames(n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("node-%d", i)
	}
	return names
}

// assign returns the owner of each key under lookup.
func assign(keys []uint64, lookup func(uint64) string) []string {
	owners := make([]string, len(keys))
	for i, k := range keys {
		owners[i] = lookup(k)
	}
	return owners
}

// balance describes how evenly keys spread over members.
type balance struct {
	peakOverMean float64 // the largest load divided by the mean load
	stddev       float64 // the standard deviation of the loads over the mean
}

func (b balance) String() string {
	return fmt.Sprintf("peak/mean %.3f, stddev %.1f%%", b.peakOverMean, 100*b.stddev)
}

// balanceOf measures the loads of members (members with no key count as
// load 0). A key owned by someone else fails the test.
func balanceOf(t testing.TB, owners []string, members []string) balance {
	t.Helper()
	load := make(map[string]int, len(members))
	for _, m := range members {
		load[m] = 0
	}
	for _, o := range owners {
		if _, ok := load[o]; !ok {
			require.Failf(t, "key owned by a stranger", "a key is owned by %q, which is not a member", o)
		}
		load[o]++
	}
	return balanceOfLoads(load)
}

func balanceOfLoads(load map[string]int) balance {
	mean := 0.0
	peak := 0
	for _, l := range load {
		mean += float64(l)
		peak = max(peak, l)
	}
	mean /= float64(len(load))
	variance := 0.0
	for _, l := range load {
		variance += (float64(l) - mean) * (float64(l) - mean)
	}
	variance /= float64(len(load))
	return balance{float64(peak) / mean, math.Sqrt(variance) / mean}
}

// movement compares two assignments of the same keys.
type movement struct {
	moved int // keys whose owner changed
	// toNew: every moved key went to member joined (joins); fromGone:
	// every moved key came from member left (leaves).
	onlyThatMember bool
}

// movementTo describes a join of member joined.
func movementTo(before, after []string, joined string) movement {
	m := movement{onlyThatMember: true}
	for i := range before {
		if before[i] != after[i] {
			m.moved++
			if after[i] != joined {
				m.onlyThatMember = false
			}
		}
	}
	return m
}

// movementFrom describes a leave of member left.
func movementFrom(before, after []string, left string) movement {
	m := movement{onlyThatMember: true}
	for i := range before {
		if before[i] != after[i] {
			m.moved++
			if before[i] != left {
				m.onlyThatMember = false
			}
		} else if after[i] == left {
			m.onlyThatMember = false // a key still on a member that left
		}
	}
	return m
}
