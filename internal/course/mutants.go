package course

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"protolab/internal/gotool"
)

// MutantsFile is the name of the file, in a lab package directory, that lists the
// package's mutants: small edits that each put a classic bug into the reference
// solution, which the package's tests must catch.
const MutantsFile = "mutants.txt"

// A Mutant is one entry of a mutants file:
//
//	== add-subtracts: Add subtracts instead of adding
//	file: adder.go
//	-	return a + b
//	+	return a - b
//
// Each "-" line is a whole line of the file, tabs included, after the "-"; the "-"
// lines together must occur exactly once in the file. The "+" lines replace them (no
// "+" line deletes them). A blank line ends an entry; outside entries, lines that start
// with "#" are comments.
type Mutant struct {
	Name        string
	Description string
	File        string   // slash-separated, relative to the package directory
	Old         []string // the lines to find
	New         []string // the lines that replace them
	Line        int      // line of the "==" header in the mutants file
}

// ParseMutants parses the text of a mutants file; source names it in errors.
func ParseMutants(source string, data []byte) ([]Mutant, error) {
	var mutants []Mutant
	var cur *Mutant
	seen := map[string]int{}
	fail := func(line int, format string, args ...any) ([]Mutant, error) {
		return nil, fmt.Errorf("%s:%d: %s", source, line, fmt.Sprintf(format, args...))
	}
	finish := func() ([]Mutant, error) {
		if cur == nil {
			return nil, nil
		}
		if cur.File == "" {
			return fail(cur.Line, "mutant %s has no \"file:\" line; put one right after the \"==\" line", cur.Name)
		}
		if len(cur.Old) == 0 {
			return fail(cur.Line, "mutant %s has no \"-\" lines; list the lines it changes, each prefixed with \"-\"", cur.Name)
		}
		if strings.Join(cur.Old, "\n") == strings.Join(cur.New, "\n") {
			return fail(cur.Line, "mutant %s changes nothing: its \"+\" lines equal its \"-\" lines", cur.Name)
		}
		mutants = append(mutants, *cur)
		cur = nil
		return nil, nil
	}
	for i, line := range splitLines(data) {
		n := i + 1
		switch {
		case strings.HasPrefix(line, "=="):
			if _, err := finish(); err != nil {
				return nil, err
			}
			name, desc, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "==")), ":")
			name, desc = strings.TrimSpace(name), strings.TrimSpace(desc)
			if !ok || name == "" || desc == "" || strings.ContainsAny(name, " \t") {
				return fail(n, "want \"== name: what bug this mutant puts in\", with a name without spaces")
			}
			if first, dup := seen[name]; dup {
				return fail(n, "mutant %s is already defined at line %d; give each mutant its own name", name, first)
			}
			seen[name] = n
			cur = &Mutant{Name: name, Description: desc, Line: n}
		case cur == nil:
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				return fail(n, "unexpected text outside a mutant; a mutant starts with \"== name: description\", and comments with \"#\"")
			}
		case strings.TrimSpace(line) == "":
			if _, err := finish(); err != nil {
				return nil, err
			}
		case strings.HasPrefix(line, "file:"):
			if cur.File != "" || len(cur.Old) > 0 {
				return fail(n, "mutant %s: the \"file:\" line comes once, right after the \"==\" line", cur.Name)
			}
			f := strings.TrimSpace(strings.TrimPrefix(line, "file:"))
			if f == "" || path.IsAbs(f) || filepath.IsAbs(f) || path.Clean(f) != f || strings.HasPrefix(f, "../") || f == ".." {
				return fail(n, "mutant %s: file %q must be a clean path inside the package, such as ring.go", cur.Name, f)
			}
			cur.File = f
		case strings.HasPrefix(line, "-"):
			if cur.File == "" {
				return fail(n, "mutant %s: put the \"file:\" line before the \"-\" lines", cur.Name)
			}
			if len(cur.New) > 0 {
				return fail(n, "mutant %s: a \"-\" line after the \"+\" lines; list every \"-\" line first", cur.Name)
			}
			cur.Old = append(cur.Old, line[1:])
		case strings.HasPrefix(line, "+"):
			if len(cur.Old) == 0 {
				return fail(n, "mutant %s: a \"+\" line before any \"-\" line; list the lines to replace first", cur.Name)
			}
			cur.New = append(cur.New, line[1:])
		default:
			return fail(n, "mutant %s: want a line starting with \"-\" or \"+\" (a blank line ends the mutant)", cur.Name)
		}
	}
	if _, err := finish(); err != nil {
		return nil, err
	}
	return mutants, nil
}

