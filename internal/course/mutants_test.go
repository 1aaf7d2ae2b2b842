package course

import (
	"strings"
	"testing"
)

const ringMutants = `# Mutants of the ring.

== vnode-no-separator: virtual-node names without a separator collide (node1+10 vs node11+0)
file: ring.go
-	return name + "#" + strconv.Itoa(i)
+	return name + strconv.Itoa(i)

# A comment between mutants.
== drop-wrap: the search does not wrap around the ring
file: ring.go
-	if i == len(r.hashes) {
-		i = 0
-	}
`

const ringGo = `package chash

func vnodeName(name string, i int) string {
	return name + "#" + strconv.Itoa(i)
}

func (r *Ring) successor(h uint64) int {
	i := sort.Search(len(r.hashes), func(i int) bool { return r.hashes[i] >= h })
	if i == len(r.hashes) {
		i = 0
	}
	return i
}
`

func TestParseMutants(t *testing.T) {
	ms, err := ParseMutants("chash/mutants.txt", []byte(ringMutants))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 {
		t.Fatalf("parsed %d mutants, want 2: %+v", len(ms), ms)
	}
	m := ms[0]
	if m.Name != "vnode-no-separator" || m.File != "ring.go" || m.Line != 3 ||
		m.Description != "virtual-node names without a separator collide (node1+10 vs node11+0)" {
		t.Errorf("first mutant = %+v", m)
	}
	if len(m.Old) != 1 || m.Old[0] != "\treturn name + \"#\" + strconv.Itoa(i)" {
		t.Errorf("Old = %q; the text after \"-\", tab included", m.Old)
	}
	if d := ms[1]; d.Name != "drop-wrap" || len(d.Old) != 3 || len(d.New) != 0 {
		t.Errorf("second mutant = %+v; want three lines to delete", d)
	}
}

func TestApplyMutant(t *testing.T) {
	ms, err := ParseMutants("chash/mutants.txt", []byte(ringMutants))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ms[0].Apply("chash/ring.go", []byte(ringGo))
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(ringGo, `name + "#" + strconv`, `name + strconv`, 1)
	if string(got) != want {
		t.Errorf("after vnode-no-separator:\n%s\nwant:\n%s", got, want)
	}

	got, err = ms[1].Apply("chash/ring.go", []byte(ringGo))
	if err != nil {
		t.Fatal(err)
	}
	want = strings.Replace(ringGo, "\tif i == len(r.hashes) {\n\t\ti = 0\n\t}\n", "", 1)
	if string(got) != want {
		t.Errorf("after drop-wrap (a deletion):\n%s\nwant:\n%s", got, want)
	}
}

func TestApplyMutantNeedsExactlyOneOccurrence(t *testing.T) {
	m := Mutant{Name: "m", Old: []string{"\treturn i"}, New: []string{"\treturn 0"}}
	tests := []struct {
		name, src, want string
	}{
		{
			name: "none",
			src:  "package p\n\nfunc f(i int) int {\n\treturn i + 1\n}\n",
			want: `mutant m: its "-" lines occur 0 times in p/f.go, want exactly once; each "-" line must equal a whole line of the file, tabs included; has the code changed?`,
		},
		{
			name: "indented differently",
			src:  "package p\n\nfunc f(i int) int {\n\t\treturn i\n}\n",
			want: `mutant m: its "-" lines occur 0 times in p/f.go`,
		},
		{
			name: "two",
			src:  "package p\n\nfunc f(i int) int {\n\treturn i\n}\n\nfunc g(i int) int {\n\treturn i\n}\n",
			want: `mutant m: its "-" lines occur 2 times in p/f.go, want exactly once; make the "-" lines longer so they pick out one place`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := m.Apply("p/f.go", []byte(tt.src))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error = %v\nwant one starting %s", err, tt.want)
			}
		})
	}
}

func TestParseMutantsErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"text outside a mutant", "hello\n",
			`m.txt:1: unexpected text outside a mutant; a mutant starts with "== name: description", and comments with "#"`},
		{"header without description", "== lonely\nfile: a.go\n-x\n",
			`m.txt:1: want "== name: what bug this mutant puts in", with a name without spaces`},
		{"name with spaces", "== two words: d\nfile: a.go\n-x\n",
			`m.txt:1: want "== name: what bug this mutant puts in", with a name without spaces`},
		{"no file line", "== m: d\n-x\n",
			`m.txt:2: mutant m: put the "file:" line before the "-" lines`},
		{"no minus lines", "== m: d\nfile: a.go\n",
			`m.txt:1: mutant m has no "-" lines; list the lines it changes, each prefixed with "-"`},
		{"plus before minus", "== m: d\nfile: a.go\n+x\n",
			`m.txt:3: mutant m: a "+" line before any "-" line; list the lines to replace first`},
		{"minus after plus", "== m: d\nfile: a.go\n-x\n+y\n-z\n",
			`m.txt:5: mutant m: a "-" line after the "+" lines; list every "-" line first`},
		{"odd line inside", "== m: d\nfile: a.go\n-x\n# not here\n",
			`m.txt:4: mutant m: want a line starting with "-" or "+" (a blank line ends the mutant)`},
		{"file outside the package", "== m: d\nfile: ../raft/raft.go\n-x\n",
			`m.txt:2: mutant m: file "../raft/raft.go" must be a clean path inside the package, such as ring.go`},
		{"duplicate name", "== m: d\nfile: a.go\n-x\n\n== m: again\nfile: a.go\n-y\n",
			`m.txt:5: mutant m is already defined at line 1; give each mutant its own name`},
		{"no change", "== m: d\nfile: a.go\n-x\n+x\n",
			`m.txt:1: mutant m changes nothing: its "+" lines equal its "-" lines`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseMutants("m.txt", []byte(tt.text))
			if err == nil || err.Error() != tt.want {
				t.Errorf("error:\n %v\nwant:\n %s", err, tt.want)
			}
		})
	}
}
