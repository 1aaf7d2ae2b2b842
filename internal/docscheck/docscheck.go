// Package docscheck keeps the handouts and guides (docs/*.md, README.md) true to the
// code. Three kinds of claim are checked, by the package's tests:
//
//   - every test, benchmark or fuzz target a doc names exists in the module (and, in a
//     `go test ./PKG -run '^TestX$'` command, in that package);
//   - every fenced block after a `<!-- docs:run -->` line runs, as a shell script from
//     the module root, and succeeds;
//   - every region between `<!-- docs:output GENERATOR ARGS -->` and `<!-- docs:end -->`
//     is what the generator writes today: `make docs` rewrites the regions
//     (go run ./internal/docscheck/gendocs), and a test fails when a committed doc
//     differs from what it would write.
//
// The markers are described in docs/markers.md ("Docs that cannot drift").
package docscheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"protolab/internal/course"
)

// The marker lines. Each is an HTML comment alone on its line, so that a rendered doc
// does not show it.
const (
	runMarker    = "<!-- docs:run -->"
	outputPrefix = "<!-- docs:output "
	endMarker    = "<!-- docs:end -->"
	markerStart  = "<!-- docs:"
	commentEnd   = "-->"
)

// Docs returns the docs the checks read, relative to root: README.md and docs/*.md.
func Docs(root string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		return nil, err
	}
	docs := []string{"README.md"}
	for _, f := range files {
		docs = append(docs, path.Join("docs", filepath.Base(f)))
	}
	sort.Strings(docs[1:])
	return docs, nil
}

// A Block is a fenced code block of a doc.
type Block struct {
	Line     int    // the line of the opening fence (1-based)
	Info     string // the opening fence's info string (sh, go, ...)
	Body     string // the lines between the fences, each ending in "\n"
	Runnable bool   // the line before the fence is <!-- docs:run -->
}

// A Region is a generated part of a doc, between an output marker and an end marker:
// either one fenced block, whose body a generator writes, or plain lines (a markdown
// table, say), which the generator writes whole.
type Region struct {
	Line      int      // the line of the <!-- docs:output ... --> marker
	Generator string   // the generator's name (sh, failure)
	Args      []string // its arguments
	Raw       string   // the marker's text after the generator's name
	Info      string   // the fence's info string, if the region is a fenced block
	Body      string   // the block's body (or the region's lines) as committed
	bodyStart int      // index (0-based) of the first body line
	bodyEnd   int      // index of the closing fence, or of the end marker
	fenced    bool     // the region is one fenced block, whose body the generator writes
}

// A Doc is a parsed markdown file.
type Doc struct {
	Name    string
	Lines   []string // without their "\n"
	Blocks  []Block
	Regions []Region
}

