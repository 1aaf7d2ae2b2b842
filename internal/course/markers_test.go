package course

import (
	"strings"
	"testing"
)

// lines joins its arguments into a file's text, one per line.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

var getState = lines(
	"package raft",
	"",
	"func (rf *Raft) GetState() (term int, isLeader bool) {",
	"	//lab:solution 4A",
	"	return rf.currentTerm, rf.role == leader",
	"	//lab:stub",
	"	// TODO(4A): report this peer's term and whether it believes it is the leader.",
	"	//> return 0, false",
	"	//lab:end",
	"}",
)

func TestSkeletonize(t *testing.T) {
	tests := []struct {
		name string
		src  string
		upto string
		want string
	}{
		{
			name: "stub replaces the solution of the part itself",
			src:  getState, upto: "4A",
			want: lines(
				"package raft",
				"",
				"func (rf *Raft) GetState() (term int, isLeader bool) {",
				"	// TODO(4A): report this peer's term and whether it believes it is the leader.",
				"	return 0, false",
				"}",
			),
		},
		{
			name: "stub replaces the solution of a later part",
			src:  getState, upto: "1A",
			want: lines(
				"package raft",
				"",
				"func (rf *Raft) GetState() (term int, isLeader bool) {",
				"	// TODO(4A): report this peer's term and whether it believes it is the leader.",
				"	return 0, false",
				"}",
			),
		},
		{
			name: "solution of an earlier part is kept without its markers",
			src:  getState, upto: "4B",
			want: lines(
				"package raft",
				"",
				"func (rf *Raft) GetState() (term int, isLeader bool) {",
				"	return rf.currentTerm, rf.role == leader",
				"}",
			),
		},
		{
			name: "a region without a stub disappears, even in an import block",
			src: lines(
				"package p",
				"",
				"import (",
				"	\"fmt\"",
				"	//lab:solution 2B",
				"	\"sort\"",
				"	//lab:end",
				")",
				"",
				"var _ = fmt.Sprint",
			),
			upto: "2B",
			want: lines(
				"package p",
				"",
				"import (",
				"	\"fmt\"",
				")",
				"",
				"var _ = fmt.Sprint",
			),
		},
		{
			name: "//> keeps the indentation; a bare //> is a blank line; //>x is kept verbatim",
			src: lines(
				"package p",
				"",
				"func f() int {",
				"	//lab:solution 1A",
				"	return 1",
				"	//lab:stub",
				"	//> x := 0",
				"	//>",
				"	//>this stays a comment",
				"	//> if x > 0 {",
				"	//> 	x--",
				"	//> }",
				"	//> return x",
				"	//lab:end",
				"}",
			),
			upto: "1A",
			want: lines(
				"package p",
				"",
				"func f() int {",
				"	x := 0",
				"",
				"	//>this stays a comment",
				"	if x > 0 {",
				"		x--",
				"	}",
				"	return x",
				"}",
			),
		},
		{
			name: "several regions of different parts in one file",
			src: lines(
				"package p",
				"",
				"//lab:solution 1A",
				"func a() int { return 1 }",
				"//lab:stub",
				"//> func a() int { return 0 }",
				"//lab:end",
				"",
				"//lab:solution 1B",
				"func b() int { return 2 }",
				"//lab:stub",
				"//> func b() int { return 0 }",
				"//lab:end",
			),
			upto: "1B",
			want: lines(
				"package p",
				"",
				"func a() int { return 1 }",
				"",
				"func b() int { return 0 }",
			),
		},
		{
			name: "markers are recognised whatever the indentation, and the file is gofmt'd",
			src: lines(
				"package p",
				"func f() int {",
				"        //lab:solution 1C",
				"  return   1",
				"      //lab:end",
				"  return 2",
				"}",
			),
			upto: "1C",
			want: lines(
				"package p",
				"",
				"func f() int {",
				"	return 2",
				"}",
			),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, changed, err := Skeletonize("f.go", []byte(tt.src), tt.upto, Default)
			if err != nil {
				t.Fatalf("Skeletonize: %v", err)
			}
			if !changed {
				t.Errorf("changed = false for a file with markers")
			}
			if string(got) != tt.want {
				t.Errorf("skeleton up to %s:\n%s\nwant:\n%s", tt.upto, got, tt.want)
			}
		})
	}
}

func TestSkeletonizeLeavesFilesWithoutMarkersAlone(t *testing.T) {
	src := "package p\nfunc  f() {}\n" // not gofmt'd, and must stay so
	got, changed, err := Skeletonize("f.go", []byte(src), "1A", Default)
	if err != nil || changed || string(got) != src {
		t.Errorf("Skeletonize = %q, %v, %v; want the input unchanged", got, changed, err)
	}
}

func TestMarkerErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want string // the whole error text
	}{
		{
			name: "unclosed region",
			src:  lines("package p", "//lab:solution 4A", "var x = 1"),
			want: "f.go:2: //lab:solution 4A is never closed; add //lab:end after its solution (and stub)",
		},
		{
			name: "stub outside a region",
			src:  lines("package p", "//lab:stub", "var x = 1"),
			want: "f.go:2: //lab:stub without an open region; open one before it with //lab:solution PART, or remove it",
		},
		{
			name: "end without a region",
			src:  lines("package p", "//lab:solution 1A", "//lab:end", "//lab:end"),
			want: "f.go:4: //lab:end without an open region; open one before it with //lab:solution PART, or remove it",
		},
		{
			name: "nested region",
			src:  lines("package p", "//lab:solution 4A", "\t//lab:solution 4B", "//lab:end", "//lab:end"),
			want: "f.go:3: //lab:solution 4B inside the region opened at line 2 (regions do not nest); close that region with //lab:end first",
		},
		{
			name: "unknown part",
			src:  lines("package p", "//lab:solution 4G", "//lab:end"),
			want: `f.go:2: unknown part "4G" in //lab:solution; the known parts are 1A 1B 1C 2A 2B 2C 2D 2E 3A 3B 3C 4A 4B 4C 4D 4E 4F 5A 5B 6A 6B 6C 6D 7A 7B 7C`,
		},
		{
			name: "part missing",
			src:  lines("package p", "//lab:solution", "//lab:end"),
			want: "f.go:2: //lab:solution needs exactly one part after it, as in //lab:solution 4A",
		},
		{
			name: "two parts",
			src:  lines("package p", "//lab:solution 4A 4B", "//lab:end"),
			want: "f.go:2: //lab:solution 4A 4B needs exactly one part after it, as in //lab:solution 4A",
		},
		{
			name: "two stubs",
			src:  lines("package p", "//lab:solution 4A", "//lab:stub", "//lab:stub", "//lab:end"),
			want: "f.go:4: second //lab:stub in the region opened at line 2 (the first is at line 3); a region has at most one stub",
		},
		{
			name: "text after end",
			src:  lines("package p", "//lab:solution 4A", "//lab:end 4A"),
			want: "f.go:3: //lab:end takes nothing after it; put the rest on a line of its own",
		},
		{
			name: "misspelt marker",
			src:  lines("package p", "//lab:solution 4A", "//lab:stubb", "//lab:end"),
			want: "f.go:3: unknown marker //lab:stubb; the markers are //lab:solution PART, //lab:stub and //lab:end",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Skeletonize("f.go", []byte(tt.src), "1A", Default)
			if err == nil {
				t.Fatalf("Skeletonize succeeded; want error %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n %s\nwant:\n %s", err, tt.want)
			}
		})
	}
}

func TestSkeletonThatDoesNotFormatNamesTheReferenceLine(t *testing.T) {
	src := lines(
		"package p",
		"",
		"func f() int {",
		"	//lab:solution 1A",
		"	return 1",
		"	//lab:stub",
		"	// TODO(1A): return one.",
		"	//> return (",
		"	//lab:end",
		"}",
	)
	_, _, err := Skeletonize("p/f.go", []byte(src), "1A", Default)
	if err == nil {
		t.Fatal("Skeletonize succeeded on a stub that is not valid Go")
	}
	for _, want := range []string{"p/f.go:", "the skeleton up to 1A is not valid Go", "must build"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	// The parser notices the bad stub on the closing brace, line 10 of the reference;
	// the message must point into the reference file, not into the rewritten text.
	if !strings.HasPrefix(err.Error(), "p/f.go:10:") {
		t.Errorf("error %q does not point at line 10 of the reference", err)
	}
	// The reference itself is fine: the solution of 1A is valid Go.
	if _, _, err := Skeletonize("p/f.go", []byte(src), "1B", Default); err != nil {
		t.Errorf("skeleton up to 1B: %v", err)
	}
}

func TestParseRegions(t *testing.T) {
	regions, err := ParseRegions("f.go", []byte(getState+lines("//lab:solution 4B", "var y = 2", "//lab:end")), Default)
	if err != nil {
		t.Fatal(err)
	}
	want := []Region{{Part: "4A", Start: 4, Stub: 6, End: 9}, {Part: "4B", Start: 11, End: 13}}
	if len(regions) != len(want) {
		t.Fatalf("regions = %+v, want %+v", regions, want)
	}
	for i := range want {
		if regions[i] != want[i] {
			t.Errorf("region %d = %+v, want %+v", i, regions[i], want[i])
		}
	}
}

func TestIsMarkable(t *testing.T) {
	tests := map[string]bool{
		"raft/raft.go":                           true,
		"main.go":                                true,
		"raft/raft_test.go":                      false,
		"raft/mutants.txt":                       false,
		"internal/course/testdata/fixture/a.go":  false,
		"_scratch/a.go":                          false,
		".hidden/a.go":                           false,
		"cmd/lab/demo.go":                        true,
		"internal/course/testdata_not/really.go": true,
	}
	for path, want := range tests {
		if got := IsMarkable(path); got != want {
			t.Errorf("IsMarkable(%q) = %v, want %v", path, got, want)
		}
	}
}
