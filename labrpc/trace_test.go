package labrpc

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A server whose replies carry an outcome in each of the shapes the trace
// words: an Err field, bool fields, and a reply that words itself.

type VerdictArgs struct{ N int }

type ErrReply struct {
	Value string
	Err   string
}

type BoolReply struct {
	Term        int
	VoteGranted bool
	Success     bool
}

type SelfReply struct{ Code int }

func (r *SelfReply) Outcome() string { return "code " + strings.Repeat("7", r.Code) }

type verdictNode struct{ served int }

func (v *verdictNode) Put(args *VerdictArgs, reply *ErrReply) {
	v.served++
	if args.N > 0 {
		reply.Err = "ErrVersion"
	}
}
func (*verdictNode) Vote(args *VerdictArgs, reply *BoolReply) { reply.VoteGranted = args.N > 0 }
func (*verdictNode) Self(args *VerdictArgs, reply *SelfReply) { reply.Code = args.N }

func TestReplyOutcomesInTimeline(t *testing.T) {
	var file bytes.Buffer
	w := NewWorld(Config{Seed: 1, Nodes: 1, TraceTo: &file, TraceJSON: true})
	defer w.Close()
	w.Start(0, func(Env) any { return &verdictNode{} })
	c := w.NewClient()
	c.Call(0, "verdictNode.Put", &VerdictArgs{N: 1}, &ErrReply{})
	c.Call(0, "verdictNode.Put", &VerdictArgs{N: 0}, &ErrReply{})
	c.Call(0, "verdictNode.Vote", &VerdictArgs{N: 1}, &BoolReply{})
	c.Call(0, "verdictNode.Vote", &VerdictArgs{N: 0}, &BoolReply{})
	c.Call(0, "verdictNode.Self", &VerdictArgs{N: 3}, &SelfReply{})
	c.Call(0, "verdictNode.Self", &VerdictArgs{N: 200}, &SelfReply{})

	var got []string
	for _, l := range w.Tail(-1) {
		if l.Kind == KindReply {
			got = append(got, l.describe(1))
		}
	}
	require.Equal(t, []string{
		"✓n0 Put → ErrVersion 18B",
		"✓n0 Put 18B", // an empty Err says nothing: no outcome
		"✓n0 Vote → VoteGranted not Success 18B",
		"✓n0 Vote → not VoteGranted not Success 18B",
		"✓n0 Self → code 777 18B",
		"✓n0 Self → code " + strings.Repeat("7", maxOutcome-len("code ")-1) + "… 18B",
	}, fixBytes(got), "each reply's outcome, in the shape its type has")
	require.Contains(t, w.Timeline(w.Tail(-1)), "✓n0 Put → ErrVersion", "the timeline shows it")

	// The JSON trace carries the outcome, so that lab replay shows it too.
	w.Close()
	tf, err := ReadTrace(&file)
	require.NoError(t, err)
	var outcomes []string
	for _, l := range tf.Lines {
		if l.Kind == KindReply {
			outcomes = append(outcomes, l.ReplyOutcome())
		}
	}
	require.Equal(t, []string{"ErrVersion", "", "VoteGranted not Success", "not VoteGranted not Success", "code 777"}, outcomes[:5])
}

// fixBytes replaces the byte counts, which depend on the encoder, with 18B.
func fixBytes(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		j := strings.LastIndexByte(l, ' ')
		out[i] = l[:j] + " 18B"
	}
	return out
}

// The outcome is wording, not an event: two runs whose replies differ only
// in what the trace could say about them have one digest... which cannot be
// built without changing the handler; so check directly that the digest
// hashes no outcome: a line with and without one hash alike.
func TestOutcomeNotInDigest(t *testing.T) {
	a, b := newTrace(0, nil, 1), newTrace(0, nil, 1)
	l := Line{Kind: KindReply, Node: 1, Peer: 0, Method: "S.M", Bytes: 9}
	a.add(&l, nil)
	l.Outcome, l.reply = "ErrVersion", &ErrReply{Err: "ErrVersion"}
	b.add(&l, nil)
	require.Equal(t, a.digest, b.digest)
}

// Clients are numbered from 0 everywhere a name is shown, as tests number
// their client processes and histories: c0 is the first client, whatever
// the node count.
func TestOneNumberingForClients(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 3})
	defer w.Close()
	for i := 0; i < 3; i++ {
		w.Start(i, func(Env) any { return &verdictNode{} })
	}
	first, second := w.NewClient(), w.NewClient()
	require.Equal(t, "c0", w.Name(first.ID()))
	require.Equal(t, "c1", w.Name(second.ID()))
	second.Call(0, "verdictNode.Put", &VerdictArgs{}, &ErrReply{})
	w.Partition([]int{0, first.ID()}, []int{1, 2, second.ID()})
	w.Cut(0, second.ID())
	tl := w.Timeline(w.Tail(-1))
	require.Contains(t, tl, "←c1 Put", "the server names the client as c1")
	require.Contains(t, tl, "partition [n0 c0] | [n1 n2 c1]", "partitions name their members")
	require.Contains(t, tl, "cut n0→c1")
	require.Regexp(t, `time +n0 +n1 +n2 +c1 *\n`, tl, "the column of the second client is c1")

	for id := 0; id < 6; id++ {
		back, err := ParseEndpoint(EndpointName(id, 3), 3)
		require.NoError(t, err)
		require.Equal(t, id, back)
	}
	_, err := ParseEndpoint("n3", 3)
	require.ErrorContains(t, err, "nodes n0..n2; n3 is not one of them")
	_, err = ParseEndpoint("x1", 3)
	require.ErrorContains(t, err, "not a node (n0..n2) or a client (c0, c1, ...)")
}

