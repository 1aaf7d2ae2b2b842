package course

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"go/scanner"
	"strings"
)

// The three marker lines. A line is a marker when its text, with surrounding white
// space trimmed, is one of these (the solution marker followed by a part name).
// docs/markers.md is the reference for the syntax.
const (
	markerPrefix   = "//lab:"
	solutionMarker = "//lab:solution"
	stubMarker     = "//lab:stub"
	endMarker      = "//lab:end"
	stubCodePrefix = "//>"
)

// A Region is one solution region of a file. Line numbers count from 1.
type Region struct {
	Part  string
	Start int // the //lab:solution line
	Stub  int // the //lab:stub line, or 0 when the region has no stub
	End   int // the //lab:end line
}

// A MarkerError is a misuse of the markers, located at a line of a file.
type MarkerError struct {
	File string
	Line int
	Msg  string // says what is wrong and how to fix it
}

func (e *MarkerError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParseRegions finds the solution regions of a Go source file. The file name is used
// only in error messages. It reports the first misuse of the markers in the file.
func ParseRegions(file string, src []byte, c Course) ([]Region, error) {
	var regions []Region
	var open *Region
	fail := func(line int, format string, args ...any) ([]Region, error) {
		return nil, &MarkerError{File: file, Line: line, Msg: fmt.Sprintf(format, args...)}
	}
	for i, line := range splitLines(src) {
		n := i + 1
		text := strings.TrimSpace(line)
		if !strings.HasPrefix(text, markerPrefix) {
			continue
		}
		fields := strings.Fields(text)
		switch fields[0] {
		case solutionMarker:
			if open != nil {
				return fail(n, "%s inside the region opened at line %d (regions do not nest); close that region with %s first",
					text, open.Start, endMarker)
			}
			if len(fields) != 2 {
				return fail(n, "%s needs exactly one part after it, as in %s 4A", text, solutionMarker)
			}
			if _, ok := c.Index(fields[1]); !ok {
				return fail(n, "unknown part %q in %s; the known parts are %s",
					fields[1], solutionMarker, strings.Join(c.Names(), " "))
			}
			open = &Region{Part: fields[1], Start: n}
		case stubMarker, endMarker:
			if len(fields) != 1 {
				return fail(n, "%s takes nothing after it; put the rest on a line of its own", fields[0])
			}
			if open == nil {
				return fail(n, "%s without an open region; open one before it with %s PART, or remove it",
					text, solutionMarker)
			}
			if text == endMarker {
				open.End = n
				regions = append(regions, *open)
				open = nil
				break
			}
			if open.Stub != 0 {
				return fail(n, "second %s in the region opened at line %d (the first is at line %d); a region has at most one stub",
					stubMarker, open.Start, open.Stub)
			}
			open.Stub = n
		default:
			return fail(n, "unknown marker %s; the markers are %s PART, %s and %s",
				fields[0], solutionMarker, stubMarker, endMarker)
		}
	}
	if open != nil {
		return fail(open.Start, "%s %s is never closed; add %s after its solution (and stub)",
			solutionMarker, open.Part, endMarker)
	}
	return regions, nil
}

// HasMarkers reports whether src has any line that looks like a marker. It is a cheap
// test that decides whether a file needs ParseRegions at all.
func HasMarkers(src []byte) bool {
	for _, line := range splitLines(src) {
		if strings.HasPrefix(strings.TrimSpace(line), markerPrefix) {
			return true
		}
	}
	return false
}

// Skeletonize returns the learner's version of a Go source file up to part upto: each
// region of upto or a later part becomes its stub, each region of an earlier part keeps
// its solution, and every marker line is removed. A file with markers is then formatted
// with gofmt; if the result is not valid Go the error names the file and the line.
// A file without markers is returned unchanged, with changed set to false.
func Skeletonize(file string, src []byte, upto string, c Course) (out []byte, changed bool, err error) {
	cut, ok := c.Index(upto)
	if !ok {
		return nil, false, c.unknownPart(upto)
	}
	return skeletonizeAt(file, src, cut, c)
}

// skeletonizeAt is Skeletonize with the cut given as a position in course order: the
// regions of the parts at cut and after become stubs. A cut of len(c.Parts) keeps every
// solution and only strips the markers (the annotated reference, for reading).
func skeletonizeAt(file string, src []byte, cut int, c Course) (out []byte, changed bool, err error) {
	if !HasMarkers(src) {
		return src, false, nil
	}
	regions, err := ParseRegions(file, src, c)
	if err != nil {
		return nil, false, err
	}
	lines := splitLines(src)
	var buf bytes.Buffer
	var origin []int // origin[k] is the source line number of output line k+1
	emit := func(text string, from int) {
		buf.WriteString(text)
		buf.WriteByte('\n')
		origin = append(origin, from)
	}
	next := 0 // index into lines of the first line not yet written
	for _, r := range regions {
		for ; next < r.Start-1; next++ {
			emit(lines[next], next+1)
		}
		idx, _ := c.Index(r.Part)
		solutionEnd := r.End
		if r.Stub != 0 {
			solutionEnd = r.Stub
		}
		if idx < cut {
			for n := r.Start + 1; n < solutionEnd; n++ {
				emit(lines[n-1], n)
			}
		} else if r.Stub != 0 {
			for n := r.Stub + 1; n < r.End; n++ {
				emit(stubLine(lines[n-1]), n)
			}
		}
		next = r.End
	}
	for ; next < len(lines); next++ {
		emit(lines[next], next+1)
	}
	formatted, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, false, formatError(file, c.cutName(cut), err, origin)
	}
	return formatted, true, nil
}

// stubLine turns a "//> code" line of a stub into "code", keeping the indentation of
// the comment; other stub lines stay as they are.
func stubLine(line string) string {
	text := strings.TrimSpace(line)
	indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
	switch {
	case text == stubCodePrefix:
		return indent
	case strings.HasPrefix(text, stubCodePrefix+" "):
		return indent + text[len(stubCodePrefix)+1:]
	}
	return line
}

// formatError says that the skeleton of a file is not valid Go, pointing at the line of
// the reference file that the first error comes from.
func formatError(file, upto string, err error, origin []int) error {
	var list scanner.ErrorList
	if errors.As(err, &list) && len(list) > 0 {
		first := list[0]
		line := first.Pos.Line
		if line >= 1 && line <= len(origin) {
			line = origin[line-1]
		}
		return fmt.Errorf("%s:%d: the skeleton up to %s is not valid Go (%s); check the stub around this line, since the skeleton must build",
			file, line, upto, first.Msg)
	}
	return fmt.Errorf("%s: the skeleton up to %s is not valid Go: %v; check its stubs, since the skeleton must build", file, upto, err)
}

// splitLines splits src into lines without their terminators. A final line without a
// newline still counts; a trailing newline does not add an empty line.
func splitLines(src []byte) []string {
	s := strings.TrimSuffix(string(src), "\n")
	if s == "" {
		return nil
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}
