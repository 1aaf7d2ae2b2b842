package explore

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
)

type PingArgs struct{ N int }
type PingReply struct{ N int }

type pinger struct{ got map[int]bool }

func (p *pinger) Ping(args *PingArgs, reply *PingReply) { p.got[args.N] = true; reply.N = args.N }

// pings is a toy scenario: the client pings node 0 six times, 100 ms
// apart. Its "invariant": ping 2 must arrive if ping 3 did (a bug that needs
// exactly one particular message lost).
func pings(profile string) Runner { return pingsWith(profile, 2, 2) }

// counting counts the choices taken, for a goal.
type counting struct {
	labrpc.Chooser
	n int
}

func (c *counting) Choose(ch *labrpc.Choice) int64 { c.n++; return c.Chooser.Choose(ch) }

// pingsWith: the invariant is that ping k+1 arrives only after ping k,
// for k from first to last; the goal, that ping 1 has arrived.
func pingsWith(profile string, first, last int) Runner {
	return func(seed int64, ch labrpc.Chooser) Result {
		cc := &counting{Chooser: ch}
		goalAt := -1
		w := labrpc.NewWorld(labrpc.Config{Seed: seed, Nodes: 1, Profile: labrpc.MustProfile(profile), Chooser: cc})
		defer w.Close()
		p := &pinger{got: map[int]bool{}}
		w.Start(0, func(env labrpc.Env) any { return p })
		w.Check(func() error {
			if goalAt < 0 && p.got[1] {
				goalAt = cc.n
			}
			for k := first; k <= last; k++ {
				if p.got[k+1] && !p.got[k] {
					return fmt.Errorf("ping %d arrived but ping %d never did", k+1, k)
				}
			}
			return nil
		})
		c := w.NewClient()
		func() {
			defer func() { recover() }() // a stopped run stops its driver
			for i := 0; i < 6; i++ {
				c.Call(0, "pinger.Ping", &PingArgs{N: i}, &PingReply{})
				w.Sleep(100 * time.Millisecond)
			}
		}()
		return Result{Err: w.Err(), Steps: w.Steps(), GoalAt: goalAt}
	}
}

func TestBoundedSearchFindsTheOneLossWithFewestFaults(t *testing.T) {
	rep := Search(pings("reliable"), Options{Strategy: BFS, MaxFaults: 2, Runs: 200})
	require.NotNil(t, rep.Found, "bfs must find the lost ping 2: %s", rep.Why)
	require.Equal(t, 1, rep.Found.After.Faults, "one loss is enough, and bfs tries one before two")
	require.ErrorContains(t, rep.Found.Err, "ping 2 never did")
}

func TestNothingToFindEndsAtTheBound(t *testing.T) {
	rep := Search(pings("reliable"), Options{Strategy: BFS, MaxFaults: 1, MaxPos: 3, Runs: 200})
	require.Nil(t, rep.Found, "the loss of ping 2 lies past the first 3 choices")
	require.Contains(t, rep.Why, "at most 1 deviations among the first 3 choices")
}

func TestShrinkingLeavesOnlyTheLossThatMatters(t *testing.T) {
	rep := Search(pings("lossy"), Options{Strategy: Random, Seed: 1, Runs: 500})
	require.NotNil(t, rep.Found, "at 30%% loss, random seeds lose ping 2 soon")
	f := rep.Found
	require.Equal(t, 1, f.After.Faults, "as found: %s; shrunk: %s", f.Before, f.After)
	require.LessOrEqual(t, f.After.Varied, 1)
	// The shrunk plan replays to the same failure.
	res := pings("lossy")(f.Seed, f.Plan.Chooser())
	require.True(t, SameFailure(res.Err, f.Err), "replaying the shrunk plan: %v", res.Err)
}

func TestPCTReportsProgressAndReplays(t *testing.T) {
	var out bytes.Buffer
	rep := Search(pings("unreliable"), Options{Strategy: PCT, Runs: 300, Progress: &out})
	require.NotNil(t, rep.Found)
	require.Contains(t, out.String(), "explore pct: ")
	require.Contains(t, out.String(), "states/s")
}

func TestChoicesFileRoundTrip(t *testing.T) {
	f := &File{Package: "raft", Test: "TestX4A", Seed: 3, Plan: Plan{Set: map[int]int64{12: 1, 40: 500}, Rest: RestDefault},
		Kinds: map[int]labrpc.ChoiceKind{12: labrpc.ChoiceLoss, 40: labrpc.ChoiceDelay}}
	var b bytes.Buffer
	require.NoError(t, f.Write(&b))
	require.Equal(t, "# protolab choices package=raft test=TestX4A seed=3 rest=default\n12 loss 1\n40 delay 500\n", b.String())
	g, err := Read(&b)
	require.NoError(t, err)
	require.Equal(t, f, g)
	for _, bad := range []struct{ text, want string }{
		{"hello\n", "not a choices header"},
		{"# protolab choices seed=x\n", "seed=\"x\" is not a number"},
		{"# protolab choices seed=1\n3 loss\n", "POSITION KIND VALUE"},
		{"# protolab choices seed=1\n3 drop 1\n", "no kind of choice \"drop\""},
		{"# protolab choices seed=1\n3 loss 1\n3 loss 0\n", "set twice"},
	} {
		_, err := Read(strings.NewReader(bad.text))
		require.ErrorContains(t, err, bad.want, bad.text)
	}
}

func TestStagedSearchVariesOnlyWhatComesAfterTheGoal(t *testing.T) {
	run := pingsWith("reliable", 0, 4)
	rep := Search(run, Options{Strategy: BFS, Goal: true, MaxFaults: 1, Runs: 200})
	require.NotNil(t, rep.Found, rep.Why)
	require.ErrorContains(t, rep.Found.Err, "ping 3 arrived but ping 2 never did", "ping 0's and 1's losses come before the goal")
	goal := run(rep.Found.Seed, Plan{Set: map[int]int64{}}.Chooser()).GoalAt
	require.Positive(t, goal)
	for _, pos := range rep.Found.Plan.Positions() {
		require.GreaterOrEqual(t, pos, goal, "the second stage varies only choices after the goal")
	}
}

func TestBoundedSearchGrowsATreePerSeed(t *testing.T) {
	var seeds []int64
	run := pings("reliable")
	Search(func(seed int64, ch labrpc.Chooser) Result {
		seeds = append(seeds, seed)
		return run(seed, ch)
	}, Options{Strategy: BFS, Seed: 5, Seeds: 3, MaxFaults: 1, MaxPos: 2, Runs: 100})
	require.Equal(t, []int64{5, 6, 7}, seeds[:3], "the default run of each seed first")
	require.Subset(t, []int64{5, 6, 7}, seeds[3:])
	require.Greater(t, len(seeds), 3)
}
