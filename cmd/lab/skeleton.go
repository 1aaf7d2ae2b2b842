package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"protolab/internal/course"
)

type skeletonFlags struct {
	upto    string
	out     string
	force   bool
	check   bool
	parts   string
	timeout time.Duration
	json    bool
}

func newSkeletonFlags() (*flag.FlagSet, *skeletonFlags) {
	f := &skeletonFlags{}
	fs := flag.NewFlagSet("skeleton", flag.ContinueOnError)
	fs.StringVar(&f.upto, "upto", "", "write the skeleton up to `PART`: its regions and those of later parts become stubs")
	fs.StringVar(&f.out, "o", "", "write the skeleton into `DIR`, which must be empty and outside the module")
	fs.BoolVar(&f.force, "force", false, "write into a non-empty DIR, over its files (nothing else there is removed)")
	fs.BoolVar(&f.check, "check", false, "check the skeleton of every part instead of writing one")
	fs.StringVar(&f.parts, "parts", "", "with --check, check only these `PARTS` (comma-separated, like 1A,2B)")
	fs.DurationVar(&f.timeout, "timeout", course.DefaultTimeout, "with --check, the time limit of each go command")
	fs.BoolVar(&f.json, "json", false, "print the result as JSON")
	return fs, f
}

func helpSkeleton(w io.Writer) {
	fmt.Fprintf(w, `usage: lab skeleton --upto PART -o DIR [--force] [--json]
       lab skeleton --check [--parts 1A,2B,...] [--timeout D] [--json]

The repository is the reference solution; the solution markers in its Go files say
which part each piece of code belongs to and what the learner gets instead
(docs/markers.md).

With --upto and -o, skeleton writes the learner's copy of the whole module (the files
git tracks) into DIR: every region of PART or a later part is replaced by its stub,
every region of an earlier part keeps its solution, and every marker line is removed.

With --check, skeleton checks, for each part P that has a package directory and at
least one region, that in the skeleton up to P:
  - go build ./... and go vet ./... pass;
  - the tests of the earlier parts in P's package pass;
  - the tests of P (test names ending in P) exist and fail.
It prints a table and exits with status 1 if any row is wrong.

The parts, in course order: %s.

Flags:
`, strings.Join(course.Default.Names(), " "))
	fs, _ := newSkeletonFlags()
	fs.SetOutput(w)
	fs.PrintDefaults()
}

func runSkeleton(c *cli, args []string) int {
	fs, f := newSkeletonFlags()
	positional, rest, code, ok := c.parseFlags("skeleton", fs, args)
	if !ok {
		return code
	}
	if len(positional) > 0 || len(rest) > 0 {
		return c.usageError("skeleton", "unexpected argument %q; the part and the directory go in --upto and -o", append(positional, rest...)[0])
	}
	if f.check {
		if f.upto != "" || f.out != "" || f.force {
			return c.usageError("skeleton", "--check writes no copy, so it takes no --upto, -o or --force")
		}
		var parts []course.Part
		if f.parts != "" {
			var err error
			if parts, err = course.Default.ParseParts(f.parts); err != nil {
				return c.usageError("skeleton", "--parts: %v", err)
			}
		}
		if f.timeout <= 0 {
			return c.usageError("skeleton", "--timeout must be positive")
		}
		return checkSkeleton(c, parts, f.timeout, f.json)
	}
	switch {
	case f.parts != "":
		return c.usageError("skeleton", "--parts goes with --check")
	case f.upto == "" || f.out == "":
		return c.usageError("skeleton", "give --upto PART and -o DIR, or --check")
	}
	if _, err := course.Default.Lookup(f.upto); err != nil {
		return c.usageError("skeleton", "--upto: %v", err)
	}
	return writeSkeleton(c, f)
}

func writeSkeleton(c *cli, f *skeletonFlags) int {
	root, code, ok := c.moduleRoot("skeleton")
	if !ok {
		return code
	}
	wd, err := c.workDir()
	if err != nil {
		return c.failf("skeleton", "%v", err)
	}
	out := f.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(wd, out)
	}
	out = filepath.Clean(out)
	if within(out, root) || within(root, out) {
		return c.usageError("skeleton", "-o %s is inside the module, or contains it; write the skeleton outside %s", f.out, root)
	}
	if entries, err := os.ReadDir(out); err == nil && len(entries) > 0 && !f.force {
		return c.usageError("skeleton", "-o %s is not empty; pick an empty directory, or pass --force to write over its files", f.out)
	}

	files, err := course.ListFiles(root, false)
	if err != nil {
		return c.failf("skeleton", "listing the module's files: %v", err)
	}
	stats, err := course.WriteSkeleton(root, files, out, f.upto, course.Default)
	if err != nil {
		return c.failf("skeleton", "no skeleton written:\n%v", err)
	}
	if f.json {
		writeJSON(c.stdout, map[string]any{"upto": f.upto, "out": out, "files": stats.Files, "rewritten": stats.Rewritten,
			"stubbed": stats.Stubbed, "kept": stats.Kept})
		return exitOK
	}
	fmt.Fprintf(c.stdout, "wrote the skeleton up to %s into %s: %d files, %d with markers (%d regions stubbed, %d kept)\n",
		f.upto, out, stats.Files, stats.Rewritten, stats.Stubbed, stats.Kept)
	part, _ := course.Default.Lookup(f.upto)
	fmt.Fprintf(c.stdout, "try it: cd %s && go build ./... && go test ./%s -run '%s$'\n", out, part.Dir, part.Name)
	return exitOK
}

