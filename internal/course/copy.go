package course

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// What 'lab skeleton' needs around WriteLearnerCopy and CheckSkeleton: where a copy
// may be written, and the check's --json form.

// CopyOptions say which copy WriteCopy writes, and where.
type CopyOptions struct {
	Root  string // the module root of the reference
	Out   string // the directory, as the user gave it
	Dir   string // the working directory Out is relative to
	Next  string // the part the student does next, or SolutionNext
	Force bool   // write into a non-empty directory, over its files
}

// A CopyUsageError is a copy the command line asked for that cannot be written: a
// directory inside the module, a file, a non-empty directory without Force, a
// module without solution regions.
type CopyUsageError struct{ Err error }

func (e *CopyUsageError) Error() string { return e.Err.Error() }

// A Copy is a learner's copy that WriteCopy wrote.
type Copy struct {
	Out     string // the directory, resolved
	Stats   LearnerStats
	Git     bool  // DIR was made a git repository with one commit
	GitErr  error // why it could not be
	Purpose string
}

// WriteCopy writes a learner's copy: it resolves the directory (symbolic links
// included) and refuses one inside the module or containing it, a file, or a
// non-empty one without Force; writes the copy (WriteLearnerCopy, which searches it
// for stubbed solution lines first) and makes it a git repository. Its error is a
// *CopyUsageError when the options are at fault.
func WriteCopy(o CopyOptions) (Copy, error) {
	usage := func(format string, args ...any) (Copy, error) {
		return Copy{}, &CopyUsageError{fmt.Errorf(format, args...)}
	}
	realRoot, err := filepath.EvalSymlinks(o.Root)
	if err != nil {
		return Copy{}, err
	}
	out := o.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(o.Dir, out)
	}
	out, err = resolvePath(filepath.Clean(out))
	if err != nil {
		return usage("-o %s: %v", o.Out, err)
	}
	if within(out, realRoot) || within(realRoot, out) {
		return usage("-o %s is inside the module, or contains it (it resolves to %s); write the copy outside %s", o.Out, out, realRoot)
	}
	if info, err := os.Stat(out); err == nil && !info.IsDir() {
		return usage("-o %s is a file; give a directory (a new one, or an empty one)", o.Out)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 && !o.Force {
		return usage("-o %s is not empty; pick an empty directory, or pass --force to write over its files", o.Out)
	}
	files, err := ListFiles(o.Root, false)
	if err != nil {
		return Copy{}, fmt.Errorf("listing the module's files: %v", err)
	}
	marked, err := ScanMarkers(o.Root, files, Default)
	if err != nil {
		return Copy{}, fmt.Errorf("no copy written:\n%v", err)
	}
	if len(marked) == 0 {
		return usage("%s has no solution regions, so there is nothing to make a copy from; run skeleton in the reference solution", o.Root)
	}
	stats, err := WriteLearnerCopy(LearnerOptions{Root: o.Root, Files: files, Next: o.Next, Course: Default}, out)
	if err != nil {
		return Copy{}, fmt.Errorf("no copy written:\n%v", err)
	}
	c := Copy{Out: out, Stats: stats, Purpose: "with part " + o.Next + " next"}
	if o.Next == SolutionNext {
		c.Purpose = "with every part done (the solution, for reading)"
	}
	c.Git, c.GitErr = InitRepo(out, "protolab: your copy, "+c.Purpose)
	return c, nil
}

// resolvePath resolves the symbolic links of a clean absolute path, including those of
// its parents when the path itself does not exist yet: the part that exists is resolved,
// and the rest appended.
func resolvePath(p string) (string, error) {
	rest := ""
	for cur := p; ; cur = filepath.Dir(cur) {
		if _, err := os.Lstat(cur); err == nil {
			real, err := filepath.EvalSymlinks(cur)
			if err != nil {
				return "", err
			}
			return filepath.Join(real, rest), nil
		}
		if filepath.Dir(cur) == cur {
			return p, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
	}
}

// within reports whether path is dir or inside it. Both are clean absolute paths.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// CheckReport is what 'lab skeleton --check --json' prints.
type CheckReport struct {
	OK      bool         `json:"ok"`
	Parts   []CheckEntry `json:"parts"`
	Skipped []string     `json:"skipped"`
}

// A CheckEntry is one row of CheckReport.
type CheckEntry struct {
	Part      string     `json:"part"`
	Dir       string     `json:"dir"`
	OK        bool       `json:"ok"`
	NotRun    string     `json:"not_run,omitempty"`
	BuildVet  *StepEntry `json:"build_vet,omitempty"`
	Earlier   *StepEntry `json:"earlier_parts_pass,omitempty"`
	PartFails *StepEntry `json:"part_fails,omitempty"`
	Reference *StepEntry `json:"reference_passes,omitempty"`
	ElapsedMS float64    `json:"elapsed_ms"`
}

// A StepEntry is one step of a CheckEntry.
type StepEntry struct {
	Status  string `json:"status"` // "ok", "failed", "skipped"
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
}

func stepEntry(s Step) *StepEntry {
	status := map[StepStatus]string{StepSkipped: "skipped", StepOK: "ok", StepFailed: "failed"}[s.Status]
	return &StepEntry{Status: status, Summary: s.Summary, Detail: s.Detail}
}

// Report is the result in the form 'lab skeleton --check --json' prints.
func (r CheckResult) Report() CheckReport {
	out := CheckReport{OK: r.OK(), Parts: []CheckEntry{}, Skipped: []string{}}
	for _, row := range r.Rows {
		e := CheckEntry{Part: row.Part.Name, Dir: row.Part.Dir, OK: row.OK(), NotRun: row.NotRun, ElapsedMS: float64(row.Elapsed.Microseconds()) / 1000}
		if row.NotRun == "" {
			e.BuildVet, e.Earlier, e.PartFails, e.Reference = stepEntry(row.BuildVet), stepEntry(row.Earlier), stepEntry(row.PartFails), stepEntry(row.Reference)
		}
		out.Parts = append(out.Parts, e)
	}
	for _, p := range r.Skipped {
		out.Skipped = append(out.Skipped, p.Name)
	}
	return out
}
