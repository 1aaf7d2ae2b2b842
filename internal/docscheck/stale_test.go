package docscheck

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each check, shown to catch the stale doc it exists for: a crafted doc, checked
// against the real module.

func parse(t *testing.T, src string) *Doc {
	t.Helper()
	d, err := Parse("docs/crafted.md", []byte(src))
	require.NoError(t, err)
	return d
}

func TestStaleCitationIsCaught(t *testing.T) {
	declared, err := DeclaredTests(root)
	require.NoError(t, err)
	d := parse(t, strings.Join([]string{
		"| `TestInitialElection4A` | exists |",
		"| `TestInitialElection4Z` | a test renamed since |",
		"- `TestBroadcast{Total,Line,Nowhere}3A`: one alternative gone",
		"| `TestReplog*4C` | a pattern that matches |",
		"| `TestReplog*9Z` | a pattern that matches nothing |",
		"replay: go test ./kvsrv -run '^TestInitialElection4A$' -seed=3",
		"replay: go test ./raft -run '^TestInitialElection4A$' -seed=3",
		"go test ./kvsrv -run '^TestX1B$'   (a placeholder)",
		"",
	}, "\n"))
	var msgs []string
	for _, e := range CheckCitations([]*Doc{d}, declared) {
		msgs = append(msgs, e.Error())
	}
	require.Equal(t, []string{
		"docs/crafted.md:2: TestInitialElection4Z is cited but no test file declares it; rename the citation to the test's name, or drop it",
		"docs/crafted.md:3: TestBroadcast{Total,Line,Nowhere}3A is cited but no test file declares it; rename the citation to the test's name, or drop it",
		"docs/crafted.md:5: TestReplog*9Z is cited but no test file declares it; rename the citation to the test's name, or drop it",
		"docs/crafted.md:6: `go test ./kvsrv` runs TestInitialElection4A, but that test is in raft; name its package",
	}, msgs)
}

func TestFailingRunnableBlockIsCaught(t *testing.T) {
	d := parse(t, "intro\n<!-- docs:run -->\n```sh\ntrue\ntest -f kvsrv/no-such-file.go\necho not reached\n```\n\n```sh\nfalse  # not marked: not run\n```\n")
	require.Len(t, d.Blocks, 2)
	require.True(t, d.Blocks[0].Runnable)
	require.False(t, d.Blocks[1].Runnable)
	out, err := RunBlock(context.Background(), root, d.Blocks[0])
	require.ErrorContains(t, err, "the runnable block at line 3 failed")
	require.NotContains(t, string(out), "not reached", "a failing line stops the block")
	_, err = RunBlock(context.Background(), root, Block{Line: 1, Body: "go test ./kvsrv -run '^TestPutGet1A$' -count=1 | grep -q nothing-like-this\n"})
	require.Error(t, err, "a failure inside a pipe fails the block (pipefail)")
}

func TestStaleRegionIsCaughtAndRewritten(t *testing.T) {
	src := "before\n<!-- docs:output sh printf 'fresh %s\\n' one two -->\n```\nstale one\n```\n<!-- docs:end -->\nafter\n"
	d := parse(t, src)
	require.Len(t, d.Regions, 1)
	r := d.Regions[0]
	require.Equal(t, "stale one\n", r.Body)
	body, err := Generate(context.Background(), root, r)
	require.NoError(t, err)
	require.Equal(t, "fresh one\nfresh two\n", body)
	require.NotEqual(t, r.Body, body, "the check sees the committed body differ")
	out, changed := d.Rewrite([]string{body})
	require.True(t, changed)
	require.Equal(t, "before\n<!-- docs:output sh printf 'fresh %s\\n' one two -->\n```\nfresh one\nfresh two\n```\n<!-- docs:end -->\nafter\n", string(out))
	again := parse(t, string(out))
	_, changed = again.Rewrite([]string{body})
	require.False(t, changed, "a current doc is left as it is")

	// A region of plain lines (a table) is rewritten whole.
	table := parse(t, "<!-- docs:output sh printf '| a |\\n| 2 |\\n' -->\n| a |\n| 1 |\n<!-- docs:end -->\n")
	require.Equal(t, "| a |\n| 1 |\n", table.Regions[0].Body)
	body, err = Generate(context.Background(), root, table.Regions[0])
	require.NoError(t, err)
	out, changed = table.Rewrite([]string{body})
	require.True(t, changed)
	require.Equal(t, "<!-- docs:output sh printf '| a |\\n| 2 |\\n' -->\n| a |\n| 2 |\n<!-- docs:end -->\n", string(out))

	// A run that fails is an error, not an empty region.
	bad := parse(t, "<!-- docs:output sh ls kvsrv/no-such-file.go -->\n```\n```\n<!-- docs:end -->\n")
	_, err = Generate(context.Background(), root, bad.Regions[0])
	require.ErrorContains(t, err, "docs:output sh ls kvsrv/no-such-file.go")
}

func TestStaleFailureSampleIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("copies the module and runs a test with a mutant; skipped under -short")
	}
	d := parse(t, "<!-- docs:output failure kvsrv no-errmaybe TestPutAtMostOnce1B 1 2 1 -->\n```\n--- seed=1 digest=0123456789abcdef (at 1.0s of virtual time, step 48)\nreplay: go test ./kvsrv -run '^TestPutAtMostOnce1B$' -seed=1\n```\n<!-- docs:end -->\n")
	body, err := Generate(context.Background(), root, d.Regions[0])
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(body, "--- seed=1 digest="), body)
	require.Contains(t, body, "\nreplay: go test ./kvsrv -run '^TestPutAtMostOnce1B$' -seed=1\n   ...\n")
	require.Contains(t, body, "── FAIL: ", "the tail is the report's last line, the failure")
	require.Equal(t, 4, strings.Count(body, "\n"), body)
	require.NotEqual(t, d.Regions[0].Body, body, "a made-up digest is caught")
}

func TestMarkerMistakes(t *testing.T) {
	for _, c := range []struct{ src, want string }{
		{"<!-- docs:runn -->\n```sh\ntrue\n```\n", `docs/crafted.md:1: unknown marker "<!-- docs:runn -->"`},
		{"<!-- docs:run -->\n\n```sh\ntrue\n```\n", "docs/crafted.md:1: <!-- docs:run --> must be followed at once by a fenced block"},
		{"<!-- docs:output shell date -->\n```\n```\n<!-- docs:end -->\n", `docs/crafted.md:1: unknown generator "shell" in docs:output; the generators are failure, sh, sh-slow`},
		{"<!-- docs:output sh date -->\n```\n```\n", "docs/crafted.md:1: docs:output region never closed; add <!-- docs:end --> after its block"},
		{"<!-- docs:end -->\n", "docs/crafted.md:1: <!-- docs:end --> without a <!-- docs:output ... --> before it"},
		{"<!-- docs:output sh date -->\n```\n```\n\n```\n```\n<!-- docs:end -->\n", "docs/crafted.md:5: a second block in the region opened at line 1"},
		{"```sh\ntrue\n", "docs/crafted.md:1: fenced block never closed"},
		{"<!-- docs:output sh date -->\n| a |\n```\n```\n<!-- docs:end -->\n", "docs/crafted.md:3: a fenced block inside the region opened at line 1, which does not start with one"},
	} {
		_, err := Parse("docs/crafted.md", []byte(c.src))
		require.ErrorContains(t, err, c.want, c.src)
	}
}
