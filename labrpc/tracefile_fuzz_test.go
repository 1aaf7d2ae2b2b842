package labrpc

import (
	"bytes"
	"path"
	"strings"
	"testing"
)

// FuzzReadTrace feeds ReadTrace arbitrary files, as lab replay may be given
// any file. It must never panic, and what it accepts must be what the
// replay relies on: a header naming a package inside the module and a plain
// test name, and JSON lines that encode back to themselves.
//
// The seed corpus (testdata/fuzz/FuzzReadTrace) holds whole traces, text and
// JSON, and the refusals of tracecheck_test.go; go test runs it every time,
// and `make fuzz` runs the fuzzer for longer.
func FuzzReadTrace(f *testing.F) {
	f.Add([]byte(TraceHeader{Package: "raft", Test: "TestX", Seed: 1, Nodes: 3}.String() + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tf, err := ReadTrace(bytes.NewReader(data))
		if err != nil {
			if tf != nil {
				t.Fatalf("ReadTrace returned a file with its error %v", err)
			}
			return
		}
		if tf.HasHeader {
			h := tf.Header
			if h.Package != "." && (path.Clean(h.Package) != h.Package || strings.HasPrefix(h.Package, "/") || strings.Contains("/"+h.Package+"/", "/../")) {
				t.Fatalf("accepted package=%q, which is not a directory inside the module", h.Package)
			}
			if !strings.HasPrefix(h.Test, "Test") || strings.ContainsAny(h.Test, `.*+?()[]{}|^$\/ `) {
				t.Fatalf("accepted test=%q, which is not a test's name", h.Test)
			}
			if h.Nodes < 0 || h.Nodes > MaxTraceNodes {
				t.Fatalf("accepted nodes=%d", h.Nodes)
			}
		}
		if tf.End != nil && (tf.End.Steps < 0 || !isHex(tf.End.Digest) || !isHex(tf.End.Body)) {
			t.Fatalf("accepted the end line %+v", *tf.End)
		}
		for i, l := range tf.Lines {
			if i > 0 && l.Step < tf.Lines[i-1].Step {
				t.Fatalf("accepted step %d after step %d", l.Step, tf.Lines[i-1].Step)
			}
			var back Line
			if err := back.unmarshalJSON(l.appendJSON(nil)); err != nil || back != l {
				t.Fatalf("line %+v does not encode back to itself: %+v, %v", l, back, err)
			}
		}
	})
}