// A lost reply's line says what the server had answered: the at-most-once
// lab turns on a Put that applied while its reply was lost.
func TestLostReplyKeepsItsOutcome(t *testing.T) {
	w := NewWorld(Config{Seed: 1, Nodes: 1})
	defer w.Close()
	w.Start(0, func(Env) any { return &verdictNode{} })
	c := w.NewClient()
	w.Cut(0, c.ID())
	require.False(t, c.Call(0, "verdictNode.Put", &VerdictArgs{N: 1}, &ErrReply{}))
	w.Uncut(0, c.ID())
	w.Cut(c.ID(), 0)
	require.False(t, c.Call(0, "verdictNode.Put", &VerdictArgs{N: 1}, &ErrReply{}))
	var tl strings.Builder
	for _, l := range w.Tail(-1) {
		tl.WriteString(l.Format(1) + "\n")
	}
	require.Contains(t, tl.String(), "n0 drop →c0 Put → ErrVersion: reply link down", "the lost reply, and what it said")
	require.Contains(t, tl.String(), "c0 drop →n0 Put: link down", "a lost request has no answer to show")
	require.Equal(t, 1, w.Service(0, "verdictNode").(*verdictNode).served)
}

// TestStrMixer checks the digest's shortcut for method names (strMixer)
// against mixStr itself, byte for byte, for many states and names.
func TestStrMixer(t *testing.T) {
	names := []string{"", "a", "echoNode.Echo", "Raft.AppendEntries", "KV.Get", "\xff\x00odd", strings.Repeat("x", 300)}
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range names {
		m := newStrMixer(s)
		for range 2000 {
			h := r.Uint64()
			require.Equal(t, mixStr(h, s), m.mix(h), "name %q, h %#x", s, h)
		}
		for b := range uint64(256) {
			require.Equal(t, mixStr(b, s), m.mix(b), "name %q, h %#x", s, b)
		}
	}
}

// TestRingInPlaceMatchesFile checks the trace's two ways of keeping a
// call's line: written into the ring field by field (trace.addCall, when
// nothing reads every line) and built whole and copied (when a trace file
// does). The same run must keep the same lines both ways, on a lossy
// network whose drops carry text and answers, in a ring so small that each
// slot is reused many times over: a field left from a slot's last line
// would show.
func TestRingInPlaceMatchesFile(t *testing.T) {
	run := func(out io.Writer) *World {
		w := NewWorld(Config{Seed: 3, Nodes: 3, KeepTrace: 50, TraceTo: out, Profile: MustProfile("duplicating")})
		w.Start(1, func(Env) any { return &verdictNode{} })
		w.Start(2, func(Env) any { return &verdictNode{} })
		w.Start(0, func(env Env) any {
			var tick func()
			n := 0
			tick = func() {
				for peer := 1; peer <= 2; peer++ {
					n++ // replies alternate: "VoteGranted ...", "not VoteGranted ..."
					env.Call(peer, "verdictNode.Vote", &VerdictArgs{N: n % 2}, &BoolReply{}, func(bool) {})
				}
				env.After(7*time.Millisecond, tick)
			}
			tick()
			return &echoNode{env: env}
		})
		w.Sleep(2 * time.Second)
		return w
	}
	inPlace := run(nil)
	defer inPlace.Close()
	var file bytes.Buffer
	whole := run(&file)
	defer whole.Close()
	require.Equal(t, inPlace.Digest(), whole.Digest(), "the same run, traced two ways")
	a, b := inPlace.Tail(-1), whole.Tail(-1)
	require.Len(t, a, 50)
	require.Len(t, b, 50)
	kinds := map[Kind]bool{}
	for i := range a {
		kinds[a[i].Kind] = true
		require.Equal(t, b[i].Format(3), a[i].Format(3), "line %d", i)
		require.Equal(t, b[i].Call, a[i].Call, "line %d's call", i)
		require.Equal(t, b[i].ReplyOutcome(), a[i].ReplyOutcome(), "line %d's outcome", i)
	}
	for _, k := range []Kind{KindSend, KindRecv, KindReply, KindDrop} {
		require.True(t, kinds[k], "the kept lines include a %s line", k)
	}
}
