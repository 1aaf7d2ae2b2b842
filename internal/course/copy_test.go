package course

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestWriteCopyNeverWritesIntoTheReference is the case the issue found: lab skeleton -o through a
// symbolic link to the repository rewrote the reference solution in place with --force,
// and wrote inside it without. It runs on a copy of the whole reference, so that a
// write that got through would rewrite real files, and checks that every way in is
// refused and that the reference is byte-identical afterwards.
func TestWriteCopyNeverWritesIntoTheReference(t *testing.T) {
	ref := referenceCopy(t)
	before := treeDigest(t, ref)
	tmp := t.TempDir()
	link := filepath.Join(tmp, "link") // a link to the repository
	if err := os.Symlink(ref, link); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	rafts := filepath.Join(tmp, "rafts") // a link to a directory inside it
	os.Symlink(filepath.Join(ref, "raft"), rafts)
	trap := filepath.Join(tmp, "trap") // a directory whose raft/ leads into it
	os.MkdirAll(trap, 0o755)
	os.Symlink(filepath.Join(ref, "raft"), filepath.Join(trap, "raft"))
	os.WriteFile(filepath.Join(trap, "notes.txt"), []byte("mine\n"), 0o644)

	for _, tt := range []struct {
		root, dir string // the module root as lab finds it, and the working directory
		out       string
		force     bool
		usage     bool // a *CopyUsageError, or another error
		want      string
	}{
		{ref, ref, link, false, true, "is inside the module, or contains it"},
		{ref, ref, link, true, true, "is inside the module, or contains it"},
		{ref, ref, filepath.Join(link, "sub"), true, true, "is inside the module, or contains it"},
		{ref, ref, rafts, true, true, "is inside the module, or contains it"},
		{ref, ref, filepath.Join(rafts, "new"), false, true, "is inside the module, or contains it"},
		{link, filepath.Join(link, "raft"), "../../link", true, true, "is inside the module, or contains it"},
		{ref, ref, filepath.Dir(ref), true, true, "is inside the module, or contains it"},
		{ref, ref, trap, false, true, "is not empty"},
		{ref, ref, trap, true, false, "is a symbolic link, and the copy never writes through one"},
	} {
		_, err := WriteCopy(CopyOptions{Root: tt.root, Out: tt.out, Dir: tt.dir, Next: "4B", Force: tt.force})
		var usage *CopyUsageError
		if err == nil || errors.As(err, &usage) != tt.usage || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("-o %s --force=%v (in %s): %v; want %q (a usage error: %v)", tt.out, tt.force, tt.dir, err, tt.want, tt.usage)
		}
	}
	if after := treeDigest(t, ref); after != before {
		t.Fatal("the reference tree changed")
	}
	if data, _ := os.ReadFile(filepath.Join(trap, "notes.txt")); string(data) != "mine\n" {
		t.Errorf("the refused copy touched the files of its directory")
	}
}

// referenceCopy copies the module this test runs in (its files as the skeleton sees
// them) into a temporary directory, outside git.
func referenceCopy(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	files, err := ListFiles(src, true)
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "protolab")
	if err := CopyFiles(src, files, dst); err != nil {
		t.Fatal(err)
	}
	return dst
}

// treeDigest hashes every file under root: its path, mode and content.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		sum := ""
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h := sha256.Sum256(data)
			sum = hex.EncodeToString(h[:])
		}
		lines = append(lines, rel+" "+info.Mode().String()+" "+sum)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return hex.EncodeToString(h[:])
}
