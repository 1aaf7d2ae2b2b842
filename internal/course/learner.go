package course

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/template"
)

// LearnerFile is written at the root of every learner's copy. The lab tool reads it to
// know that it runs in a copy without solution regions, where the instructor's
// subcommands (skeleton, mutants, grade, mutation) are refused.
const LearnerFile = ".protolab-learner.json"

// SolutionNext is the value of LearnerInfo.Next, and of the copy's NEXT, when every part
// is done: the annotated reference with its markers stripped.
const SolutionNext = "done"

// LearnerInfo is the content of LearnerFile.
type LearnerInfo struct {
	Next string `json:"next"` // the part the copy was written with next, or SolutionNext
	Note string `json:"note"`
}

// ReadLearnerInfo reads LearnerFile at the root of a module. ok is false when there is
// none: the module is not a learner's copy.
func ReadLearnerInfo(root string) (info LearnerInfo, ok bool, err error) {
	data, err := os.ReadFile(filepath.Join(root, LearnerFile))
	if errors.Is(err, os.ErrNotExist) {
		return info, false, nil
	}
	if err != nil {
		return info, false, err
	}
	if err := json.Unmarshal(data, &info); err != nil {
		return info, true, fmt.Errorf("%s: %v", LearnerFile, err)
	}
	return info, true, nil
}

// ReferenceTestSuffix ends the name of a test file that tests the reference's own
// private structures (a self-check of an index, say). It stays with the instructors:
// the mutation run counts it, a learner's copy never holds it.
const ReferenceTestSuffix = "_reference_test.go"

// IsInstructorFile reports whether a file of the reference (slash-separated, relative
// to the module root) stays out of every learner's copy: what holds or derives from
// the solution (the mutants files, whose "-" lines are reference code, and the
// mutation triage, which quotes mutated solution lines), the
// instructors' guides, the grading configuration, the reference's CI, the tool's own
// tests and fixtures (they test the instructor subcommands against the reference), the
// reference's tests of its own internals (files named *_reference_test.go: a learner's
// copy has other private fields, so they would not compile there), and the docs check
// (its failure samples put in the mutants; its figures are the reference's).
// The reference's README.md and Makefile are replaced by the copy's own.
func IsInstructorFile(p string) bool {
	base := path.Base(p)
	switch {
	case base == MutantsFile, base == "mutation.md",
		p == "README.md", p == "Makefile", p == GradingFile,
		p == "docs/instructors.md", p == "docs/markers.md",
		strings.HasPrefix(p, ".ci/"), strings.HasPrefix(p, ".github/"),
		strings.HasPrefix(p, "internal/course/testdata/"), strings.HasPrefix(p, "cmd/lab/testdata/"),
		strings.HasPrefix(p, "internal/stories/testdata/"),
		strings.HasPrefix(p, "internal/docscheck/"):
		return true
	case strings.HasSuffix(base, ReferenceTestSuffix):
		return true
	case strings.HasSuffix(base, "_test.go"):
		// The tool's own tests: they run the demos and the runners on the
		// reference solution, and stress on cmd/lab/testdata.
		switch path.Dir(p) {
		case "internal/course", "cmd/lab", "internal/stories", "internal/gotool", "internal/stress", "internal/replay":
			return true
		}
	}
	return false
}

// LearnerOptions says which copy WriteLearnerCopy writes.
type LearnerOptions struct {
	Root   string   // the module root of the reference solution
	Files  []string // its files, relative to Root (ListFiles)
	Next   string   // the part the student does next; SolutionNext for every part done
	Course Course
}

// LearnerStats says what went into a copy.
type LearnerStats struct {
	SkeletonStats
	Left     int // files of the reference left out (IsInstructorFile)
	Searched int // solution lines the copy was searched for
}

// cut returns the position in course order from which regions become stubs.
func (o LearnerOptions) cut() (int, error) {
	if o.Next == SolutionNext {
		return len(o.Course.Parts), nil
	}
	i, ok := o.Course.Index(o.Next)
	if !ok {
		return 0, o.Course.unknownPart(o.Next)
	}
	return i, nil
}

// cutName names a cut for messages: the part, or the end of the course.
func (c Course) cutName(cut int) string {
	if cut >= 0 && cut < len(c.Parts) {
		return c.Parts[cut].Name
	}
	return "the end (every part done)"
}