// Parse reads the markers and fenced blocks of a doc; name names it in errors. A line
// that starts with "<!-- docs:" and is not one of the markers is an error, so that a
// misspelt marker is never silently ignored.
func Parse(name string, src []byte) (*Doc, error) {
	d := &Doc{Name: name, Lines: strings.Split(strings.TrimSuffix(string(src), "\n"), "\n")}
	fail := func(i int, format string, args ...any) (*Doc, error) {
		return nil, fmt.Errorf("%s:%d: %s", name, i+1, fmt.Sprintf(format, args...))
	}
	var open *Region // an output marker whose end is not yet seen
	for i := 0; i < len(d.Lines); i++ {
		line := strings.TrimSpace(d.Lines[i])
		switch {
		case line == runMarker:
			if i+1 >= len(d.Lines) || !isFence(d.Lines[i+1]) {
				return fail(i, "%s must be followed at once by a fenced block (```sh) of commands to run", runMarker)
			}
		case strings.HasPrefix(line, outputPrefix) && strings.HasSuffix(line, commentEnd):
			if open != nil {
				return fail(i, "docs:output inside the region opened at line %d; close that one with %s first", open.Line, endMarker)
			}
			raw := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(line, outputPrefix), commentEnd))
			gen, rest, _ := strings.Cut(raw, " ")
			if _, ok := generators[gen]; !ok {
				return fail(i, "unknown generator %q in docs:output; the generators are %s", gen, strings.Join(generatorNames(), ", "))
			}
			args, err := splitArgs(rest)
			if err != nil {
				return fail(i, "%v", err)
			}
			open = &Region{Line: i + 1, Generator: gen, Args: args, Raw: strings.TrimSpace(rest), bodyStart: i + 1}
			open.fenced = i+1 < len(d.Lines) && isFence(d.Lines[i+1])
		case line == endMarker:
			if open == nil {
				return fail(i, "%s without a <!-- docs:output ... --> before it", endMarker)
			}
			if open.fenced && open.bodyEnd != i-1 {
				return fail(i, "%s must follow the closing fence of the region's one block (opened at line %d)", endMarker, open.Line)
			}
			if !open.fenced {
				open.bodyEnd = i
				if i > open.bodyStart {
					open.Body = strings.Join(d.Lines[open.bodyStart:i], "\n") + "\n"
				}
			}
			d.Regions = append(d.Regions, *open)
			open = nil
		case strings.HasPrefix(line, markerStart):
			return fail(i, "unknown marker %q; the markers are %s, %sGENERATOR ARGS --> and %s", line, runMarker, outputPrefix, endMarker)
		case isFence(d.Lines[i]):
			fence := strings.TrimSpace(d.Lines[i])
			marks := fence[:len(fence)-len(strings.TrimLeft(fence, "`"))]
			b := Block{Line: i + 1, Info: strings.TrimSpace(strings.TrimPrefix(fence, marks))}
			b.Runnable = i > 0 && strings.TrimSpace(d.Lines[i-1]) == runMarker
			j := i + 1
			var body strings.Builder
			for ; j < len(d.Lines); j++ {
				if strings.TrimSpace(d.Lines[j]) == marks {
					break
				}
				body.WriteString(d.Lines[j] + "\n")
			}
			if j == len(d.Lines) {
				return fail(i, "fenced block never closed; add a line %s", marks)
			}
			b.Body = body.String()
			if open != nil {
				if !open.fenced {
					return fail(i, "a fenced block inside the region opened at line %d, which does not start with one; a region is one fenced block, or lines without fences", open.Line)
				}
				if open.bodyEnd != 0 {
					return fail(i, "a second block in the region opened at line %d; a region holds one block", open.Line)
				}
				open.Info, open.Body, open.bodyStart, open.bodyEnd = b.Info, b.Body, i+1, j
			}
			d.Blocks = append(d.Blocks, b)
			i = j
		}
	}
	if open != nil {
		return fail(open.Line-1, "docs:output region never closed; add %s after its block", endMarker)
	}
	return d, nil
}

func isFence(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "```") }

// splitArgs splits a marker's arguments at spaces; single quotes group, as in sh.
func splitArgs(s string) ([]string, error) {
	var args []string
	var cur strings.Builder
	in, have := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			in, have = !in, true
		case r == ' ' && !in:
			if have {
				args = append(args, cur.String())
			}
			cur.Reset()
			have = false
		default:
			cur.WriteRune(r)
			have = true
		}
	}
	if in {
		return nil, fmt.Errorf("unclosed quote in %q", s)
	}
	if have {
		args = append(args, cur.String())
	}
	return args, nil
}

// Rewrite returns the doc with each region's body replaced by bodies[i] (one per
// region, in order), and whether anything changed.
func (d *Doc) Rewrite(bodies []string) ([]byte, bool) {
	var out []string
	last := 0
	changed := false
	for i, r := range d.Regions {
		out = append(out, d.Lines[last:r.bodyStart]...)
		body := strings.TrimSuffix(bodies[i], "\n")
		if body != "" {
			out = append(out, strings.Split(body, "\n")...)
			body += "\n"
		}
		if body != r.Body {
			changed = true
		}
		last = r.bodyEnd
	}
	out = append(out, d.Lines[last:]...)
	return []byte(strings.Join(out, "\n") + "\n"), changed
}

