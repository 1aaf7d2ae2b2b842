package course

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/suggest"
)

// What 'lab mutants' and 'lab mutation' need besides running the mutants: choosing
// the packages and the mutants, and the counts and reports they print.

// PackageDir turns a package argument (a directory, relative to the working
// directory wd) into a slash-separated directory relative to the module root.
func PackageDir(root, wd, arg string) (string, error) {
	abs := arg
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(wd, arg)
	}
	rel, err := filepath.Rel(root, filepath.Clean(abs))
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", fmt.Errorf("package %s is outside the module at %s", arg, root)
	}
	if info, err := os.Stat(abs); err != nil || !info.IsDir() {
		return "", fmt.Errorf("no package directory %s", arg)
	}
	return filepath.ToSlash(rel), nil
}

// ListOr is prefix followed by the names, or none when there are no names.
func ListOr(names []string, prefix, none string) string {
	if len(names) == 0 {
		return none
	}
	return prefix + strings.Join(names, ", ")
}

// DidYouMean returns ` (did you mean "x"?)` for the candidate that name is most
// likely a typo of (see suggest.Closest), or "" when no candidate is close.
func DidYouMean(name string, candidates []string) string {
	if best := suggest.Closest(name, candidates); best != "" {
		return fmt.Sprintf(" (did you mean %q?)", best)
	}
	return ""
}

// OnlyMutants returns the named mutants, in the order of the mutants file.
func OnlyMutants(mutants []Mutant, only []string) ([]Mutant, error) {
	var names []string
	for _, m := range mutants {
		names = append(names, m.Name)
	}
	for _, name := range only {
		if !contains(names, name) {
			return nil, fmt.Errorf("no mutant called %q%s; %s", name, DidYouMean(name, names), ListOr(names, "the mutants are ", "the package has no mutants"))
		}
	}
	var out []Mutant
	for _, m := range mutants {
		if contains(only, m.Name) {
			out = append(out, m)
		}
	}
	return out, nil
}

// MutantsReport is what 'lab mutants --json' prints.
type MutantsReport struct {
	OK       bool              `json:"ok"` // no mutant missed, no error
	Packages []*MutantsPackage `json:"packages"`
}

// MutantsPackage is one package's mutants and their verdicts.
type MutantsPackage struct {
	Package     string          `json:"package"`
	Error       string          `json:"error,omitempty"`
	BaselineMS  float64         `json:"baseline_ms,omitempty"` // the tests without mutants
	Caught      int             `json:"caught"`
	CaughtBuild int             `json:"caught_build"`
	Missed      int             `json:"missed"`
	Mutants     []MutantSummary `json:"mutants"`
}

// MutantSummary is one mutant, with its verdict once it ran.
type MutantSummary struct {
	Name        string   `json:"name"`
	File        string   `json:"file"`
	Description string   `json:"description"`
	Verdict     string   `json:"verdict,omitempty"` // "caught", "caught (build)", "MISSED"
	FailedTests []string `json:"failed_tests,omitempty"`
	ElapsedMS   float64  `json:"elapsed_ms,omitempty"`
	Detail      string   `json:"detail,omitempty"`
}

// Add counts a result into the package's verdicts and lists it.
func (p *MutantsPackage) Add(r MutantResult) {
	switch r.Verdict {
	case Caught:
		p.Caught++
	case CaughtBuild:
		p.CaughtBuild++
	case Missed:
		p.Missed++
	}
	p.Mutants = append(p.Mutants, MutantSummary{Name: r.Mutant.Name, File: r.Mutant.File, Description: r.Mutant.Description,
		Verdict: r.Verdict.String(), FailedTests: r.Failed, ElapsedMS: float64(r.Elapsed.Microseconds()) / 1000, Detail: r.Detail})
}

// harnessPackages are mutated by 'lab mutation --all' besides the labs: the checkers
// every lab's verdict rests on.
var harnessPackages = []string{"tests", "tests/replog", "replog", "replog/harness"}

