package main

import (
	"fmt"
	"io"
	"math"
	"strings"

	"protolab/chash"
)

func init() {
	registerDemo("chash", "load per member before and after a member joins", demoChash)
}

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
	fmt.Fprintf(w, "\nnext: go test ./chash -run 2A -v, and docs/lab2-chash.md\n")
	return nil
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
