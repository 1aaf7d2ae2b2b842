package raft

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestQuorum4A(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4} {
		require.Equal(t, want, quorum(n), "quorum(%d)", n)
	}
}

func TestMajorityMatch4B(t *testing.T) {
	for _, tc := range []struct {
		match []int
		want  int
	}{
		{[]int{0}, 0},
		{[]int{7}, 7},
		{[]int{3, 3, 3}, 3},
		{[]int{5, 1, 3}, 3},
		{[]int{5, 5, 1}, 5},
		{[]int{1, 2, 5, 5, 5}, 5},
		{[]int{9, 1, 2, 8, 3}, 3},
		{[]int{4, 4, 1, 1}, 1}, // 2 of 4 is no majority
		{[]int{4, 4, 4, 1}, 4}, // 3 of 4 is
		{[]int{10, 0, 0, 0, 10, 10, 10}, 10},
	} {
		match := append([]int(nil), tc.match...)
		require.Equal(t, tc.want, majorityMatch(tc.match), "majorityMatch(%v)", tc.match)
		require.Equal(t, match, tc.match, "majorityMatch must not reorder its argument")
	}
}

// majorityMatch against its definition: the largest N that a majority of
// matchIndex reaches.
func TestMajorityMatchAgainstDefinition4B(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := 0; trial < 2000; trial++ {
		match := make([]int, 1+rng.IntN(7))
		for i := range match {
			match[i] = rng.IntN(6)
		}
		want := 0
		for n := 0; n <= 6; n++ {
			count := 0
			for _, m := range match {
				if m >= n {
					count++
				}
			}
			if 2*count > len(match) {
				want = n
			}
		}
		require.Equal(t, want, majorityMatch(match), "majorityMatch(%v)", match)
	}
}