// Apply returns src with the mutant's "-" lines replaced by its "+" lines. The "-"
// lines must occur in src exactly once, as whole lines; file names src in errors.
func (m Mutant) Apply(file string, src []byte) ([]byte, error) {
	lines := strings.Split(string(src), "\n")
	at, count := -1, 0
	for i := 0; i+len(m.Old) <= len(lines); i++ {
		match := true
		for j, want := range m.Old {
			if strings.TrimSuffix(lines[i+j], "\r") != want {
				match = false
				break
			}
		}
		if match {
			if at < 0 {
				at = i
			}
			count++
		}
	}
	if count != 1 {
		hint := "make the \"-\" lines longer so they pick out one place"
		if count == 0 {
			hint = "each \"-\" line must equal a whole line of the file, tabs included; has the code changed?"
		}
		return nil, fmt.Errorf("mutant %s: its \"-\" lines occur %d times in %s, want exactly once; %s", m.Name, count, file, hint)
	}
	out := make([]string, 0, len(lines)-len(m.Old)+len(m.New))
	out = append(out, lines[:at]...)
	out = append(out, m.New...)
	out = append(out, lines[at+len(m.Old):]...)
	return []byte(strings.Join(out, "\n")), nil
}

// LoadMutants reads PKG/mutants.txt under root and checks that every mutant applies to
// the file it names.
func LoadMutants(root, pkg string) ([]Mutant, error) {
	rel := path.Join(pkg, MutantsFile)
	data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist; write the package's mutants there (see docs/markers.md)", rel)
	}
	if err != nil {
		return nil, err
	}
	mutants, err := ParseMutants(rel, data)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, m := range mutants {
		file := path.Join(pkg, m.File)
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(file)))
		if err != nil {
			errs = append(errs, fmt.Errorf("mutant %s (%s:%d): %v", m.Name, rel, m.Line, err))
			continue
		}
		if _, err := m.Apply(file, src); err != nil {
			errs = append(errs, err)
		}
	}
	return mutants, errors.Join(errs...)
}

// MutantPackages returns the package directories under root that have a mutants file,
// leaving out the directories the go tool ignores (testdata and the like).
func MutantPackages(root string) ([]string, error) {
	files, err := ListFiles(root, true)
	if err != nil {
		return nil, err
	}
	var pkgs []string
	for _, f := range files {
		if path.Base(f) != MutantsFile {
			continue
		}
		if dir := path.Dir(f); IsMarkable(path.Join(dir, "x.go")) {
			pkgs = append(pkgs, dir)
		}
	}
	return pkgs, nil
}

// A Verdict says whether the tests caught a mutant.
type Verdict int

const (
	Missed      Verdict = iota // every test passed: the tests do not see this bug
	Caught                     // at least one test failed
	CaughtBuild                // the package no longer compiles: caught, but a weak mutant
)

func (v Verdict) String() string {
	switch v {
	case Caught:
		return "caught"
	case CaughtBuild:
		return "caught (build)"
	}
	return "MISSED"
}

// A MutantResult is the verdict on one mutant.
type MutantResult struct {
	Mutant  Mutant
	Verdict Verdict
	Failed  []string // the top-level tests that failed
	Elapsed time.Duration
	Detail  string // for a build failure or an odd exit: the command and its output
}

// MutantOptions says which mutants RunMutants runs, and how.
type MutantOptions struct {
	Root      string   // the module root
	Pkg       string   // the package directory, relative to Root
	Mutants   []Mutant // as loaded by LoadMutants, possibly filtered
	ExtraArgs []string // appended to go test
	Timeout   time.Duration
	Report    func(MutantResult) // if set, called as each mutant is done
	// SkipBaseline leaves out the run of the tests without mutants, for a caller that
	// has just run them (CI runs make test first). A failing baseline then shows as
	// every mutant caught, so only skip it when the tests are known to pass.
	SkipBaseline bool
	// Workers is how many module copies run mutants at once (1 when 0). With more
	// than one, Report sees the results out of order.
	Workers int
}