// The names a doc cites: TestX, BenchmarkX, FuzzX, and the shell-style patterns
// TestA{B,C}D (each alternative is a name) and TestA*B (some test matches).
var citeRE = regexp.MustCompile(`\b(?:Test|Benchmark|Fuzz)[A-Z0-9_][A-Za-z0-9_]*(?:(?:\{[A-Za-z0-9_,]+\}|\*|\.\.\.)[A-Za-z0-9_]*)*`)

// A Citation is a test name (or pattern) a doc cites.
type Citation struct {
	Doc  string
	Line int
	Name string // as written: TestX, TestA{B,C}3A, TestReplog*4C, TestReplog...5B
}

// Placeholders are the names the docs use for "a test" in a command's shape.
var Placeholders = map[string]bool{"TestX": true, "TestX1B": true}

// Citations returns the test names d cites, outside the regions generators write.
func (d *Doc) Citations() []Citation {
	skip := map[int]bool{}
	for _, r := range d.Regions {
		for i := r.bodyStart; i < r.bodyEnd; i++ {
			skip[i] = true
		}
	}
	var cites []Citation
	for i, line := range d.Lines {
		if skip[i] {
			continue
		}
		for _, m := range citeRE.FindAllString(line, -1) {
			if !Placeholders[m] {
				cites = append(cites, Citation{Doc: d.Name, Line: i + 1, Name: m})
			}
		}
	}
	return cites
}

// Matches reports the declared names a citation stands for: itself, the expansions of
// its braces, or the names its "*" or "..." matches.
func (c Citation) Matches(declared map[string][]string) []string {
	pattern := strings.ReplaceAll(c.Name, "...", "*")
	if !strings.ContainsAny(pattern, "{*") {
		if _, ok := declared[pattern]; ok {
			return []string{pattern}
		}
		return nil
	}
	var expr strings.Builder
	expr.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '{':
			expr.WriteString("(?:")
		case '}':
			expr.WriteString(")")
		case ',':
			expr.WriteString("|")
		case '*':
			expr.WriteString("[A-Za-z0-9_]*")
		default:
			expr.WriteRune(r)
		}
	}
	expr.WriteString("$")
	re := regexp.MustCompile(expr.String())
	var names []string
	for name := range declared {
		if re.MatchString(name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	if strings.Contains(pattern, "{") {
		// every alternative must exist, not only one of them
		want := 1
		for _, group := range regexp.MustCompile(`\{([^}]*)\}`).FindAllStringSubmatch(pattern, -1) {
			want *= len(strings.Split(group[1], ","))
		}
		if len(names) != want {
			return nil
		}
	}
	return names
}

// declRE finds a test function's declaration. A line scan, not go/parser, so that a
// test file someone is in the middle of editing does not stop the check.
var declRE = regexp.MustCompile(`(?m)^func ((?:Test|Benchmark|Fuzz)[A-Za-z0-9_]*)\(`)

// DeclaredTests returns every Test, Benchmark and Fuzz function of the module's test
// files, with the directories (slash-separated, relative to root) that declare each.
func DeclaredTests(root string) (map[string][]string, error) {
	files, err := course.ListFiles(root, true)
	if err != nil {
		return nil, err
	}
	declared := map[string][]string{}
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		for _, m := range declRE.FindAllSubmatch(src, -1) {
			name := string(m[1])
			declared[name] = append(declared[name], path.Dir(f))
		}
	}
	return declared, nil
}

// runCmdRE finds `go test ./PKG ... -run '^TestX$'` commands, whose test must be in PKG.
var runCmdRE = regexp.MustCompile(`go test (\./[A-Za-z0-9_/]+)\b[^|\n]*?-run '\^((?:Test|Benchmark|Fuzz)[A-Za-z0-9_]+)\$'`)