// within reports whether path is dir or inside it. Both are clean absolute paths.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// checkJSON is one row of 'lab skeleton --check --json'.
type checkJSON struct {
	Part      string    `json:"part"`
	Dir       string    `json:"dir"`
	OK        bool      `json:"ok"`
	NotRun    string    `json:"not_run,omitempty"`
	BuildVet  *stepJSON `json:"build_vet,omitempty"`
	Earlier   *stepJSON `json:"earlier_parts_pass,omitempty"`
	PartFails *stepJSON `json:"part_fails,omitempty"`
	ElapsedMS float64   `json:"elapsed_ms"`
}

type stepJSON struct {
	Status  string `json:"status"` // "ok", "failed", "skipped"
	Summary string `json:"summary"`
	Detail  string `json:"detail,omitempty"`
}

func stepOf(s course.Step) *stepJSON {
	status := map[course.StepStatus]string{course.StepSkipped: "skipped", course.StepOK: "ok", course.StepFailed: "failed"}[s.Status]
	return &stepJSON{Status: status, Summary: s.Summary, Detail: s.Detail}
}

func checkSkeletonJSON(c *cli, res course.CheckResult) int {
	out := struct {
		OK      bool        `json:"ok"`
		Parts   []checkJSON `json:"parts"`
		Skipped []string    `json:"skipped"`
	}{OK: res.OK(), Parts: []checkJSON{}, Skipped: []string{}}
	for _, r := range res.Rows {
		row := checkJSON{Part: r.Part.Name, Dir: r.Part.Dir, OK: r.OK(), NotRun: r.NotRun, ElapsedMS: ms(r.Elapsed)}
		if r.NotRun == "" {
			row.BuildVet, row.Earlier, row.PartFails = stepOf(r.BuildVet), stepOf(r.Earlier), stepOf(r.PartFails)
		}
		out.Parts = append(out.Parts, row)
	}
	for _, p := range res.Skipped {
		out.Skipped = append(out.Skipped, p.Name)
	}
	writeJSON(c.stdout, out)
	if !out.OK {
		return exitFail
	}
	return exitOK
}

func checkSkeleton(c *cli, parts []course.Part, timeout time.Duration, asJSON bool) int {
	root, code, ok := c.moduleRoot("skeleton")
	if !ok {
		return code
	}
	const row = "%-5s %-18s %-34s %-24s %s\n"
	header := false
	res, err := course.CheckSkeleton(c.ctx, course.CheckOptions{
		Root:    root,
		Course:  course.Default,
		Parts:   parts,
		Timeout: timeout,
		Report: func(r course.CheckRow) {
			if asJSON {
				return
			}
			if !header {
				fmt.Fprintf(c.stdout, row, "part", "build+vet", "earlier parts pass", "part fails", "time")
				header = true
			}
			if r.NotRun != "" {
				fmt.Fprintf(c.stdout, row, r.Part.Name, "NOT CHECKED: "+r.NotRun, "", "", "")
				return
			}
			fmt.Fprintf(c.stdout, row, r.Part.Name, r.BuildVet.Summary, r.Earlier.Summary, r.PartFails.Summary,
				r.Elapsed.Round(100*time.Millisecond))
		},
	})
	if err != nil {
		return c.failf("skeleton", "%v", err)
	}
	if asJSON {
		return checkSkeletonJSON(c, res)
	}
	if len(res.Skipped) > 0 {
		var names []string
		for _, p := range res.Skipped {
			names = append(names, p.Name)
		}
		fmt.Fprintf(c.stdout, "not checked (no package directory or no region yet): %s\n", strings.Join(names, " "))
	}
	if len(res.Rows) == 0 {
		fmt.Fprintln(c.stdout, "no part has solution regions yet; nothing to check")
		return exitOK
	}
	bad := 0
	for _, r := range res.Rows {
		if r.OK() {
			continue
		}
		bad++
		fmt.Fprintf(c.stdout, "\n--- %s: ", r.Part.Name)
		if r.NotRun != "" {
			fmt.Fprintf(c.stdout, "not checked: %s\n", r.NotRun)
			continue
		}
		fmt.Fprintf(c.stdout, "to look at this skeleton: lab skeleton --upto %s -o DIR\n", r.Part.Name)
		for _, s := range []course.Step{r.BuildVet, r.Earlier, r.PartFails} {
			if s.Status == course.StepFailed {
				fmt.Fprint(c.stdout, s.Detail)
			}
		}
	}
	if bad > 0 {
		fmt.Fprintf(c.stdout, "\n%d of %d parts FAIL the skeleton check\n", bad, len(res.Rows))
		return exitFail
	}
	fmt.Fprintf(c.stdout, "all %d parts pass the skeleton check\n", len(res.Rows))
	return exitOK
}
