package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"

	"protolab/internal/course"
	"protolab/internal/stories"
	"protolab/labrpc"
)

// decode requires out to be one JSON value and decodes it into v.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
}

func TestMutantsJSON(t *testing.T) {
	root := fixture(t)
	code, stdout, _ := lab(t, root, "mutants", "--list", "adder", "--json")
	var list course.MutantsReport
	decode(t, stdout, &list)
	if code != exitOK || len(list.Packages) != 1 || len(list.Packages[0].Mutants) != 3 || list.Packages[0].Mutants[0].Name != "add-subtracts" {
		t.Errorf("mutants --list --json: exit status %d, %+v", code, list)
	}
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	code, stdout, _ = lab(t, root, "mutants", "adder", "--only", "add-subtracts", "--json", "--", "-run", "1A$")
	var run course.MutantsReport
	decode(t, stdout, &run)
	if code != exitOK || !run.OK || len(run.Packages) != 1 {
		t.Fatalf("mutants --json: exit status %d, %+v", code, run)
	}
	p := run.Packages[0]
	if p.Caught != 1 || p.Missed != 0 || len(p.Mutants) != 1 || p.Mutants[0].Verdict != "caught" || len(p.Mutants[0].FailedTests) != 2 || p.BaselineMS <= 0 {
		t.Errorf("mutants --json: %+v", p)
	}
}

func TestDemoJSONRecordsTheDemosWorld(t *testing.T) {
	fakeDemos(t)
	addDemo("tiny", "two nodes ping", func(w io.Writer) error {
		world := labrpc.NewWorld(labrpc.Config{Seed: 4, Nodes: 2})
		defer world.Close()
		world.Start(0, func(labrpc.Env) any { return &Idle{} })
		world.Start(1, func(labrpc.Env) any { return &Idle{} })
		c := world.NewClient()
		c.Call(1, "Idle.Ping", &IdleArgs{N: 1}, &IdleReply{})
		world.Note("done")
		fmt.Fprintln(w, "the story")
		return world.Err()
	})
	addDemo("worldless", "no world", func(w io.Writer) error { return nil })
	code, stdout, stderr := lab(t, "", "demo", "tiny", "--json")
	var d stories.Recording
	decode(t, stdout, &d)
	if code != exitOK || d.Demo != "tiny" || d.Seed != 4 || d.Nodes != 2 || d.Messages != 1 || len(d.Lines) < 5 || d.Digest == "" {
		t.Errorf("demo --json: exit status %d (%s), %+v", code, stderr, d)
	}
	if l := d.Lines[len(d.Lines)-1]; l.Kind != labrpc.KindNote || l.Text != "done" {
		t.Errorf("the last line recorded is %+v, want the note", l)
	}
	code, _, stderr = lab(t, "", "demo", "worldless", "--json")
	if code != exitFail || !strings.Contains(stderr, "the demo built no simulated world") {
		t.Errorf("a demo without a world: exit status %d, stderr %q", code, stderr)
	}
}