// CheckCitations returns one error per name the docs cite that the module does not
// declare, and per command that runs a test in a package that does not declare it.
func CheckCitations(docs []*Doc, declared map[string][]string) []error {
	var errs []error
	for _, d := range docs {
		for _, c := range d.Citations() {
			if Placeholders[c.Name] {
				continue
			}
			if len(c.Matches(declared)) == 0 {
				errs = append(errs, fmt.Errorf("%s:%d: %s is cited but no test file declares it; rename the citation to the test's name, or drop it", c.Doc, c.Line, c.Name))
			}
		}
		for i, line := range d.Lines {
			for _, m := range runCmdRE.FindAllStringSubmatch(line, -1) {
				pkg, name := strings.TrimPrefix(m[1], "./"), m[2]
				dirs, ok := declared[name]
				if !ok || Placeholders[name] {
					continue // reported above
				}
				found := false
				for _, dir := range dirs {
					if dir == pkg {
						found = true
					}
				}
				if !found {
					errs = append(errs, fmt.Errorf("%s:%d: `go test ./%s` runs %s, but that test is in %s; name its package", d.Name, i+1, pkg, name, strings.Join(dirs, ", ")))
				}
			}
		}
	}
	return errs
}

// RunBlock runs a runnable block's body as one `bash -e -o pipefail` script in root and returns its
// combined output.
func RunBlock(ctx context.Context, root string, b Block) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", b.Body)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return out, fmt.Errorf("the runnable block at line %d failed (%v); fix the commands or the code, or remove its %s", b.Line, err, runMarker)
	}
	return out, nil
}

// Cost says how long a generator takes, and so when the test reruns it.
type Cost int

const (
	Seconds Cost = iota // seconds (a build, a module copy): skipped under -short
	Minutes             // a minute or more: checked only with -slow
)

// A generator writes a region's body from a real run, in the module at root.
type generator struct {
	usage string
	cost  Cost
	run   func(ctx context.Context, root string, r Region) (string, error)
}

var generators = map[string]generator{
	"sh": {
		usage: "sh COMMAND...: the standard output of the command line, run by bash -o pipefail in the module root",
		cost:  Seconds,
		run:   genShell,
	},
	"sh-slow": {
		usage: "sh-slow COMMAND...: as sh, for a command that takes a minute or more (checked only with -slow)",
		cost:  Minutes,
		run:   genShell,
	},
	"failure": {
		usage: "failure PKG MUTANT TEST SEED HEAD TAIL: TEST's failure report at SEED with PKG's mutant MUTANT put in, its first HEAD lines and its last TAIL",
		cost:  Seconds,
		run:   genFailure,
	},
}

