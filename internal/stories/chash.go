package stories

import (
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"protolab/chash"
	"protolab/labrpc"
)

// demoChash shows lab 2's point in one picture: a ring of eight members
// holds 80,000 keys; a ninth joins, takes about a ninth of them, all from
// the others' arcs, and no key moves between old members. Mod N, on the
// same keys, would have moved almost all of them.
func demoChash(w io.Writer) error {
	const (
		members = 8
		vnodes  = chash.DefaultVnodes
		keys    = 80_000
	)
	names := make([]string, members+1)
	for i := range names {
		names[i] = fmt.Sprintf("node-%d", i)
	}
	hashes := make([]uint64, keys)
	for i := range hashes {
		hashes[i] = chash.HashKey(fmt.Sprintf("key-%d", i))
	}

	ring := chash.NewRing(vnodes)
	if err := ring.Add(names[:members]...); err != nil {
		return err
	}
	before := make([]string, keys)
	for i, h := range hashes {
		before[i] = ring.LookupHash(h)
	}
	newcomer := names[members]
	if err := ring.Add(newcomer); err != nil {
		return err
	}
	after := make([]string, keys)
	moved, movedElsewhere := 0, 0
	for i, h := range hashes {
		after[i] = ring.LookupHash(h)
		if after[i] != before[i] {
			moved++
			if after[i] != newcomer {
				movedElsewhere++
			}
		}
	}

	modBefore, err := chash.NewModN(names[:members]...)
	if err != nil {
		return err
	}
	modAfter, err := chash.NewModN(names...)
	if err != nil {
		return err
	}
	modMoved := 0
	for _, h := range hashes {
		if modBefore.LookupHash(h) != modAfter.LookupHash(h) {
			modMoved++
		}
	}

	fmt.Fprintf(w, "protolab demo: lab 2, consistent hashing (%d keys, %d points per member)\n\n", keys, vnodes)
	fmt.Fprintf(w, "before: %d members on the ring\n", members)
	loadBefore := countLoads(before)
	scale := maxLoad(loadBefore)
	drawLoads(w, names[:members], loadBefore, nil, scale)

	fmt.Fprintf(w, "\n%s joins\n\n", newcomer)
	fmt.Fprintf(w, "after: %d members\n", members+1)
	drawLoads(w, names, countLoads(after), loadBefore, scale)

	ideal := float64(keys) / float64(members+1)
	fmt.Fprintf(w, "\nmoved    %d keys (%.1f%%); ideal 1/(N+1) = %.0f keys: %.2f× ideal\n",
		moved, 100*float64(moved)/keys, ideal, float64(moved)/ideal)
	verdict := "yes"
	if movedElsewhere > 0 {
		verdict = fmt.Sprintf("no, %d keys moved between old members", movedElsewhere)
	}
	fmt.Fprintf(w, "to new   every moved key went to %s: %s\n", newcomer, verdict)
	fmt.Fprintf(w, "mod N    on the same keys, hash mod N would have moved %d (%.1f%%), about N/(N+1)\n",
		modMoved, 100*float64(modMoved)/keys)
	fmt.Fprintf(w, "\nThe bars vary by about 1/√%d = %.0f%% around the mean: that is the ring's\n", vnodes, 100/math.Sqrt(vnodes))
	fmt.Fprintf(w, "imbalance with %d points per member. Bounded loads (part 2B) cap it.\n", vnodes)
	if err := demoCache(w); err != nil {
		return err
	}
	if err := demoHerd(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nnext: go test ./chash -run 2A -v (2D for the cache; ./chash/balance -run 2E for the herd), and docs/lab2-chash.md\n")
	return nil
}

// demoCache is the second act: the ring on the simulated network (part 2D).
// Four cache members hold 4000 keys; a fifth joins while a client reads, and
// the keys it now owns travel to it in handoffs; then a member crashes, and
// its keys, and no others, are lost.
func demoCache(w io.Writer) error {
	const (
		ctrl    = 0
		members = 4
		keys    = 4000
		writers = 8
	)
	world := labrpc.NewWorld(labrpc.Config{Seed: 1, Nodes: members + 2})
	defer world.Close()
	var initial []int
	for id := 1; id <= members; id++ {
		initial = append(initial, id)
	}
	world.Start(ctrl, func(env labrpc.Env) any { return chash.MakeController(env, initial) })
	boot := func(env labrpc.Env) any { return chash.MakeCache(env, ctrl) }
	for _, id := range initial {
		world.Start(id, boot)
	}
	controller := world.Service(ctrl, "Controller").(*chash.Controller)
	cache := func(id int) *chash.Cache {
		c, _ := world.Service(id, "Cache").(*chash.Cache)
		return c
	}
	settle := func(what string) error {
		if !world.WaitUntil(controller.Settled, 5*time.Millisecond, 10*time.Second) {
			return fmt.Errorf("%s: the cache did not settle in 10s of virtual time", what)
		}
		return nil
	}
	names := make([]string, members+1)
	for i := range names {
		names[i] = chash.MemberName(i + 1)
	}
	loads := func() map[string]int {
		load := map[string]int{}
		for i, name := range names {
			if c := cache(i + 1); c != nil {
				load[name] = len(c.Keys())
			}
		}
		return load
	}
	handoffs := func() (keysIn, calls int) {
		for i := range names {
			if c := cache(i + 1); c != nil {
				keysIn += c.Stats().KeysIn
				calls += c.Stats().MigrateCalls
			}
		}
		return keysIn, calls
	}
	key := func(i int) string { return fmt.Sprintf("key-%d", i) }
	value := func(i int) string { return fmt.Sprintf("value-%d", i) }

	if err := settle("the first configuration"); err != nil {
		return err
	}
	for c := 0; c < writers; c++ {
		r := chash.MakeRouter(world.NewClient(), ctrl)
		world.Go(fmt.Sprint("writer", c), func() {
			for i := c; i < keys; i += writers {
				r.Put(key(i), value(i))
			}
		})
	}
	if !world.RunUntilDone(time.Minute) {
		return fmt.Errorf("loading %d keys took over a minute of virtual time", keys)
	}

	fmt.Fprintf(w, "\n\nact 2: the same ring on the simulated network (part 2D)\n\n")
	fmt.Fprintf(w, "%d cache members, %d keys written through routers (%v of virtual time)\n", members, keys, world.Now().Round(time.Millisecond))
	before := loads()
	scale := maxLoad(before)
	drawLoads(w, names[:members], before, nil, scale)

	// A reader goes through every key while n5 joins: it meets the change
	// with a router of the old configuration.
	reads, wrong := 0, 0
	reader := chash.MakeRouter(world.NewClient(), ctrl)
	world.Go("reader", func() {
		for i := 0; i < keys; i += 4 {
			v, err := reader.Get(key(i))
			reads++
			if err != chash.OK || v != value(i) {
				wrong++
			}
		}
	})
	world.Sleep(100 * time.Millisecond)
	in0, calls0 := handoffs()
	start := world.Now()
	newcomer := members + 1
	world.Start(newcomer, boot)
	admin := chash.MakeAdmin(world.NewClient(), ctrl)
	if _, err := admin.Join(newcomer); err != nil {
		return err
	}
	if err := settle("the join"); err != nil {
		return err
	}
	in1, calls1 := handoffs()
	moved, calls, took := in1-in0, calls1-calls0, world.Now()-start
	if !world.RunUntilDone(time.Minute) {
		return fmt.Errorf("the reader did not finish")
	}
	after := loads()
	fmt.Fprintf(w, "\n%s joins; the keys it now owns travel to it (Migrate), while a client reads\n\n", names[members])
	drawLoads(w, names, after, before, scale)
	ideal := float64(keys) / float64(members+1)
	fmt.Fprintf(w, "\nmoved    %d keys in %v of virtual time; ideal K/(N+1) = %.0f: %.2f× ideal\n", moved, took.Round(time.Millisecond), ideal, float64(moved)/ideal)
	retries := ""
	if calls > members {
		retries = fmt.Sprintf(", and %d sent again: they came before %s had heard of the join", calls-members, names[members])
	}
	fmt.Fprintf(w, "handoffs %d Migrate messages: one batch from each old member to %s%s\n", calls, names[members], retries)
	fmt.Fprintf(w, "reads    %d before, during and after the join, %d of them wrong: a key on its way\n", reads, wrong)
	fmt.Fprintf(w, "         is served by neither side, and a router refused by the old owner asks again\n")

	// A crash loses the crashed member's keys, and only those.
	victim := 2
	held := after[chash.MemberName(victim)]
	world.Crash(victim)
	if _, err := admin.Fail(victim); err != nil {
		return err
	}
	if err := settle("the crash"); err != nil {
		return err
	}
	r := chash.MakeRouter(world.NewClient(), ctrl)
	lost, bad := 0, 0
	for i := 0; i < keys; i++ {
		v, err := r.Get(key(i))
		switch {
		case err == chash.ErrNoKey:
			lost++
		case err != chash.OK || v != value(i):
			bad++
		}
	}
	fmt.Fprintf(w, "\n%s crashes: %d keys lost, the %d it held (it is a cache); %d of the others wrong\n",
		chash.MemberName(victim), lost, held, bad)
	return world.Err()
}

func countLoads(owners []string) map[string]int {
	load := map[string]int{}
	for _, o := range owners {
		load[o]++
	}
	return load
}

func maxLoad(load map[string]int) int {
	m := 0
	for _, l := range load {
		m = max(m, l)
	}
	return m
}

// drawLoads draws one bar per member, 50 columns for scale keys, with
// eighth-of-a-column precision. With prev, each line also shows the change.
func drawLoads(w io.Writer, names []string, load, prev map[string]int, scale int) {
	const width = 50
	total := 0
	for _, n := range names {
		total += load[n]
	}
	mean := float64(total) / float64(len(names))
	for _, n := range names {
		eighths := (load[n]*width*8 + scale/2) / scale
		bar := strings.Repeat("█", eighths/8)
		if r := eighths % 8; r > 0 {
			bar += string([]rune("▏▎▍▌▋▊▉")[r-1])
		}
		line := fmt.Sprintf("  %-7s %-*s %6d  %3.0f%% of mean", n, width+1, bar, load[n], 100*float64(load[n])/mean)
		if prev != nil {
			if p, ok := prev[n]; ok {
				line += fmt.Sprintf("  %+6d", load[n]-p)
			} else {
				line += "  new"
			}
		}
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}
