package stories

import (
	"errors"
	"io"

	"protolab/labrpc"
)

// A Recording is a demo's run: what 'lab demo --json' prints, and what its viewer
// page draws.
type Recording struct {
	Demo      string        `json:"demo"`
	Seed      int64         `json:"seed"`
	Nodes     int           `json:"nodes"`
	Events    int64         `json:"events"`
	VirtualMS float64       `json:"virtual_ms"`
	Messages  int64         `json:"messages"`
	Bytes     int64         `json:"bytes"`
	Digest    string        `json:"digest"`
	HTML      string        `json:"html,omitempty"`
	Lines     []labrpc.Line `json:"lines"`
}

// ErrNoWorld is Record's error for a demo that builds no simulated world.
var ErrNoWorld = errors.New("the demo built no simulated world, so there is nothing to draw or record")

// Record runs a demo, telling its story to out, while recording the first world it
// builds (through labrpc.WatchWorlds: a demo needs nothing more than its line in the
// table to be drawn).
func (d Demo) Record(out io.Writer) (Recording, error) {
	var w *labrpc.World
	lines := []labrpc.Line{}
	stop := labrpc.WatchWorlds(func(nw *labrpc.World) {
		if w == nil {
			w = nw
			nw.OnTrace(func(l labrpc.Line) { lines = append(lines, l) })
		}
	})
	err := d.Run(out)
	stop()
	if err != nil {
		return Recording{}, err
	}
	if w == nil {
		return Recording{}, ErrNoWorld
	}
	return Recording{Demo: d.Name, Seed: w.Seed(), Nodes: w.Nodes(), Events: w.Steps(), VirtualMS: ms(w.Now()),
		Messages: w.TotalRPCs(), Bytes: w.TotalBytes(), Digest: w.Digest(), Lines: lines}, nil
}
