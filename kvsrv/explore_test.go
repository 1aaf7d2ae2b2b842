package kvsrv

import (
	"fmt"
	"testing"
	"time"

	"protolab/explore"
	"protolab/tests"
)

// A schedule search (docs/explore.md) for at-most-once: a few Puts of one
// clerk, the search choosing which requests and replies are lost (fewest
// first). A Put that returned OK must have moved the version by exactly
// one; one that returned ErrMaybe by one or none.
func TestSearchAtMostOnce1B(t *testing.T) {
	tests.Explore(t, explore.Options{Strategy: explore.BFS, MaxFaults: 2, Runs: 150, Budget: 10 * time.Second}, func(t *tests.T) {
		c := newCluster(t, "reliable")
		ck := c.clerk()
		version := Tversion(0)
		for i := 0; i < 3; i++ {
			err := ck.Put("k", fmt.Sprint(i), version)
			_, ver, _ := ck.Get("k")
			switch {
			case err == OK && ver != version+1:
				t.Broken("Put %d returned OK but the version went from %d to %d: applied more than once (at-most-once)", i, version, ver)
			case err == ErrMaybe && ver != version && ver != version+1:
				t.Broken("Put %d returned ErrMaybe but the version went from %d to %d: applied more than once (at-most-once)", i, version, ver)
			case err != OK && err != ErrMaybe:
				t.Broken("Put %d of the only clerk, at the current version %d, returned %s", i, version, err)
			}
			version = ver
		}
	})
}