// defaultWith are the packages whose tests also run on a package's mutants when
// --with does not say: tests/replog's scenarios run only in the engines' tests,
// and the replicated-log contract's checker and harness judge the engines'.
var defaultWith = map[string][]string{
	"tests/replog":   {"raft", "paxos"},
	"replog":         {"raft", "paxos"},
	"replog/harness": {"raft", "paxos"},
}

// DefaultWith are the packages whose tests also run on pkg's operator mutants unless
// the command line says otherwise.
func DefaultWith(pkg string) []string { return defaultWith[pkg] }

// MutationPackages are the packages 'lab mutation --all' mutates: the course's lab
// packages in course order, then the harness packages that root has.
func MutationPackages(root string, c Course) []string {
	var pkgs []string
	for _, p := range c.Parts {
		if !contains(pkgs, p.Dir) {
			pkgs = append(pkgs, p.Dir)
		}
	}
	for _, p := range harnessPackages {
		if info, err := os.Stat(filepath.Join(root, filepath.FromSlash(p))); err == nil && info.IsDir() {
			pkgs = append(pkgs, p)
		}
	}
	return pkgs
}

// Describe is the operator and the change, for a report line.
func (m OpMutant) Describe() string {
	return fmt.Sprintf("%-11s %s  =>  %s", m.Op, m.Original, m.Mutated)
}

// A MutationSummary is one package's line of the mutation table.
type MutationSummary struct {
	Pkg                                               string
	Generated, Run                                    int
	Killed, Survived, TimedOut, NotCovered, NotViable int
	Survivors                                         []MutationResult // survived or not covered
	Elapsed                                           time.Duration    // the caller's to fill in
}

// Summarize counts a package's run for the table; generated is how many mutants
// there were before sampling.
func (r MutationRun) Summarize(pkg string, generated int) MutationSummary {
	s := MutationSummary{Pkg: pkg, Generated: generated, Run: len(r.Results),
		Killed: r.Count(Killed), Survived: r.Count(Survived), TimedOut: r.Count(TimedOut), NotCovered: r.Count(NotCovered), NotViable: r.Count(NotViable)}
	for _, x := range r.Results {
		if x.Status == Survived || x.Status == NotCovered {
			s.Survivors = append(s.Survivors, x)
		}
	}
	return s
}

// Score is the share of the mutants that count (not the ones that do not compile)
// which the tests kill; a timed-out mutant counts as killed, a not-covered one as a
// survivor.
func (s MutationSummary) Score() float64 {
	den := s.Killed + s.TimedOut + s.Survived + s.NotCovered
	if den == 0 {
		return 100
	}
	return 100 * float64(s.Killed+s.TimedOut) / float64(den)
}

// SurvivorLine is a survivor as the report and the survivors file give it.
func (r MutationResult) SurvivorLine() string {
	tag := ""
	if r.Status == NotCovered {
		tag = " (not covered)"
	}
	return fmt.Sprintf("%s:%d  %s%s", r.Mutant.File, r.Mutant.Line, r.Mutant.Describe(), tag)
}

// WriteSurvivors writes DIR/survivors-PKG.txt: one survivor a line, for whoever
// writes the tests that kill them.
func (s MutationSummary) WriteSurvivors(dir string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# lab mutation %s: generated %d, run %d, killed %d, survived %d, timed out %d, not covered %d, not viable %d\n",
		s.Pkg, s.Generated, s.Run, s.Killed, s.Survived, s.TimedOut, s.NotCovered, s.NotViable)
	b.WriteString("# file:line  operator  before  =>  after\n")
	for _, r := range s.Survivors {
		b.WriteString(r.SurvivorLine() + "\n")
	}
	name := "survivors-" + strings.ReplaceAll(path.Clean(s.Pkg), "/", "-") + ".txt"
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644)
}
