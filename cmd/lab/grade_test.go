package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGradeUsageErrors(t *testing.T) {
	root := fixture(t)
	config := filepath.Join(t.TempDir(), "g.json")
	for _, tt := range []struct {
		config string
		args   []string
		want   string
	}{
		{``, []string{"grade"}, "give one directory: the root of the student's copy"},
		{``, []string{"grade", "adder"}, "adder has no go.mod; give the root of the student's copy"},
		{`{"points": {"9Z": 1}}`, []string{"grade", "."}, `points for unknown part "9Z"`},
		{`{"points": {"1A": -1}}`, []string{"grade", "."}, "part 1A has -1 points; give 0 or more"},
		{`{"seeds": 2, "pionts": {}}`, []string{"grade", "."}, `unknown field "pionts"`},
		{`{"visibility": "public", "points": {"1A": 1}}`, []string{"grade", "."}, `visibility "public" is not one of Gradescope's`},
		{`{"points": {"1A": 1}}`, []string{"grade", ".", "--parts", "1B"}, "part 1B has no points"},
	} {
		os.WriteFile(config, []byte(tt.config), 0o644)
		code, _, stderr := lab(t, root, append(tt.args, "--config", config)...)
		if code != exitUsage || !strings.Contains(stderr, tt.want) {
			t.Errorf("lab %s with %s: exit status %d, stderr %q; want %q", strings.Join(tt.args, " "), tt.config, code, stderr, tt.want)
		}
	}
}
