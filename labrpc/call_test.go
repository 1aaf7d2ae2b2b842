package labrpc

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestRecycledCallsKeepTheirOwnReplies runs many calls through duplicates,
// losses, a crash and a pause, while the world recycles call records
// (call.go): every call must complete exactly once, with the reply to its
// own request. A record reused while an event still carried it (a
// duplicate's delivery, a late reply) would hand one call's reply, or a
// second completion, to another.
func TestRecycledCallsKeepTheirOwnReplies(t *testing.T) {
	w := NewWorld(Config{Seed: 5, Nodes: 3, Profile: MustProfile("duplicating")})
	defer w.Close()
	w.Start(1, bootEcho)
	w.Start(2, bootEcho)
	done := map[int]int{} // call number -> completions
	sent, good := 0, 0
	w.Start(0, func(env Env) any {
		var tick func()
		tick = func() {
			if env.Now() > 2*time.Second {
				return
			}
			k, peer := sent, 1+env.Rand().IntN(2)
			sent++
			reply := &EchoReply{}
			env.Call(peer, "echoNode.Echo", &EchoArgs{From: k, Text: fmt.Sprint("m", k)}, reply, func(ok bool) {
				done[k]++
				if ok {
					good++
					require.Equal(t, strings.ToUpper(fmt.Sprint("m", k)), reply.Text, "call %d got another call's reply", k)
					require.Equal(t, peer, reply.By, "call %d answered by the wrong node", k)
				}
			})
			env.After(time.Millisecond, tick)
		}
		env.After(0, tick)
		return &echoNode{env: env}
	})
	w.At(500*time.Millisecond, func() { w.Crash(2) })
	w.At(800*time.Millisecond, func() { w.Restart(2) })
	w.At(1200*time.Millisecond, func() { w.Pause(1, 300*time.Millisecond) })
	w.Sleep(3 * time.Second)
	require.NoError(t, w.Err())
	require.Greater(t, sent, 1000)
	require.Len(t, done, sent, "every call completes")
	for k, n := range done {
		require.Equal(t, 1, n, "call %d completed %d times", k, n)
	}
	require.Greater(t, good, sent/2)
	require.NotEmpty(t, w.freeCalls, "calls were recycled")
}

// TestCallInitSetsEveryField guards the recycling of call records: init
// must set every field, or a reused record would carry its last call's
// state (a finished flag, an answer) into the next one.
func TestCallInitSetsEveryField(t *testing.T) {
	r := &route{method: "echoNode.Echo"}
	dirty := call{id: 7, from: 1, to: 2, fromInc: 3, refs: 4, finished: true, keep: true,
		route: &route{}, args: reflect.ValueOf(1), reply: 2,
		done: func(bool) {}, start: 5}
	v := reflect.ValueOf(dirty)
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			t.Fatalf("this test's dirty record leaves call.%s zero: give it a value, and make sure call.init sets it", v.Type().Field(i).Name)
		}
	}
	args := reflect.ValueOf(&EchoArgs{})
	reply := &EchoReply{}
	dirty.init(8, 0, 1, 2, r, args, reply, nil, 9)
	want := call{id: 8, from: 0, to: 1, fromInc: 2, route: r, args: args, reply: reply, start: 9}
	if !reflect.DeepEqual(dirty, want) {
		t.Errorf("after init the record is\n%+v\nwant\n%+v\n(init leaves a field of the last call)", dirty, want)
	}
}

// TestCallEventReusesACancelledTimersSlot: an event's slot in the queue is
// reused as it is (queue.add), so a call's event must clear what the
// slot's last event left: a cancelled timer's mark would make the world
// skip the request as stale, and the call would never complete.
func TestCallEventReusesACancelledTimersSlot(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 2})
	defer w.Close()
	w.Start(1, bootEcho)
	completed := false
	w.Start(0, func(env Env) any {
		cancel := env.After(time.Millisecond, func() { t.Error("a cancelled timer fired") })
		cancel() // its event stays queued until 1 ms, then is skipped and its slot freed
		env.After(2*time.Millisecond, func() {
			reply := &EchoReply{}
			env.Call(1, "echoNode.Echo", &EchoArgs{Text: "x"}, reply, func(ok bool) {
				completed = ok && reply.Text == "X"
			})
		})
		return &echoNode{env: env}
	})
	w.Sleep(time.Second)
	require.NoError(t, w.Err())
	require.True(t, completed, "the call whose request took the cancelled timer's slot completes with its reply")
}
