package main

import (
	"io"
	"strings"
	"testing"
)

func TestDemoDefaultIsRaftOnceItExists(t *testing.T) {
	fakeDemos(t)
	registerDemo("kvsrv", "lab 1", func(w io.Writer) error { _, err := io.WriteString(w, "kvsrv ran\n"); return err })
	if _, out, _ := lab(t, "", "demo"); out != "kvsrv ran\n" {
		t.Errorf("without raft's demo, lab demo ran: %q", out)
	}
	registerDemo("raft", "lab 4", func(w io.Writer) error { _, err := io.WriteString(w, "raft ran\n"); return err })
	if _, out, _ := lab(t, "", "demo"); out != "raft ran\n" {
		t.Errorf("with raft's demo, lab demo ran: %q", out)
	}
	if _, help, _ := lab(t, "", "help", "demo"); !strings.Contains(help, "raft (default)") || strings.Contains(help, "kvsrv (default)") {
		t.Errorf("lab help demo does not give raft as the default:\n%s", help)
	}
}

func TestRunnerRegistryRefusesMistakes(t *testing.T) {
	fakeRunners(t)
	for _, r := range []runner{
		{name: "", nodes: 1, load: 1, run: func(*simRun) error { return nil }},
		{name: "two words", nodes: 1, load: 1, run: func(*simRun) error { return nil }},
		{name: "x", nodes: 0, load: 1, run: func(*simRun) error { return nil }},
		{name: "x", nodes: 1, load: 0, run: func(*simRun) error { return nil }},
		{name: "x", nodes: 1, load: 1},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("registerRunner(%+v) did not panic", r)
				}
			}()
			registerRunner(r)
		}()
	}
	registerRunner(runner{name: "x", nodes: 1, load: 1, run: func(*simRun) error { return nil }})
	defer func() {
		if recover() == nil {
			t.Error("registering a runner twice did not panic")
		}
	}()
	registerRunner(runner{name: "x", nodes: 1, load: 1, run: func(*simRun) error { return nil }})
}