// WriteLearnerCopy writes a learner's repository into dst: the reference's files
// without the instructor's (IsInstructorFile), every region of Next and later parts
// replaced by its stub and every marker removed, the copy's own README.md and
// Makefile, and LearnerFile. Before writing anything it searches every file of the
// copy for the lines of the stubbed regions (FindLeaks), and refuses to write a copy
// that holds one. It does not create a git repository (InitRepo does).
func WriteLearnerCopy(opts LearnerOptions, dst string) (LearnerStats, error) {
	outs, stats, err := buildLearner(opts)
	if err != nil {
		return stats, err
	}
	cut, _ := opts.cut()
	leaks, needles, err := FindLeaks(opts.Root, opts.Files, cut, opts.Course, outs)
	stats.Searched = needles
	if err != nil {
		return stats, err
	}
	if len(leaks) > 0 {
		return stats, leakError(leaks, opts.Course.cutName(cut))
	}
	if err := writeTree(dst, outs); err != nil {
		return stats, err
	}
	stats.Files = len(outs)
	return stats, nil
}

// buildLearner returns the files of a learner's copy, in memory.
func buildLearner(opts LearnerOptions) ([]outFile, LearnerStats, error) {
	var stats LearnerStats
	cut, err := opts.cut()
	if err != nil {
		return nil, stats, err
	}
	var keep []string
	for _, f := range opts.Files {
		if IsInstructorFile(f) {
			stats.Left++
			continue
		}
		keep = append(keep, f)
	}
	outs, sk, err := buildTree(opts.Root, keep, cut, opts.Course)
	stats.SkeletonStats = sk
	if err != nil {
		return nil, stats, err
	}
	own, err := learnerFiles(opts, cut)
	if err != nil {
		return nil, stats, err
	}
	outs = append(outs, own...)
	sort.Slice(outs, func(i, j int) bool { return outs[i].path < outs[j].path })
	return outs, stats, nil
}

//go:embed learner/README.md.tmpl learner/Makefile.tmpl
var learnerTemplates embed.FS

// A learnerLab is one row of the copy's README table.
type learnerLab struct {
	Title, Dirs, Handout, Parts string

	number string   // "6": the digits that start the lab's part names
	dirs   []string // its package directories, in course order
}

type learnerBefore struct {
	Name   string
	Before []string
}