// RunMutants copies the module into a temporary directory per worker, checks that the
// package's tests pass there (unless opts.SkipBaseline; baseline is then 0), then
// applies each mutant in a worker's copy (restoring the file after it), runs go test on
// the package and reports whether the tests caught it. Results come in the order of
// opts.Mutants; Report is called as each is done, from one goroutine at a time.
func RunMutants(ctx context.Context, opts MutantOptions) (baseline time.Duration, results []MutantResult, err error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = gotool.DefaultTimeout
	}
	workers := max(1, min(opts.Workers, len(opts.Mutants)))
	copies, cleanup, err := workerCopies(opts.Root, workers, "protolab-mutants-*")
	defer cleanup()
	if err != nil {
		return 0, nil, err
	}
	args := append([]string{"test", "./" + opts.Pkg, "-count=1", "-json", "-timeout=" + timeout.String()}, opts.ExtraArgs...)
	test := func(dir string) func() gotool.Result {
		return func() gotool.Result { return gotool.Run(ctx, dir, timeout+30*time.Second, args...) }
	}

	if !opts.SkipBaseline {
		base := test(copies[0])()
		if !base.OK() {
			return base.Elapsed, nil, fmt.Errorf("the tests of %s fail before any mutant is applied, so no mutant can be judged; fix them first.\n%s",
				opts.Pkg, base.Describe())
		}
		baseline = base.Elapsed
	}
	results = make([]MutantResult, len(opts.Mutants))
	var mu sync.Mutex
	errs := make([]error, workers)
	todo := make(chan int)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range todo {
				if errs[w] != nil || ctx.Err() != nil {
					continue
				}
				res, err := runMutant(opts, copies[w], opts.Mutants[i], test(copies[w]))
				if err != nil {
					errs[w] = err
					continue
				}
				mu.Lock()
				results[i] = res
				if opts.Report != nil {
					opts.Report(res)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range opts.Mutants {
		if ctx.Err() != nil {
			break
		}
		todo <- i
	}
	close(todo)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return baseline, nil, err
	}
	return baseline, results, ctx.Err()
}

func runMutant(opts MutantOptions, tmp string, m Mutant, test func() gotool.Result) (MutantResult, error) {
	rel := path.Join(opts.Pkg, m.File)
	target := filepath.Join(tmp, filepath.FromSlash(rel))
	orig, err := os.ReadFile(target)
	if err != nil {
		return MutantResult{}, fmt.Errorf("mutant %s: %v", m.Name, err)
	}
	mutated, err := m.Apply(rel, orig)
	if err != nil {
		return MutantResult{}, err
	}
	if err := os.WriteFile(target, mutated, 0o644); err != nil {
		return MutantResult{}, err
	}
	r := test()
	if err := os.WriteFile(target, orig, 0o644); err != nil {
		return MutantResult{}, fmt.Errorf("restoring %s after mutant %s: %v", rel, m.Name, err)
	}
	rep := gotool.ParseTestJSON(r.Stdout)
	res := MutantResult{Mutant: m, Failed: rep.Failed, Elapsed: r.Elapsed}
	switch {
	case r.OK():
		res.Verdict = Missed
	case rep.BuildFail:
		res.Verdict, res.Detail = CaughtBuild, r.Describe()
	default:
		res.Verdict = Caught
		if len(rep.Failed) == 0 {
			res.Detail = r.Describe()
		}
	}
	return res, nil
}

// FailedSummary lists the first few failed tests of a result, for a table cell.
func (r MutantResult) FailedSummary() string {
	switch {
	case r.Verdict == CaughtBuild:
		return "(does not compile)"
	case r.Verdict == Missed:
		return "-"
	case len(r.Failed) == 0:
		return "(no test failed; see below)"
	}
	return firstFew(r.Failed, 3)
}

// workerCopies copies the module at root once per worker into temporary
// directories, so that mutants are written into copies and never into the
// source tree. cleanup removes every copy made, also after an error.
func workerCopies(root string, workers int, pattern string) (copies []string, cleanup func(), err error) {
	cleanup = func() {
		for _, d := range copies {
			os.RemoveAll(d)
		}
	}
	files, err := ListFiles(root, true)
	if err != nil {
		return nil, cleanup, err
	}
	for range workers {
		tmp, err := os.MkdirTemp("", pattern)
		if err != nil {
			return copies, cleanup, err
		}
		copies = append(copies, tmp)
		if err := CopyFiles(root, files, tmp); err != nil {
			return copies, cleanup, err
		}
	}
	return copies, cleanup, nil
}
