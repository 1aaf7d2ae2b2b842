package rsm

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/tests"
)

// Pinger is a server that answers every call; the clerk's tests refuse its
// answers (retry) to see how many tries Call makes.
type Pinger struct{ id int }

type PingArgs struct{ From int }
type PingReply struct {
	Err Err
	Id  int
}

func (p *Pinger) Ping(args *PingArgs, reply *PingReply) {
	reply.Err, reply.Id = ErrWrongLeader, p.id
	if p.id == 2 {
		reply.Err = OK
	}
}

// Call with a bound gives up after exactly that many rounds over the
// servers (and only then returns nil); one round more is a clerk that
// keeps a client waiting past what its caller asked for.
func TestCallGivesUpAfterTries6A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 3})
		for i := 0; i < 3; i++ {
			w.Start(i, func(labrpc.Env) any { return &Pinger{id: i} })
		}
		for _, tries := range []int{1, 2, 3} {
			ck := MakeClerk(w.NewClient(), []int{0, 1, 2})
			answers, finished := 0, false
			var got *PingReply
			w.Go("clerk", func() {
				got = Call(ck, "Pinger.Ping", &PingArgs{}, tries, func(r *PingReply) bool { answers++; return true })
				finished = true
			})
			require.True(t, w.WaitUntil(func() bool { return finished }, time.Millisecond, 10*time.Second),
				"Call with tries=%d did not give up within 10 s", tries)
			require.Nil(t, got, "Call gives up (nil) when every answer is refused")
			require.Equal(t, 3*tries, answers, "Call with tries=%d over 3 servers that all answer: %d rounds of 3 calls", tries, tries)
		}
	})
}

// The clerk goes first to the server that answered last: a clerk that
// always starts from the first server pays a wrong-leader call per server
// before the leader on every request.
func TestCallRemembersTheLeader6A(t *testing.T) {
	tests.Run(t, func(t *tests.T) {
		w := t.NewWorld(labrpc.Config{Nodes: 3})
		for i := 0; i < 3; i++ {
			w.Start(i, func(labrpc.Env) any { return &Pinger{id: i} })
		}
		ck := MakeClerk(w.NewClient(), []int{0, 1, 2})
		var asked []int
		var finished bool
		w.Go("clerk", func() {
			for k := 0; k < 3; k++ {
				Call(ck, "Pinger.Ping", &PingArgs{}, 0, func(r *PingReply) bool { asked = append(asked, r.Id); return r.Err != OK })
			}
			finished = true
		})
		require.True(t, w.WaitUntil(func() bool { return finished }, time.Millisecond, 10*time.Second), "three calls did not finish within 10 s")
		require.Equal(t, []int{0, 1, 2, 2, 2}, asked, "the first call finds the leader (server 2); the next two go to it first")
	})
}