// learnerFiles returns the files a copy gets of its own: README.md, Makefile and
// LearnerFile.
func learnerFiles(opts LearnerOptions, cut int) ([]outFile, error) {
	c := opts.Course
	data := struct {
		Next, NextOrDone, PartNames      string
		Example, ExampleDir, ExampleRaft string
		Labs                             []learnerLab
		Parts                            []Part
		Befores                          []learnerBefore
	}{NextOrDone: SolutionNext, PartNames: strings.Join(c.Names(), " "), Parts: c.Parts, ExampleRaft: "4B"}
	if cut < len(c.Parts) {
		data.Next = c.Parts[cut].Name
		data.NextOrDone = data.Next
		data.Example, data.ExampleDir = c.Parts[cut].Name, c.Parts[cut].Dir
	} else if len(c.Parts) > 0 {
		data.Example, data.ExampleDir = c.Parts[0].Name, c.Parts[0].Dir
	}
	if _, ok := c.Index(data.ExampleRaft); !ok && data.Example != "" {
		data.ExampleRaft = data.Example
	}
	var all []string
	for _, p := range c.Parts {
		data.Befores = append(data.Befores, learnerBefore{Name: p.Name, Before: append([]string(nil), all...)})
		all = append(all, p.Name)
	}
	data.Befores = append(data.Befores, learnerBefore{Name: SolutionNext, Before: all})
	data.Labs = learnerLabs(opts)

	var outs []outFile
	for _, t := range []struct{ tmpl, out string }{{"README.md.tmpl", "README.md"}, {"Makefile.tmpl", "Makefile"}} {
		text, err := learnerTemplates.ReadFile("learner/" + t.tmpl)
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(t.tmpl).Parse(string(text))
		if err != nil {
			return nil, fmt.Errorf("internal/course/learner/%s: %v", t.tmpl, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, data); err != nil {
			return nil, fmt.Errorf("internal/course/learner/%s: %v", t.tmpl, err)
		}
		outs = append(outs, outFile{path: t.out, data: buf.Bytes(), perm: 0o644})
	}
	info, _ := json.MarshalIndent(LearnerInfo{Next: data.NextOrDone,
		Note: "written by 'lab skeleton'; it marks a learner's copy, where the instructor's subcommands are refused"}, "", "  ")
	outs = append(outs, outFile{path: LearnerFile, data: append(info, '\n'), perm: 0o644})
	return outs, nil
}

var handoutName = regexp.MustCompile(`^docs/lab(\d+)-[a-z0-9-]+\.md$`)

var labNumber = regexp.MustCompile(`^\d+`)

// learnerLabs lists the labs of the course in order, each with its package
// directories (a lab may have several: lab 6 has one per part), its handout
// (docs/labN-NAME.md, found by the lab's number) and the title on the
// handout's first line.
func learnerLabs(opts LearnerOptions) []learnerLab {
	handouts := map[string]string{}
	for _, f := range opts.Files {
		if m := handoutName.FindStringSubmatch(f); m != nil {
			handouts[m[1]] = f
		}
	}
	var labs []learnerLab
	for _, p := range opts.Course.Parts {
		number := labNumber.FindString(p.Name)
		if n := len(labs); n > 0 && labs[n-1].number == number {
			last := &labs[n-1]
			last.Parts += " " + p.Name
			if !slices.Contains(last.dirs, p.Dir) {
				last.dirs = append(last.dirs, p.Dir)
			}
			continue
		}
		labs = append(labs, learnerLab{Title: p.Dir, Handout: handouts[number], Parts: p.Name,
			number: number, dirs: []string{p.Dir}})
	}
	for i := range labs {
		lab := &labs[i]
		quoted := make([]string, len(lab.dirs))
		for j, d := range lab.dirs {
			quoted[j] = "`" + d + "/`"
		}
		lab.Dirs = strings.Join(quoted, ", ")
		if lab.Handout == "" {
			continue
		}
		if text, err := os.ReadFile(filepath.Join(opts.Root, filepath.FromSlash(lab.Handout))); err == nil {
			first, _, _ := strings.Cut(string(text), "\n")
			if t := strings.TrimSpace(strings.TrimPrefix(first, "#")); t != "" {
				lab.Title = t
			}
		}
	}
	return labs
}

// A Leak is a line of a stubbed solution region found in a learner's copy.
type Leak struct {
	File string // the copy's file
	Line int
	Text string // the solution line, as normalised
	From string // where the reference has it: FILE:LINE (part P)
}

func (l Leak) String() string {
	return fmt.Sprintf("%s:%d holds %q, a line of the solution (%s)", l.File, l.Line, l.Text, l.From)
}

func leakError(leaks []Leak, cut string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "the copy with %s next would hold solution text in %d places; nothing was written:\n", cut, len(leaks))
	for i, l := range leaks {
		if i == 20 {
			fmt.Fprintf(&b, "  ... and %d more\n", len(leaks)-i)
			break
		}
		fmt.Fprintf(&b, "  %s\n", l)
	}
	b.WriteString("Take the line out of that file, or, if the file is the instructors' only, list it in course.IsInstructorFile")
	return errors.New(b.String())
}

// minNeedle is the length, after normalising, below which a solution line is too
// common to count as solution text (`}`, `return nil`, `rf.persist()`).
const minNeedle = 16

// commonLines are solution lines that the learner's copy also holds elsewhere, as
// idioms that give nothing away: Go's own (a sort comparator, a fresh reply), the
// encoder's as labgob documents it, and the first lines of a handler and a timer as the
// simulator guide teaches them. A line joins this list only after a reader has checked
// that the place the search found it reveals nothing of the solution.
var commonLines = []string{
	// Go idioms, in tests and in the given code.
	"for id := 0; id < n; id++ {",
	"for _, v := range b.order {",
	"for _, v := range reply.Values {",
	"if a.From != b.From {",
	"return a.From - b.From",
	"return a.To - b.To",
	"reply := GetReply{}",
	"reply := PutReply{}",
	"reply := MigrateReply{}",
	"var candidates []int",
	"var entries []Entry",
	"type entry struct {",
	"slices.Sort(sorted)",
	"PrevLogIndex: prev,",
	"var buf bytes.Buffer",
	"for i, name := range names {",
	"version Tversion",
	"for i := range offsets {",
	"for _, r := range reads {",
	"for _, e := range entries {",
	"for i, k := range keys {",
	"for k := 0; k < n; k++ {",
	"if r.Err == OK {",
	"Term: rf.currentTerm,",
	"dst = append(dst, i)",
	"others = append(others, i)",
	"h := HashKey(key)", // chash's given hash, as its vector test calls it
	// labgob's package documentation: how to encode state.
	"w := new(bytes.Buffer)",
	"e := labgob.NewEncoder(w)",
	// docs/simulator.md: what a handler, a call and a timer look like.
	"reply.Term = rf.currentTerm",
	"reply := &RequestVoteReply{}",
	"if rf.role == leader {",
}

// normalise collapses the white space of a line, so that indentation and gofmt's
// alignment do not hide a copied line.
func normalise(line string) string {
	return strings.Join(strings.Fields(line), " ")
}

