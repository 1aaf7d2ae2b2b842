package rsm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
	"protolab/replog/harness"
	"protolab/tests"
)

// A peer that lost the term it started a request in, and leads again in a
// later one before the layer's leadership check, gives the same index out
// again: its old entry there is gone (a new leader overwrote it). The
// request that waited there must hear ErrWrongLeader at once; a layer that
// lets the new request take its place never answers it at all (its
// time-out finds another request at its index).
func TestIndexGivenOutAgain6A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		var peer *harness.ScriptedPeer
		e := replog.Engine{Name: "scripted", Boot: func(env labrpc.Env, _ *labrpc.Persister, _ func(replog.Msg)) replog.Peer {
			peer = &harness.ScriptedPeer{Env: env, Term: 1, Leader: true, Next: 1}
			return peer
		}}
		c := newCluster(t, e, 1, -1, "reliable")
		a := c.submit(0, add(1, 1, "a"))
		c.w.Sleep(time.Millisecond) // less than a leadership check
		peer.Term, peer.Next = 2, 1 // deposed and elected again; index 1 lost
		b := c.submit(0, add(2, 1, "a"))
		c.await(a, 2*DefaultTimeout)
		require.Equal(t, ErrWrongLeader, a.err, "the request whose index was given out again in a later term")
		require.Less(t, a.at, 5*time.Millisecond, "it is answered as soon as Start gives its index out again")
		c.w.Sleep(100 * time.Millisecond) // several leadership checks; the peer still leads in term 2
		require.False(t, b.done, "the new request, started in the term this peer still leads, waits for its index to commit (answered %q)", b.err)
	})
}
