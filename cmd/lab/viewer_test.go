package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"protolab/labrpc"
)

// requirePage checks that path holds a viewer page with these lanes.
func requirePage(t *testing.T, path string, lanes string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no page written: %v", err)
	}
	page := string(data)
	if !strings.HasPrefix(page, "<!DOCTYPE html>") || !strings.Contains(page, `<canvas id="main">`) || !strings.Contains(page, `"lanes":[`+lanes+`]`) {
		t.Errorf("%s is not a viewer page with lanes %s:\n%.600s", path, lanes, page)
	}
}

func TestRunHTML(t *testing.T) {
	page := filepath.Join(t.TempDir(), "run.html")
	code, stdout, stderr := lab(t, "", "run", "kvsrv", "--for", "1s", "--faults", "unreliable+outages", "--html", page)
	if code != exitOK || !strings.Contains(stdout, "space-time diagram: "+page) {
		t.Fatalf("exit status %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	requirePage(t, page, `"world","n0","c0","c1","c2","c3","c4"`)
}

func TestDemoHTML(t *testing.T) {
	fakeDemos(t)
	addDemo("pair", "two nodes", func(w io.Writer) error {
		world := labrpc.NewWorld(labrpc.Config{Seed: 2, Nodes: 2})
		defer world.Close()
		world.Start(0, func(labrpc.Env) any { return &Idle{} })
		world.Start(1, func(labrpc.Env) any { return &Idle{} })
		world.NewClient().Call(0, "Idle.Ping", &IdleArgs{}, &IdleReply{})
		fmt.Fprintln(w, "the story")
		return nil
	})
	dir := t.TempDir()
	code, stdout, stderr := lab(t, dir, "demo", "pair", "--html", "pair.html")
	if code != exitOK || !strings.HasPrefix(stdout, "the story\n") || !strings.Contains(stdout, "space-time diagram: "+filepath.Join(dir, "pair.html")) {
		t.Fatalf("exit status %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	requirePage(t, filepath.Join(dir, "pair.html"), `"world","n0","n1","c0"`)
}

func TestReplayHTML(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test; skipped in -short mode")
	}
	page := filepath.Join(t.TempDir(), "replay.html")
	code, stdout, stderr := lab(t, "", "replay", flakyTrace(t, ""), "--node", "n2", "--html", page)
	if code != exitOK || !strings.Contains(stdout, "space-time diagram: "+page) {
		t.Fatalf("exit status %d, stdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	requirePage(t, page, `"world","n0","n1","n2"`)
	if data, _ := os.ReadFile(page); !strings.Contains(string(data), `"focus":3`) {
		t.Errorf("--node n2 does not put the focus on n2's lane")
	}
}
