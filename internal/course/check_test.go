package course

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fixtureCourse is the course of the fixture module in testdata/fixture: parts 1A and
// 1B have regions in adder/, 1C and 1D have none until a test adds them.
var fixtureCourse = Course{Parts: []Part{{"1A", "adder"}, {"1B", "adder"}, {"1C", "adder"}, {"1D", "adder"}}}

// copyFixture copies testdata/fixture into a fresh directory, which is not in a git
// work tree, so the code under test lists its files by walking it.
func copyFixture(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join("testdata", "fixture")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		return copyFile(path, filepath.Join(dst, rel))
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// edit replaces old by new in the file at root/rel, which must contain old.
func edit(t *testing.T, root, rel, old, new string) {
	t.Helper()
	path := filepath.Join(root, filepath.FromSlash(rel))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", rel, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func needGo(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the go command; skipped in -short mode")
	}
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH")
	}
}

func TestWriteSkeletonOfFixture(t *testing.T) {
	root := copyFixture(t)
	files, err := ListFiles(root, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(files, " "); got != "adder/adder.go adder/adder_test.go adder/mutants.txt go.mod" {
		t.Fatalf("ListFiles = %s", got)
	}
	dst := t.TempDir()
	stats, err := WriteSkeleton(root, files, dst, "1B", fixtureCourse)
	if err != nil {
		t.Fatal(err)
	}
	if want := (SkeletonStats{Files: 4, Rewritten: 1, Stubbed: 2, Kept: 1}); stats != want {
		t.Errorf("stats = %+v, want %+v", stats, want)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "adder", "adder.go"))
	for _, want := range []string{"return a + b", "// TODO(1B): capitalise s", "\treturn s\n", "import ()"} {
		if !strings.Contains(string(got), want) {
			t.Errorf("skeleton up to 1B lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(string(got), "//lab:") || strings.Contains(string(got), "strings.ToUpper") {
		t.Errorf("skeleton up to 1B keeps a marker or the 1B solution:\n%s", got)
	}
	for _, same := range []string{"adder/adder_test.go", "adder/mutants.txt", "go.mod"} {
		a, _ := os.ReadFile(filepath.Join(root, same))
		b, _ := os.ReadFile(filepath.Join(dst, same))
		if string(a) != string(b) {
			t.Errorf("%s differs in the skeleton; only files with markers may change", same)
		}
	}
}

func TestWriteSkeletonReportsEveryBadFileAndWritesNothing(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "a.go"), []byte("package p\n//lab:end\n"), 0o644)
	os.WriteFile(filepath.Join(root, "b.go"), []byte("package p\n//lab:solution 1A\n"), 0o644)
	os.WriteFile(filepath.Join(root, "c.go"), []byte("package p\n"), 0o644)
	dst := t.TempDir()
	_, err := WriteSkeleton(root, []string{"a.go", "b.go", "c.go"}, dst, "1A", Default)
	if err == nil {
		t.Fatal("WriteSkeleton succeeded with bad markers")
	}
	for _, want := range []string{"a.go:2: //lab:end without an open region", "b.go:2: //lab:solution 1A is never closed"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if entries, _ := os.ReadDir(dst); len(entries) != 0 {
		t.Errorf("WriteSkeleton wrote %d files despite the errors", len(entries))
	}
}

func TestListFilesFromGit(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("no git")
	}
	root := t.TempDir()
	for _, f := range []string{"tracked.go", "untracked.go", "ignored.log", ".gitignore"} {
		os.WriteFile(filepath.Join(root, f), []byte("*.log\n"), 0o644)
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "tracked.go", ".gitignore"}} {
		if out, err := exec.Command("git", append([]string{"-C", root}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	tracked, err := ListFiles(root, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tracked, " "); got != ".gitignore tracked.go" {
		t.Errorf("tracked files = %s", got)
	}
	all, _ := ListFiles(root, true)
	if got := strings.Join(all, " "); got != ".gitignore tracked.go untracked.go" {
		t.Errorf("tracked and untracked files = %s", got)
	}
}

func rowSummary(r CheckRow) string {
	if r.NotRun != "" {
		return r.Part.Name + ": not run: " + r.NotRun
	}
	return strings.Join([]string{r.Part.Name, r.BuildVet.Summary, r.Earlier.Summary, r.PartFails.Summary}, " | ")
}

func TestCheckSkeletonOfFixture(t *testing.T) {
	needGo(t)
	root := copyFixture(t)
	var reported []string
	res, err := CheckSkeleton(context.Background(), CheckOptions{
		Root: root, Course: fixtureCourse, Timeout: time.Minute,
		Report: func(r CheckRow) { reported = append(reported, r.Part.Name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"1A | ok | - | ok (2 of 2 fail)",
		"1B | ok | ok (2 tests) | ok (1 of 1 fail)",
	}
	checkRows(t, res, want)
	if !res.OK() {
		t.Error("res.OK() = false for the fixture as it is")
	}
	if len(res.Skipped) != 2 || res.Skipped[0].Name != "1C" {
		t.Errorf("Skipped = %v, want 1C and 1D (no regions)", res.Skipped)
	}
	if strings.Join(reported, " ") != "1A 1B" {
		t.Errorf("Report was called for %v, want 1A 1B", reported)
	}
}

// A test of the reference's private code (*_reference_test.go) does not compile in
// a skeleton that stubs that code; the learner never gets it, and the check leaves
// it out too, while the reference still runs it.
func TestCheckSkeletonLeavesOutReferenceTests(t *testing.T) {
	needGo(t)
	root := copyFixture(t)
	edit(t, root, "adder/adder.go", "\treturn strings.ToUpper(s) + \"!\"\n", "\treturn loud(s)\n")
	edit(t, root, "adder/adder.go", "// Shout returns", `//lab:solution 1B
func loud(s string) string { return strings.ToUpper(s) + "!" }
//lab:end

// Shout returns`)
	ref := "package adder\n\nimport \"testing\"\n\nfunc TestLoud1B(t *testing.T) {\n\tif loud(\"a\") != \"A!\" {\n\t\tt.Fatal(\"loud\")\n\t}\n}\n"
	if err := os.WriteFile(filepath.Join(root, "adder", "adder"+ReferenceTestSuffix), []byte(ref), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := CheckSkeleton(context.Background(), CheckOptions{Root: root, Course: fixtureCourse, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, res, []string{
		"1A | ok | - | ok (2 of 2 fail)",
		"1B | ok | ok (2 tests) | ok (1 of 1 fail)",
	})
	if !res.OK() {
		t.Error("res.OK() = false: the reference's own test must stay out of the skeletons and pass on the reference")
	}
}

// Two workers check the parts at once, each in a copy of its own, and
// report the same rows, in course order, as one worker does.
func TestCheckSkeletonWithWorkers(t *testing.T) {
	needGo(t)
	root := copyFixture(t)
	var reported []string
	res, err := CheckSkeleton(context.Background(), CheckOptions{
		Root: root, Course: fixtureCourse, Timeout: time.Minute, Workers: 2,
		Report: func(r CheckRow) { reported = append(reported, r.Part.Name) },
	})
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, res, []string{
		"1A | ok | - | ok (2 of 2 fail)",
		"1B | ok | ok (2 tests) | ok (1 of 1 fail)",
	})
	if strings.Join(reported, " ") != "1A 1B" {
		t.Errorf("Report was called for %v, want 1A 1B in course order", reported)
	}
}

func TestCheckSkeletonFindsWhatIsWrong(t *testing.T) {
	needGo(t)
	tests := []struct {
		name  string
		edit  func(t *testing.T, root string)
		parts string
		want  []string
	}{
		{
			// In the skeleton up to 1B, Add calls the stub of sum; up to 1C, sum is solved.
			name: "a later stub breaks an earlier part; a part without tests; a part without regions",
			edit: func(t *testing.T, root string) {
				edit(t, root, "adder/adder.go", "\treturn a + b\n", "\treturn sum(a, b)\n")
				edit(t, root, "adder/adder.go", "// Double returns", `//lab:solution 1B
func sum(a, b int) int { return a + b }
//lab:stub
//> func sum(a, b int) int { return 0 } // TODO(1B)
//lab:end

//lab:solution 1C
const Version = 1
//lab:stub
//> const Version = 0
//lab:end

// Double returns`)
			},
			parts: "1B,1C,1D",
			want: []string{
				"1B | ok | FAIL TestAdd1A, TestAddNegative1A | ok (1 of 1 fail)",
				"1C | ok | ok (3 tests) | FAIL (no tests of 1C)",
				"1D: not run: no //lab:solution 1D region",
			},
		},
		{
			name: "a stub that already passes the tests",
			edit: func(t *testing.T, root string) {
				edit(t, root, "adder/adder.go", "//> return s", `//> return map[string]string{"hi": "HI!"}[s]`)
			},
			parts: "1B",
			want:  []string{"1B | ok | ok (2 tests) | FAIL (all 1 pass)"},
		},
		{
			name: "a stub that does not build",
			edit: func(t *testing.T, root string) {
				edit(t, root, "adder/adder.go", "//> return s", "//> return strings.ToLower(s)")
			},
			parts: "1B",
			want:  []string{"1B | FAIL (build) | - | -"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := copyFixture(t)
			tt.edit(t, root)
			parts, err := fixtureCourse.ParseParts(tt.parts)
			if err != nil {
				t.Fatal(err)
			}
			res, err := CheckSkeleton(context.Background(), CheckOptions{Root: root, Course: fixtureCourse, Parts: parts, Timeout: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			checkRows(t, res, tt.want)
			if res.OK() {
				t.Error("res.OK() = true, want false")
			}
		})
	}
}

func checkRows(t *testing.T, res CheckResult, want []string) {
	t.Helper()
	var got []string
	for _, r := range res.Rows {
		got = append(got, rowSummary(r))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		for _, r := range res.Rows {
			for _, s := range []Step{r.BuildVet, r.Earlier, r.PartFails} {
				if s.Detail != "" {
					t.Logf("%s: %s", r.Part.Name, s.Detail)
				}
			}
		}
	}
}

func TestCheckSkeletonStopsOnMarkerErrors(t *testing.T) {
	root := copyFixture(t)
	edit(t, root, "adder/adder.go", "\t//> return s\n\t//lab:end\n", "\t//> return s\n")
	_, err := CheckSkeleton(context.Background(), CheckOptions{Root: root, Course: fixtureCourse})
	if err == nil || !strings.Contains(err.Error(), "adder/adder.go:28: //lab:solution 1B is never closed") {
		t.Errorf("error = %v, want the unclosed 1A region", err)
	}
}

func TestRunMutantsOfFixture(t *testing.T) {
	needGo(t)
	root := copyFixture(t)
	pkgs, err := MutantPackages(root)
	if err != nil || strings.Join(pkgs, " ") != "adder" {
		t.Fatalf("MutantPackages = %v, %v; want [adder]", pkgs, err)
	}
	ms, err := LoadMutants(root, "adder")
	if err != nil {
		t.Fatal(err)
	}
	_, results, err := RunMutants(context.Background(), MutantOptions{Root: root, Pkg: "adder", Mutants: ms, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range results {
		got = append(got, r.Mutant.Name+" "+r.Verdict.String()+" "+r.FailedSummary())
	}
	want := []string{
		"add-subtracts caught TestAdd1A, TestAddNegative1A",
		"double-by-multiplying MISSED -",
		"add-string caught (build) (does not compile)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("results:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The module itself is never touched: mutants are applied to a copy.
	src, _ := os.ReadFile(filepath.Join(root, "adder", "adder.go"))
	if !strings.Contains(string(src), "\treturn a + b\n") {
		t.Error("RunMutants changed the module it was given")
	}
}

func TestRunMutantsRefusesFailingTests(t *testing.T) {
	needGo(t)
	root := copyFixture(t)
	edit(t, root, "adder/adder_test.go", "got != 5", "got != 6")
	ms, _ := LoadMutants(root, "adder")
	_, _, err := RunMutants(context.Background(), MutantOptions{Root: root, Pkg: "adder", Mutants: ms, Timeout: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "the tests of adder fail before any mutant is applied") {
		t.Errorf("error = %v, want a refusal naming the failing baseline", err)
	}
}

func TestLoadMutantsChecksEachApplies(t *testing.T) {
	root := copyFixture(t)
	edit(t, root, "adder/adder.go", "\treturn Add(x, x)\n", "\treturn Add(x, x) // twice\n")
	_, err := LoadMutants(root, "adder")
	if err == nil || !strings.Contains(err.Error(), `mutant double-by-multiplying: its "-" lines occur 0 times in adder/adder.go`) {
		t.Errorf("error = %v", err)
	}
	if _, err := LoadMutants(root, "nowhere"); err == nil || !strings.Contains(err.Error(), "nowhere/mutants.txt does not exist") {
		t.Errorf("error for a package without mutants = %v", err)
	}
}

// A part must hold on every seed: a test of 1A that fails on seed 3 only passes
// the check over two seeds, and fails it over five, in the skeleton with 1B next
// and in the reference, each failed run named with its replay command.
func TestCheckSkeletonSweepsSeeds(t *testing.T) {
	needGo(t)
	root := copyFixture(t)
	flaky := `package adder

import (
	"flag"
	"fmt"
	"testing"
)

var seeds = flag.Int("seeds", 1, "run over seeds 1..K")

func TestFlaky1A(t *testing.T) {
	for s := 1; s <= *seeds; s++ {
		t.Run(fmt.Sprintf("seed=%d", s), func(t *testing.T) {
			if s == 3 {
				t.Error("fails on seed 3, as a rare flake does")
			}
		})
	}
}
`
	if err := os.WriteFile(filepath.Join(root, "adder", "flaky_test.go"), []byte(flaky), 0o644); err != nil {
		t.Fatal(err)
	}
	parts := []Part{fixtureCourse.Parts[1]}
	check := func(seeds int, seedsFor map[string]int) CheckRow {
		t.Helper()
		res, err := CheckSkeleton(context.Background(), CheckOptions{Root: root, Course: fixtureCourse, Parts: parts,
			Timeout: time.Minute, Seeds: seeds, SeedsFor: seedsFor})
		if err != nil || len(res.Rows) != 1 {
			t.Fatalf("CheckSkeleton: %v, %d rows", err, len(res.Rows))
		}
		return res.Rows[0]
	}
	if row := check(2, nil); !row.OK() || row.Earlier.Summary != "ok (3 tests × 2 seeds)" || row.Reference.Status != StepOK {
		t.Errorf("over 2 seeds: earlier %q, reference %q; want both ok", row.Earlier.Summary, row.Reference.Summary)
	}
	row := check(5, nil)
	if row.OK() || row.Earlier.Status != StepFailed || row.Reference.Status != StepFailed {
		t.Fatalf("over 5 seeds: earlier %q, reference %q; want both to fail on seed 3", row.Earlier.Summary, row.Reference.Summary)
	}
	replay := "TestFlaky1A seed 3: go test ./adder -run '^TestFlaky1A$' -seed=3"
	for _, s := range []Step{row.Earlier, row.Reference} {
		if !strings.Contains(s.Detail, replay) || !strings.Contains(s.Summary, "TestFlaky1A") {
			t.Errorf("the failed sweep's summary %q or detail does not name the failed run %q:\n%s", s.Summary, replay, s.Detail)
		}
	}
	if row := check(5, map[string]int{"adder": 2}); !row.OK() {
		t.Errorf("SeedsFor adder=2 did not override Seeds=5: earlier %q", row.Earlier.Summary)
	}

	// --no-reference leaves the reference's sweep out, and only that: the
	// earlier parts' sweep still fails on seed 3.
	res, err := CheckSkeleton(context.Background(), CheckOptions{Root: root, Course: fixtureCourse, Parts: parts,
		Timeout: time.Minute, Seeds: 5, NoReference: true})
	if err != nil || len(res.Rows) != 1 {
		t.Fatalf("CheckSkeleton with NoReference: %v, %d rows", err, len(res.Rows))
	}
	if row := res.Rows[0]; row.Reference.Status != StepSkipped || row.Reference.Summary != "- (--no-reference)" || row.Earlier.Status != StepFailed {
		t.Errorf("with NoReference over 5 seeds: earlier %q, reference %q; want the earlier sweep to fail and the reference's left out",
			row.Earlier.Summary, row.Reference.Summary)
	}
}

func TestParseSeeds(t *testing.T) {
	for _, tc := range []struct {
		in       string
		seeds    int
		seedsFor string
		err      string
	}{
		{in: "1", seeds: 1, seedsFor: "map[]"},
		{in: "20", seeds: 20, seedsFor: "map[]"},
		{in: "20,gossip=2,chash=3", seeds: 20, seedsFor: "map[chash:3 gossip:2]"},
		{in: "0", err: `"0" is not a positive number of seeds`},
		{in: "x", err: `"x" is not a positive number of seeds`},
		{in: "20,5", err: "only the first item is a plain number"},
		{in: "20,=5", err: "needs a package directory"},
		{in: "20,raft=-1", err: `"-1" is not a positive number`},
	} {
		seeds, seedsFor, err := ParseSeeds(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "as in 20,gossip=2") {
				t.Errorf("ParseSeeds(%q) error %v, want one with %q and an example", tc.in, err, tc.err)
			}
			continue
		}
		if got := fmt.Sprint(seedsFor); err != nil || seeds != tc.seeds || (got != tc.seedsFor && !(tc.seedsFor == "map[]" && seedsFor == nil)) {
			t.Errorf("ParseSeeds(%q) = %d, %v, %v; want %d, %s", tc.in, seeds, seedsFor, err, tc.seeds, tc.seedsFor)
		}
	}
}
