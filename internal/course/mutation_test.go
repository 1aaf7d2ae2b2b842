package course

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// calcSource has one region, code outside it, a stub and a log call: the generator
// must mutate only the region's solution lines and leave the log call alone.
const calcSource = `package calc

// Abs is outside any region: never mutated when the package has regions.
func Abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Clamp returns x within [lo, hi].
func Clamp(x, lo, hi int, logf func(string, ...any)) int {
	//lab:solution 1A
	logf("clamp", "x < lo is %v", x < lo)
	if x < lo {
		return lo
	}
	for i := 0; i != 3 && x > hi; i++ {
		x -= 1
	}
	return x
	//lab:stub
	// TODO(1A): if x < lo { return lo }
	//> return x
	//lab:end
}
`

func writeCalc(t *testing.T, src string) string {
	t.Helper()
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "calc"), 0o755)
	os.WriteFile(filepath.Join(root, "go.mod"), []byte("module fixture\n\ngo 1.22\n"), 0o644)
	os.WriteFile(filepath.Join(root, "calc", "calc.go"), []byte(src), 0o644)
	os.WriteFile(filepath.Join(root, "calc", "calc_test.go"), []byte("package calc\n\nfunc helper() { if 1 < 2 {} }\n"), 0o644)
	return root
}

func TestGenerateMutantsInSolutionRegions(t *testing.T) {
	root := writeCalc(t, calcSource)
	mutants, scope, err := GenerateMutants(root, "calc", Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	if scope != ScopeSolution {
		t.Errorf("scope %v, want solution regions", scope)
	}
	var got []string
	for _, m := range mutants {
		got = append(got, m.ID()+" "+m.Mutated)
	}
	text := strings.Join(got, "\n")
	for _, w := range []string{
		"calc/calc.go:15:5/negate if !(x < lo) {",
		"calc/calc.go:15:7/boundary if x <= lo {",
		"calc/calc.go:16:3/drop-return (nothing)",
		"calc/calc.go:18:16/equality for i := 0; i == 3 && x > hi; i++ {",
		"calc/calc.go:18:19/off-by-one for i := 0; i != 2 && x > hi; i++ {",
		"calc/calc.go:18:21/logical for i := 0; i != 3 || x > hi; i++ {",
		"calc/calc.go:18:26/boundary for i := 0; i != 3 && x >= hi; i++ {",
		"calc/calc.go:18:33/inc-dec for i := 0; i != 3 && x > hi; i-- {",
		"calc/calc.go:19:5/inc-dec x += 1",
		"calc/calc.go:19:3/drop-stmt (nothing)",
		"calc/calc.go:19:8/off-by-one x -= 0",
	} {
		if !strings.Contains(text, w) {
			t.Errorf("no mutant %q among:\n%s", w, text)
		}
	}
	for _, m := range mutants {
		if m.Line < 14 || m.Line > 21 {
			t.Errorf("mutant %s lies outside the region's solution lines 14-21", m.ID())
		}
		if m.Line == 14 {
			t.Errorf("mutant %s changes a log call", m.ID())
		}
		if m.Line == 21 && m.Op == OpDropReturn {
			t.Errorf("mutant %s drops the return that ends the function (it would not compile)", m.ID())
		}
	}
	if len(mutants) != 12 {
		t.Errorf("%d mutants, want 12:\n%s", len(mutants), text)
	}
}

func TestGenerateMutantsWithoutRegionsMutatesEveryFunction(t *testing.T) {
	root := writeCalc(t, "package calc\n\nfunc Abs(x int) int {\n\tif x < 0 {\n\t\treturn -x\n\t}\n\treturn x\n}\n")
	mutants, scope, err := GenerateMutants(root, "calc", Default, nil)
	if err != nil {
		t.Fatal(err)
	}
	if scope != ScopeAll || len(mutants) != 4 { // negate, boundary, off-by-one, drop-return
		t.Errorf("scope %v, %d mutants, want every function and 4: %+v", scope, len(mutants), mutants)
	}
	only, _, err := GenerateMutants(root, "calc", Default, []string{OpBoundary})
	if err != nil || len(only) != 1 || only[0].Mutated != "if x <= 0 {" {
		t.Errorf("only boundary: %+v, %v", only, err)
	}
	if _, _, err := GenerateMutants(root, "calc", Default, []string{"flip"}); err == nil || !strings.Contains(err.Error(), `unknown mutation operator "flip"; the operators are boundary`) {
		t.Errorf("an unknown operator: %v", err)
	}
}

func TestOpMutantApply(t *testing.T) {
	root := writeCalc(t, calcSource)
	mutants, _, _ := GenerateMutants(root, "calc", Default, []string{OpBoundary})
	src := []byte(calcSource)
	out, err := mutants[0].Apply(src)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "\tif x <= lo {\n") || strings.Count(string(out), "x <= lo") != 1 {
		t.Errorf("Apply did not change exactly the comparison:\n%s", out)
	}
	if _, err := mutants[0].Apply(src[:10]); err == nil || !strings.Contains(err.Error(), "has the file changed") {
		t.Errorf("Apply to a shorter file: %v", err)
	}
}

