package harness

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"protolab/labrpc"
	"protolab/replog"
)

// Self-tests for the rules the full mutation run of replog/harness found
// unchecked: each test below breaks one rule of the cluster, its helpers or
// Measure, on an engine written for it, and must fail if the rule goes.

// sluggish is an honest engine that is slow: peer 0 leads, in term 1, from
// leadAt on and takes commands from then, appending them to one log the
// peers share; every peer applies an entry lag after it was started, every
// 10ms, and none applies more than limit entries (0: no limit).
type sluggish struct {
	env    labrpc.Env
	leadAt time.Duration
	log    *[]slowEntry
}

type slowEntry struct {
	cmd any
	at  time.Duration // when it was started
}

func (s *sluggish) leads() bool { return s.env.Me() == 0 && s.env.Now() >= s.leadAt }

func (s *sluggish) Start(cmd any) (int, int, bool) {
	if !s.leads() {
		return -1, 1, false
	}
	*s.log = append(*s.log, slowEntry{cmd, s.env.Now()})
	return len(*s.log), 1, true
}
func (s *sluggish) GetState() (int, bool) { return 1, s.leads() }
func (s *sluggish) Snapshot(int, []byte)  {}

func sluggishEngine(leadAt, lag time.Duration, limit int) replog.Engine {
	var log []slowEntry
	return replog.Engine{Name: "sluggish", Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		applied := 0
		var tick func()
		tick = func() {
			for applied < len(log) && (limit == 0 || applied < limit) && log[applied].at+lag <= env.Now() {
				applied++
				apply(cmd(applied, log[applied-1].cmd))
			}
			env.After(10*time.Millisecond, tick)
		}
		env.After(10*time.Millisecond, tick)
		return &sluggish{env: env, leadAt: leadAt, log: &log}
	}}
}

// The limits the helpers' failures name are the limits they keep: an engine
// just inside one must pass, one just outside it must fail.
func TestHelpersKeepTheLimitsTheyName(t *testing.T) {
	require.NoError(t, run(t, sluggishEngine(4500*time.Millisecond, 0, 0), 3, func(c *Cluster) {
		require.Equal(t, 0, c.CheckOneLeader(), "a leader at 4.5s is found (the limit is 5s)")
	}))
	err := run(t, sluggishEngine(5500*time.Millisecond, 0, 0), 3, func(c *Cluster) { c.CheckOneLeader() })
	require.ErrorContains(t, err, "no leader among the connected peers after 5s")

	require.NoError(t, run(t, sluggishEngine(0, 1500*time.Millisecond, 0), 3, func(c *Cluster) {
		require.Equal(t, 1, c.One("x", 3, false), "a commit 1.5s after Start is in time (the limit is 2s)")
	}))
	err = run(t, sluggishEngine(0, 2500*time.Millisecond, 0), 3, func(c *Cluster) { c.One("x", 3, false) })
	require.ErrorContains(t, err, `one("x"): 0 of the 3 expected peers applied index 1 within 2s`)

	require.NoError(t, run(t, sluggishEngine(9500*time.Millisecond, 0, 0), 3, func(c *Cluster) {
		require.Equal(t, 1, c.One("x", 3, true), "a leader that takes the command at 9.5s is in time (the limit is 10s)")
	}))
	err = run(t, sluggishEngine(10500*time.Millisecond, 0, 0), 3, func(c *Cluster) { c.One("x", 3, true) })
	require.ErrorContains(t, err, `one("x"): no agreement within 10s`)
}

// asker is an engine whose peers refuse every Start and note when each was
// asked.
type asker struct {
	env   labrpc.Env
	asked *[]string
}

func (a *asker) Start(any) (int, int, bool) {
	*a.asked = append(*a.asked, fmt.Sprintf("%v n%d", a.env.Now(), a.env.Me()))
	return -1, 1, false
}
func (a *asker) GetState() (int, bool) { return 1, false }
func (a *asker) Snapshot(int, []byte)  {}

// One offers the command to each peer that is up once a round: a Start
// that a peer takes is a proposal, and asking the same peer twice at one
// instant could propose it twice.
func TestOneAsksEachPeerOnceARound(t *testing.T) {
	var asked []string
	e := replog.Engine{Name: "asker", Boot: func(env labrpc.Env, _ *labrpc.Persister, _ func(replog.Msg)) replog.Peer {
		return &asker{env: env, asked: &asked}
	}}
	err := run(t, e, 3, func(c *Cluster) {
		c.Crash(1)
		c.One("x", 1, true)
	})
	require.ErrorContains(t, err, "no agreement within 10s")
	require.Equal(t, []string{"0s n0", "0s n2", "50ms n0", "50ms n2", "100ms n0", "100ms n2"}, asked[:6],
		"every round asks n0 and n2 once each, and not the crashed n1")
	require.Len(t, asked, 2*200, "200 rounds of 50ms in the 10s")
}

// WaitInTerm gives up, returning nil, as soon as a peer is past the term
// the command was started in; in that term it waits on, and fails.
func TestWaitInTermGivesUpOnANewTerm(t *testing.T) {
	require.NoError(t, run(t, scribes("scribe", 0, false), 3, func(c *Cluster) {
		c.Crash(2) // a peer that is down is skipped
		require.Nil(t, c.WaitInTerm(5, 3, 0), "the scribes are in term 1, past term 0")
		require.Less(t, c.World().Now(), time.Second, "it gave up at the first look")
	}))
	err := run(t, scribes("scribe", 0, false), 3, func(c *Cluster) { c.WaitInTerm(5, 3, 1) })
	require.ErrorContains(t, err, "only 0 peers applied index 5; wanted 3")
}