func generatorNames() []string {
	var names []string
	for n := range generators {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Cost says how long r's generator takes.
func (r Region) Cost() Cost { return generators[r.Generator].cost }

// Generate runs r's generator in the module at root and returns the region's body.
func Generate(ctx context.Context, root string, r Region) (string, error) {
	g := generators[r.Generator]
	body, err := g.run(ctx, root, r)
	if err != nil {
		return "", fmt.Errorf("docs:output %s %s: %v (usage: %s)", r.Generator, r.Raw, err, g.usage)
	}
	return body, nil
}

func genShell(ctx context.Context, root string, r Region) (string, error) {
	if r.Raw == "" {
		return "", errors.New("no command")
	}
	cmd := exec.CommandContext(ctx, "bash", "-o", "pipefail", "-c", r.Raw)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%v: %s", err, lastLines(stderr.String(), 10))
	}
	return string(out), nil
}

// genFailure copies the module, puts a mutant in, runs one test at one seed, and
// returns its failure report: the first HEAD lines, then "..." and the last TAIL
// lines if the report is longer.
func genFailure(ctx context.Context, root string, r Region) (string, error) {
	args := r.Args
	if len(args) != 6 {
		return "", fmt.Errorf("want 6 arguments, have %d", len(args))
	}
	pkg, name, test, seed := args[0], args[1], args[2], args[3]
	head, err1 := strconv.Atoi(args[4])
	tail, err2 := strconv.Atoi(args[5])
	if err1 != nil || err2 != nil || head < 1 || tail < 0 {
		return "", fmt.Errorf("HEAD %q and TAIL %q must be numbers, HEAD at least 1", args[4], args[5])
	}
	out, err := mutantRun(ctx, root, pkg, name, test, seed)
	if err != nil {
		return "", err
	}
	report := cutReport(strings.Split(string(out), "\n"))
	if report != nil {
		report = strings.Split(strings.TrimSuffix(dedent(report), "\n"), "\n")
		if len(report) > head+tail {
			report = append(append(report[:head:head], "   ..."), report[len(report)-tail:]...)
		}
		return strings.Join(report, "\n") + "\n", nil
	}
	return "", fmt.Errorf("%s failed without a failure report: %s", test, lastLines(string(out), 10))
}

// runs keeps each mutant run's output for the process: two regions may show two cuts
// of one report.
var runs = struct {
	sync.Mutex
	out map[string][]byte
}{out: map[string][]byte{}}

// mutantRun copies the module, puts PKG's mutant in, runs one test at one seed, and
// returns go test's output; the test must fail.
func mutantRun(ctx context.Context, root, pkg, name, test, seed string) ([]byte, error) {
	key := strings.Join([]string{root, pkg, name, test, seed}, "\x00")
	runs.Lock()
	out, ok := runs.out[key]
	runs.Unlock()
	if ok {
		return out, nil
	}
	mutants, err := course.LoadMutants(root, pkg)
	if err != nil {
		return nil, err
	}
	var m *course.Mutant
	for i := range mutants {
		if mutants[i].Name == name {
			m = &mutants[i]
		}
	}
	if m == nil {
		return nil, fmt.Errorf("%s/%s has no mutant %s", pkg, course.MutantsFile, name)
	}
	files, err := course.ListFiles(root, true)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "docscheck-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := course.CopyFiles(root, files, dir); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, filepath.FromSlash(path.Join(pkg, m.File)))
	src, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	mutated, err := m.Apply(path.Join(pkg, m.File), src)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, mutated, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "go", "test", "./"+pkg, "-count=1", "-run", "^"+test+"$", "-seed="+seed)
	cmd.Dir = dir
	out, runErr := cmd.CombinedOutput()
	if runErr == nil {
		return nil, fmt.Errorf("%s passes at seed %s with mutant %s; pick a seed where it fails (go run ./cmd/lab stress, or -seeds=N)", test, seed, name)
	}
	runs.Lock()
	runs.out[key] = out
	runs.Unlock()
	return out, nil
}

// cutReport returns the failure report in go test's output: from the "--- seed="
// line to the last line before go test's own FAIL lines, or nil.
func cutReport(out []string) []string {
	start := -1
	for i, l := range out {
		if start < 0 && strings.HasPrefix(strings.TrimSpace(l), "--- seed=") {
			start = i
		}
		if start >= 0 && (l == "FAIL" || strings.HasPrefix(l, "--- FAIL:") || strings.HasPrefix(l, "FAIL\t")) {
			end := i
			for end > start && strings.TrimSpace(out[end-1]) == "" {
				end--
			}
			return out[start:end]
		}
	}
	if start < 0 {
		return nil
	}
	return out[start:]
}

// dedent removes the indentation go test puts before a test's log lines.
func dedent(lines []string) string {
	indent := len(lines[0]) - len(strings.TrimLeft(lines[0], " \t"))
	var b strings.Builder
	for _, l := range lines {
		cut := min(indent, len(l)-len(strings.TrimLeft(l, " \t")))
		b.WriteString(strings.TrimRight(l[cut:], " ") + "\n")
	}
	return b.String()
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