func TestSampleIsEvenAndStable(t *testing.T) {
	var ms []OpMutant
	for i := range 10 {
		ms = append(ms, OpMutant{Line: i})
	}
	got := Sample(ms, 4)
	var lines []int
	for _, m := range got {
		lines = append(lines, m.Line)
	}
	if len(lines) != 4 || lines[0] != 0 || lines[1] != 2 || lines[2] != 5 || lines[3] != 7 {
		t.Errorf("Sample(10, 4) picks lines %v, want [0 2 5 7]", lines)
	}
	if len(Sample(ms, 0)) != 10 || len(Sample(ms, 20)) != 10 {
		t.Error("Sample with n 0 or above the count must return every mutant")
	}
}

func TestCoverageCovers(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module fixture\n"), 0o644)
	profile := filepath.Join(dir, "c.out")
	os.WriteFile(profile, []byte("mode: set\nfixture/calc/calc.go:4.21,5.12 1 1\nfixture/calc/calc.go:5.12,7.3 1 0\n"), 0o644)
	cov, err := readCoverProfile(profile, dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		line, col int
		want      bool
	}{{4, 25, true}, {6, 3, false}, {5, 11, true}, {9, 1, true}} {
		if got := cov.covers(OpMutant{File: "calc/calc.go", Line: c.line, Col: c.col}); got != c.want {
			t.Errorf("covers(%d:%d) = %v, want %v", c.line, c.col, got, c.want)
		}
	}
}

// The selective mode runs only the tests whose own profile ran the mutant's position,
// the latest killers of its file first and then the fastest; a position outside every
// block is run by every test, as in the whole-suite mode.
func TestSelectionCovering(t *testing.T) {
	block := func(ran bool) coverage {
		return coverage{"p/a.go": {{startLine: 10, startCol: 1, endLine: 20, endCol: 1, ran: ran}}}
	}
	slow := &mutationTest{pkg: "p", name: "TestSlow", base: 3 * time.Second, cov: block(true)}
	fast := &mutationTest{pkg: "p", name: "TestFast", base: time.Second, cov: block(true)}
	other := &mutationTest{pkg: "p", name: "TestOther", base: 0, cov: block(false)}
	sel := &selection{tests: []*mutationTest{slow, other, fast}, union: block(true), killers: map[string][]string{}}
	names := func(ts []*mutationTest) string {
		var out []string
		for _, x := range ts {
			out = append(out, x.name)
		}
		return strings.Join(out, " ")
	}
	in := OpMutant{File: "p/a.go", Line: 12, Col: 3}
	if got := names(sel.covering(in)); got != "TestFast TestSlow" {
		t.Errorf("covering a line two tests ran: %q, want the two, fastest first", got)
	}
	sel.killedBy("p/a.go", slow)
	if got := names(sel.covering(in)); got != "TestSlow TestFast" {
		t.Errorf("after TestSlow killed a mutant of the file: %q, want it first", got)
	}
	if got := names(sel.covering(OpMutant{File: "p/a.go", Line: 30, Col: 1})); got != "TestSlow TestOther TestFast" {
		t.Errorf("a position outside every block: %q, want every test", got)
	}
}

func TestBinaryArgs(t *testing.T) {
	opts := MutationOptions{ExtraArgs: []string{"-run", "4A", "-seed=3", "-count=2", "-short", "-test.skip=Slow", "-timeout", "1m", "-v"}}
	run, skip, rest := opts.binaryArgs()
	if run != "4A" || skip != "Slow" || strings.Join(rest, " ") != "-seed=3 -test.short -test.v" {
		t.Errorf("binaryArgs: run %q, skip %q, rest %q", run, skip, rest)
	}
}
