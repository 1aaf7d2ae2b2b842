package docscheck

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

var slow = flag.Bool("slow", false, "also rerun the docs' regions that take minutes (sh-slow)")

// root is the module root, seen from this package's directory.
const root = "../.."

func readDocs(t *testing.T) []*Doc {
	t.Helper()
	names, err := Docs(root)
	require.NoError(t, err)
	require.Contains(t, names, "docs/lab4-raft.md", "the docs are found")
	var docs []*Doc
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(root, name))
		require.NoError(t, err)
		d, err := Parse(name, src)
		require.NoError(t, err)
		docs = append(docs, d)
	}
	return docs
}

// TestCitedTestsExist: every test a handout or guide names is declared in the module,
// and a replay command names the package that declares its test.
func TestCitedTestsExist(t *testing.T) {
	declared, err := DeclaredTests(root)
	require.NoError(t, err)
	docs := readDocs(t)
	cites := 0
	for _, d := range docs {
		cites += len(d.Citations())
	}
	require.Greater(t, cites, 200, "the docs cite the tests (the scan finds the citations)")
	for _, e := range CheckCitations(docs, declared) {
		t.Error(e)
	}
	t.Logf("%d citations in %d docs checked against %d declared tests", cites, len(docs), len(declared))
}

// TestRunnableBlocksRun: every block marked <!-- docs:run --> runs and succeeds.
func TestRunnableBlocksRun(t *testing.T) {
	ran := 0
	for _, d := range readDocs(t) {
		for _, b := range d.Blocks {
			if !b.Runnable {
				continue
			}
			ran++
			t.Run(filepath.Base(d.Name)+":"+strconv.Itoa(b.Line), func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				out, err := RunBlock(ctx, root, b)
				if err != nil {
					t.Errorf("%s: %v\n%s\n%s", d.Name, err, b.Body, lastLines(string(out), 20))
				}
			})
		}
	}
	require.Greater(t, ran, 0, "some blocks are marked runnable")
}

// TestGeneratedRegionsAreCurrent: every region make docs writes is, in the committed
// docs, what make docs would write today. Under -short every region is skipped (each
// builds and runs something); those that take minutes (sh-slow) run only with -slow.
func TestGeneratedRegionsAreCurrent(t *testing.T) {
	regions := 0
	for _, d := range readDocs(t) {
		for _, r := range d.Regions {
			regions++
			t.Run(filepath.Base(d.Name)+":"+strconv.Itoa(r.Line), func(t *testing.T) {
				switch {
				case r.Cost() == Seconds && testing.Short():
					t.Skipf("%s takes seconds; skipped under -short", r.Generator)
				case r.Cost() == Minutes && !*slow:
					t.Skipf("%s takes minutes; checked with -slow (or by make docs and a diff)", r.Generator)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
				defer cancel()
				body, err := Generate(ctx, root, r)
				require.NoError(t, err)
				require.Equal(t, r.Body, body, "%s:%d is stale: run make docs and commit the docs it rewrites", d.Name, r.Line)
			})
		}
	}
	require.Greater(t, regions, 0, "the docs have generated regions")
}
