package course

import (
	"path"
	"strings"
	"testing"
)

// FuzzParseMutants feeds the mutants file parser arbitrary text, as an
// instructor's hand-edited mutants.txt may be anything. It must never panic,
// and every mutant it accepts must be one that lab mutants can apply: a
// unique name without spaces, a description, a clean file path inside the
// package, "-" lines to find and a change.
//
// The seed corpus (testdata/fuzz/FuzzParseMutants) holds the labs' mutants
// files and malformed variants; go test runs it every time, and `make fuzz`
// runs the fuzzer for longer.
func FuzzParseMutants(f *testing.F) {
	f.Add([]byte("== add-subtracts: Add subtracts\nfile: adder.go\n-\treturn a + b\n+\treturn a - b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mutants, err := ParseMutants("mutants.txt", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "mutants.txt:") {
				t.Fatalf("an error that does not say where: %v", err)
			}
			return
		}
		names := map[string]bool{}
		for _, m := range mutants {
			switch {
			case m.Name == "" || strings.ContainsAny(m.Name, " \t") || names[m.Name]:
				t.Fatalf("accepted the name %q", m.Name)
			case m.Description == "":
				t.Fatalf("accepted mutant %s without a description", m.Name)
			case m.File == "" || path.IsAbs(m.File) || path.Clean(m.File) != m.File || m.File == ".." || strings.HasPrefix(m.File, "../"):
				t.Fatalf("accepted the file %q, which is not inside the package", m.File)
			case len(m.Old) == 0 || strings.Join(m.Old, "\n") == strings.Join(m.New, "\n"):
				t.Fatalf("accepted mutant %s, which changes nothing", m.Name)
			case m.Line < 1:
				t.Fatalf("mutant %s at line %d", m.Name, m.Line)
			}
			names[m.Name] = true
			// Applying it to its own "-" lines works, and gives its "+" lines.
			src := strings.Join(m.Old, "\n")
			if got, err := m.Apply(m.File, []byte(src)); err == nil && string(got) != strings.Join(m.New, "\n") {
				t.Fatalf("mutant %s applied to its own lines gives %q", m.Name, got)
			}
		}
	})
}
