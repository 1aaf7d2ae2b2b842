package labrpc

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDeafNodeSendsAndHearsRepliesOnly(t *testing.T) {
	w := newWorld(t, 2, 1)
	c := w.NewClient()
	w.Deafen(0)
	require.False(t, c.Call(0, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{}), "a request to a deaf node is lost")
	require.True(t, c.Call(1, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{}), "other nodes still hear")

	// The deaf node's own calls go out and their replies come back.
	var got []bool
	w.Restart(0)
	w.Crash(0)
	w.Start(0, func(env Env) any {
		env.Call(1, "echoNode.Echo", &EchoArgs{Text: "y"}, &EchoReply{}, func(ok bool) { got = append(got, ok) })
		return &echoNode{env: env}
	})
	w.Sleep(time.Second)
	require.Equal(t, []bool{true}, got, "a deaf node's call to a hearing node completes with its reply")

	w.Undeafen(0)
	require.True(t, c.Call(0, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{}))
	w.Deafen(0)
	w.Heal()
	require.True(t, c.Call(0, "echoNode.Echo", &EchoArgs{Text: "x"}, &EchoReply{}), "Heal ends deafness")
}
