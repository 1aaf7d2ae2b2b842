package paxos

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBallotOrder5A(t *testing.T) {
	cases := []struct {
		a, b Ballot
		less bool
	}{
		{Ballot{}, Ballot{1, 0}, true},            // the zero ballot is below every ballot in use
		{Ballot{1, 0}, Ballot{}, false},           //
		{Ballot{1, 0}, Ballot{1, 1}, true},        // same round: the peer id breaks the tie
		{Ballot{1, 1}, Ballot{1, 0}, false},       //
		{Ballot{1, 4}, Ballot{2, 0}, true},        // a higher round wins whatever the ids
		{Ballot{2, 0}, Ballot{1, 4}, false},       //
		{Ballot{3, 2}, Ballot{3, 2}, false},       // a ballot is not below itself
		{Ballot{10, 0}, Ballot{9, 9}, false},      // rounds compare as numbers
		{Ballot{0, 3}, Ballot{1, 0}, true},        //
		{Ballot{7, 1}, Ballot{7, 2}, true},        //
		{Ballot{100, 2}, Ballot{100, 1}, false},   //
		{Ballot{1 << 40, 0}, Ballot{1, 0}, false}, //
	}
	for _, c := range cases {
		require.Equal(t, c.less, c.a.Less(c.b), "%v.Less(%v)", c.a, c.b)
	}
}

func TestNextBallotOutbidsAndIsOwned5A(t *testing.T) {
	for _, above := range []Ballot{{}, {1, 0}, {1, 4}, {5, 2}, {9, 9}} {
		for me := 0; me < 5; me++ {
			b := nextBallot(above, me)
			require.True(t, above.Less(b), "nextBallot(%v, %d) = %v must be above %v", above, me, b, above)
			require.Equal(t, me, b.Peer, "nextBallot(%v, %d) = %v must belong to peer %d: ballots are unique per peer", above, me, b, me)
			for other := 0; other < 5; other++ {
				if other != me {
					require.NotEqual(t, b, nextBallot(above, other), "two peers outbidding %v got the same ballot", above)
				}
			}
		}
	}
}

func TestMajority5A(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4} {
		require.Equal(t, want, majority(n), "majority(%d)", n)
		// Any two majorities meet: 2*majority > n.
		require.Greater(t, 2*majority(n), n)
	}
}