// FindLeaks searches the files of a copy (outs) for the solution lines of the regions
// that the copy cut at position cut stubs out. A solution line counts if, normalised,
// it is at least minNeedle long, holds a letter, is not in commonLines, and does not
// also occur outside the stubbed regions of a file with regions, or in a stub (a line
// that an earlier part's solution, the code around the regions or a stub also has is
// not a secret). A file
// holds a solution line if one of its lines, normalised, contains it, unless that whole
// line is itself one of those the learner holds anyway. It returns the leaks and how many lines it searched
// for.
func FindLeaks(root string, files []string, cut int, c Course, outs []outFile) ([]Leak, int, error) {
	needles := map[string]string{} // normalised line -> where it comes from
	kept := map[string]bool{}
	for _, f := range files {
		if !IsMarkable(f) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, 0, err
		}
		lines := splitLines(src)
		stubbed := make([]bool, len(lines)+1) // by line number: inside a stubbed region
		if HasMarkers(src) {
			regions, err := ParseRegions(f, src, c)
			if err != nil {
				return nil, 0, err
			}
			for _, r := range regions {
				if i, _ := c.Index(r.Part); i < cut {
					continue
				}
				end := r.End
				if r.Stub != 0 {
					end = r.Stub
				}
				for n := r.Start; n <= r.End; n++ {
					stubbed[n] = true
				}
				if r.Stub != 0 { // the stub is the learner's, by its author's choice
					for n := r.Stub + 1; n < r.End; n++ {
						kept[normalise(stubLine(lines[n-1]))] = true
					}
				}
				for n := r.Start + 1; n < end; n++ {
					t := normalise(lines[n-1])
					if len(t) >= minNeedle && strings.ContainsFunc(t, isLetter) {
						if _, dup := needles[t]; !dup {
							needles[t] = fmt.Sprintf("%s:%d, part %s", f, n, r.Part)
						}
					}
				}
			}
		}
		if !HasMarkers(src) {
			continue // a line that only a file without regions shares is searched for there
		}
		for i, l := range lines {
			if !stubbed[i+1] {
				kept[normalise(l)] = true
			}
		}
	}
	for t := range kept {
		delete(needles, t)
	}
	for _, t := range commonLines {
		delete(needles, t)
	}
	if len(needles) == 0 {
		return nil, 0, nil
	}
	// Index the needles by their first bytes, so that a line is searched in one pass.
	const key = 8
	byKey := map[string][]string{}
	for t := range needles {
		byKey[t[:key]] = append(byKey[t[:key]], t)
	}
	var leaks []Leak
	for _, o := range outs {
		if o.data == nil {
			continue
		}
		for i, line := range splitLines(o.data) {
			t := normalise(line)
			if kept[t] {
				continue // a line of the given code or of a stub, which the learner holds anyway
			}
			for at := 0; at+minNeedle <= len(t); at++ {
				if at > 0 && isWordByte(t[at-1]) && isWordByte(t[at]) {
					continue // a needle starts where a word does
				}
				for _, n := range byKey[t[at:at+key]] {
					if strings.HasPrefix(t[at:], n) {
						leaks = append(leaks, Leak{File: o.path, Line: i + 1, Text: n, From: needles[n]})
					}
				}
			}
		}
	}
	sort.Slice(leaks, func(i, j int) bool {
		if leaks[i].File != leaks[j].File {
			return leaks[i].File < leaks[j].File
		}
		if leaks[i].Line != leaks[j].Line {
			return leaks[i].Line < leaks[j].Line
		}
		return leaks[i].Text < leaks[j].Text
	})
	return leaks, len(needles), nil
}

func isLetter(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }

func isWordByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// InitRepo makes dir a git repository with one commit of everything in it. It leaves
// a directory that already is one alone, and says so.
func InitRepo(dir, message string) (created bool, err error) {
	if _, err := os.Lstat(filepath.Join(dir, ".git")); err == nil {
		return false, nil
	}
	if _, err := exec.LookPath("git"); err != nil {
		return false, errors.New("git is not on PATH, so the copy is not a git repository; run git init in it yourself")
	}
	for _, args := range [][]string{
		{"init", "-q"},
		{"add", "-A"},
		{"-c", "user.name=protolab", "-c", "user.email=protolab@localhost", "-c", "commit.gpgsign=false",
			"commit", "-q", "--no-verify", "-m", message},
	} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			return false, fmt.Errorf("git %s in %s: %v\n%s", args[len(args)-1], dir, err, out)
		}
	}
	return true, nil
}
