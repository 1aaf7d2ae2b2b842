package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"protolab/internal/course"
)

// The table on two kvsrv mutants, bounded search only, 8 schedules: one
// that a lost reply exposes (found, with its counts) and one the search test
// never meets (none in 8, at the cap); a lock mutant is listed with its
// reason. Without the reference's rows (--baseline=false), which run the
// same code as a mutant's, so that the test builds one binary, not two.
func TestExploreTable(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a test binary; skipped in -short mode")
	}
	out := filepath.Join(t.TempDir(), "table.md")
	code, stdout, stderr := lab(t, "../..", "explore", "kvsrv", "--table", "--strategy", "bfs", "--runs", "8",
		"--mutants", "put-ignores-version,create-at-any-version,lock-takes-held", "--baseline=false", "--out", out)
	if code != exitOK {
		t.Fatalf("exit status %d; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stdout, "(reference)") {
		t.Errorf("--baseline=false, but the table has the reference's rows:\n%s", stdout)
	}
	for _, want := range []string{
		"| mutant | search test | bfs |",
		"| put-ignores-version | AtMostOnce1B | 5 (6/1 → 6/1) |",
		"| create-at-any-version | AtMostOnce1B | none in 8 (the cap: prefixes of a stateless search) |",
		"- lock-takes-held: a lock mutant",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the table lacks %q:\n%s", want, stdout)
		}
	}
	// The progress lines name the invariant a found failure broke.
	if want := "put-ignores-version TestSearchAtMostOnce1B bfs: 5 (6/1 → 6/1): "; !strings.Contains(stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, stderr)
	}
	if data, err := os.ReadFile(out); err != nil || string(data) != stdout {
		t.Errorf("--out: %v; the file differs from what was printed", err)
	}
}

func TestExploreTableUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"explore", "raft", "--mutants", "vote-twice"}, "lab explore: --mutants goes with --table"},
		{[]string{"explore", "raft", "--table", "-run", "TestSearchElectionSafety4A"}, "lab explore: --table runs each mutant's own search test; give no -run"},
		{[]string{"explore", "raft", "--table", "--strategy", "pct,dpor"}, "lab explore: --strategy: explore: no strategy \"dpor\"; choose one of random, pct, bfs, dfs"},
		{[]string{"explore", "raft", "--table", "--runs", "0"}, "lab explore: --runs must be at least 1"},
		{[]string{"explore", "raft", "--table", "--mutants", "vote-twise"}, "lab explore: --mutants: raft has no mutant \"vote-twise\" (did you mean \"vote-twice\"?)"},
		{[]string{"explore", "gossip", "--table"}, "lab explore: --table: no search catalogue for gossip; the catalogued labs are kvsrv, paxos, raft (cmd/lab/explore_catalogue.go)"},
	} {
		code, stdout, stderr := lab(t, "../..", tt.args...)
		if code != exitUsage || stderr != tt.want+"; run 'lab help explore'\n" || stdout != "" {
			t.Errorf("lab %s: exit status %d, stderr %q; want %d, %q", strings.Join(tt.args, " "), code, stderr, exitUsage, tt.want)
		}
	}
}

// Every catalogued mutant of a lab in the search catalogue has a row, and
// every row names a catalogued mutant and either a search test that exists
// in the lab's explore tests or a reason.
func TestSearchCatalogueNamesRealMutants(t *testing.T) {
	root, ok := findModule(mustAbs(t, "."))
	if !ok {
		t.Fatal("no module")
	}
	for lab, rows := range searchCatalogue {
		mutants, err := course.LoadMutants(root, lab)
		if err != nil {
			t.Fatal(err)
		}
		known := map[string]bool{}
		for _, m := range mutants {
			known[m.Name] = true
		}
		var src strings.Builder
		files, _ := filepath.Glob(filepath.Join(root, lab, "explore*_test.go"))
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			src.Write(data)
		}
		for _, m := range mutants {
			if _, ok := rows[m.Name]; !ok {
				t.Errorf("%s/mutants.txt lists %s, which has no row in the search catalogue (cmd/lab/explore_catalogue.go): name the search test that reaches it, or say why none can and which test catches it", lab, m.Name)
			}
		}
		for name, row := range rows {
			if !known[name] {
				t.Errorf("%s: the search catalogue has a row for %s, which %s/mutants.txt does not list", lab, name, lab)
			}
			if row.test == "" && row.why == "" || row.test != "" && !strings.Contains(src.String(), "func "+row.test+"(") {
				t.Errorf("%s %s: no search test %q in %s/explore*_test.go, and no reason", lab, name, row.test, lab)
			}
		}
	}
}

func mustAbs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