// The service asks for a snapshot at every index when SnapshotEvery is 1.
func TestSnapshotsEveryIndex(t *testing.T) {
	var asked []int
	e := replog.Engine{Name: "recorder", SnapshotEvery: 1, Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		env.After(10*time.Millisecond, func() {
			for index := 1; index <= 3; index++ {
				apply(cmd(index, index))
			}
		})
		return &recorder{asked: &asked}
	}}
	require.NoError(t, run(t, e, 1, func(c *Cluster) { c.World().Sleep(100 * time.Millisecond) }))
	require.Equal(t, []int{1, 2, 3}, asked)
}

// OnApply hears only the applies the checker accepted: a refused one ends
// the run, and a benchmark must not time it.
func TestOnApplyHearsOnlyAcceptedApplies(t *testing.T) {
	var heard []replog.Msg
	err := run(t, liarEngine(func(me int, apply func(replog.Msg)) {
		if me == 0 {
			apply(cmd(1, "x"))
			apply(cmd(3, "z")) // a gap
		}
	}), 3, func(c *Cluster) {
		c.OnApply = func(i int, m replog.Msg) { heard = append(heard, m) }
		c.World().Sleep(time.Second)
	})
	require.ErrorContains(t, err, "n0 applied index 3 right after index 1 (a gap)")
	require.Equal(t, []replog.Msg{cmd(1, "x")}, heard)
}

// reboot is an engine whose peers apply, inside Boot, as many entries as
// they have been booted, and note which incarnation is asked to snapshot.
type reboot struct {
	inc   int
	asked *[]string
}

func (r *reboot) Start(any) (int, int, bool) { return -1, 1, false }
func (r *reboot) GetState() (int, bool)      { return 1, false }
func (r *reboot) Snapshot(index int, _ []byte) {
	*r.asked = append(*r.asked, fmt.Sprintf("incarnation %d at index %d", r.inc, index))
}

// While a node boots, its last incarnation is gone: a snapshot the service
// would take of what the new one applies inside Boot must not go to the
// crashed one (the new one is not there yet, so none is taken).
func TestBootingNodeHasNoPeer(t *testing.T) {
	var asked []string
	boots := 0
	e := replog.Engine{Name: "reboot", SnapshotEvery: 2, Boot: func(env labrpc.Env, _ *labrpc.Persister, apply func(replog.Msg)) replog.Peer {
		boots++
		for index := 1; index <= boots; index++ {
			apply(cmd(index, index))
		}
		return &reboot{inc: boots, asked: &asked}
	}}
	require.NoError(t, run(t, e, 1, func(c *Cluster) {
		c.World().Sleep(10 * time.Millisecond)
		c.Restart(0) // the second incarnation applies 1 and 2 inside Boot
		c.World().Sleep(10 * time.Millisecond)
		require.Equal(t, 2, c.Applied(0))
	}))
	require.Empty(t, asked, "a crashed incarnation was asked to snapshot")
}

// A fake *testing.B.
type metrics map[string]float64

func (m metrics) ReportMetric(n float64, unit string) { m[unit] = n }

func TestReportGivesEveryFigure(t *testing.T) {
	got := metrics{"ns/op": 1234}
	Metrics{MsgsPerCommit: 4, BytesPerCommit: 300, P50: 20 * time.Millisecond, P99: 45 * time.Millisecond}.Report(got)
	require.Equal(t, metrics{"msgs/commit": 4, "bytes/commit": 300, "commit-ms-p50": 20, "commit-ms-p99": 45, "ns/op": 0}, got,
		"the four figures, and ns/op zeroed (the simulator's cost, not the protocol's)")
}

// figurehead is an engine whose peer 0 leads but refuses every command.
type figurehead struct{ me int }

func (f *figurehead) Start(any) (int, int, bool) { return -1, 1, false }
func (f *figurehead) GetState() (int, bool)      { return 1, f.me == 0 }
func (f *figurehead) Snapshot(int, []byte)       {}

// Measure fails, naming the step, on an engine that does not commit; and
// keeps the 10s limits it names.
func TestMeasureFailsOnAnEngineThatDoesNotCommit(t *testing.T) {
	figureheads := replog.Engine{Name: "figurehead", Boot: func(env labrpc.Env, _ *labrpc.Persister, _ func(replog.Msg)) replog.Peer {
		return &figurehead{env.Me()}
	}}
	_, err := Measure(figureheads, 3, 5, 1)
	require.EqualError(t, err, "figurehead: n0 stopped leading on a lossless network")
	_, err = Measure(lones, 3, 5, 1)
	require.EqualError(t, err, "lone: command 0 at index 1 not applied by the leader in 10s", "the warm-up's failure ends the run")
	_, err = Measure(sluggishEngine(0, 0, 3), 3, 5, 1)
	require.EqualError(t, err, "sluggish: command 3 at index 4 not applied by the leader in 10s", "the third measured commit never applies")

	m, err := Measure(sluggishEngine(9500*time.Millisecond, 0, 0), 3, 2, 1)
	require.NoError(t, err, "a leader at 9.5s is in time (the limit is 10s)")
	require.Equal(t, 2, m.Commits)
	m, err = Measure(sluggishEngine(0, 9500*time.Millisecond, 0), 3, 2, 1)
	require.NoError(t, err, "a commit 9.5s after Start is in time (the limit is 10s)")
	require.Equal(t, 9500*time.Millisecond, m.P50.Truncate(100*time.Millisecond))
}
