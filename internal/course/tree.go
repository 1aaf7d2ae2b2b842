package course

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// ListFiles returns the files of the module rooted at root, as slash-separated paths
// relative to root, sorted. They are the files git tracks under root; with untracked
// set, files that git does not track but does not ignore either are included too (the
// checks use them, so that a file not yet committed takes part). Without git, or
// outside a git work tree, ListFiles walks the directory tree and skips .git.
// Tracked files that were deleted from the work tree are left out.
func ListFiles(root string, untracked bool) ([]string, error) {
	files, err := gitFiles(root, untracked)
	if err != nil {
		files, err = walkFiles(root)
		if err != nil {
			return nil, err
		}
	}
	var present []string
	for _, f := range files {
		info, err := os.Lstat(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil || info.IsDir() {
			continue // deleted but not yet committed, or a submodule
		}
		present = append(present, f)
	}
	sort.Strings(present)
	return present, nil
}

func gitFiles(root string, untracked bool) ([]string, error) {
	args := []string{"-C", root, "ls-files", "-z", "--cached"}
	if untracked {
		args = append(args, "--others", "--exclude-standard")
	}
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var files []string
	for _, f := range strings.Split(string(out), "\x00") {
		if f != "" && !seen[f] {
			seen[f] = true
			files = append(files, f)
		}
	}
	return files, nil
}

func walkFiles(root string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		files = append(files, filepath.ToSlash(rel))
		return nil
	})
	return files, err
}

// IsMarkable reports whether markers in the file at path (slash-separated, relative
// to the module root) are honoured: it is a Go file, not a test, and not in a
// directory the go tool ignores (testdata, or a name starting with "." or "_"), so
// that fixtures such as this package's own testdata are copied as they are.
func IsMarkable(path string) bool {
	if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
		return false
	}
	dirs := strings.Split(path, "/")
	for _, d := range dirs[:len(dirs)-1] {
		if d == "testdata" || strings.HasPrefix(d, ".") || strings.HasPrefix(d, "_") {
			return false
		}
	}
	return true
}

// A MarkedFile is a file of the module that carries solution regions.
type MarkedFile struct {
	Path    string // slash-separated, relative to the module root
	Regions []Region
}

// ScanMarkers parses the markers of every markable file among files and returns the
// files that have regions. It reports every file whose markers are wrong, joined.
func ScanMarkers(root string, files []string, c Course) ([]MarkedFile, error) {
	var marked []MarkedFile
	var errs []error
	for _, f := range files {
		if !IsMarkable(f) {
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		if !HasMarkers(src) {
			continue
		}
		regions, err := ParseRegions(f, src, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(regions) > 0 {
			marked = append(marked, MarkedFile{Path: f, Regions: regions})
		}
	}
	return marked, errors.Join(errs...)
}

// PartsWithRegions returns the set of parts that have at least one region in marked.
func PartsWithRegions(marked []MarkedFile) map[string]bool {
	parts := map[string]bool{}
	for _, m := range marked {
		for _, r := range m.Regions {
			parts[r.Part] = true
		}
	}
	return parts
}

// SkeletonStats says what WriteSkeleton did.
type SkeletonStats struct {
	Files     int // files written
	Rewritten int // files whose markers were processed
	Stubbed   int // regions replaced by their stub (or removed, having none)
	Kept      int // regions whose solution was kept
}

// WriteSkeleton writes the learner's copy of the module files (paths relative to root)
// into dst, with every region of part upto or later replaced by its stub. It checks
// the markers of every file before writing anything, and reports all the files whose
// markers are wrong or whose skeleton is not valid Go. Existing files in dst are
// overwritten; nothing else in dst is removed.
func WriteSkeleton(root string, files []string, dst, upto string, c Course) (SkeletonStats, error) {
	var stats SkeletonStats
	cut, ok := c.Index(upto)
	if !ok {
		return stats, c.unknownPart(upto)
	}
	type output struct {
		path string
		data []byte // nil: copy the file as it is
	}
	var outs []output
	var errs []error
	for _, f := range files {
		if !IsMarkable(f) {
			outs = append(outs, output{path: f})
			continue
		}
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return stats, err
		}
		data, changed, err := Skeletonize(f, src, upto, c)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !changed {
			outs = append(outs, output{path: f})
			continue
		}
		regions, _ := ParseRegions(f, src, c) // already known to parse
		for _, r := range regions {
			if i, _ := c.Index(r.Part); i < cut {
				stats.Kept++
			} else {
				stats.Stubbed++
			}
		}
		stats.Rewritten++
		outs = append(outs, output{path: f, data: data})
	}
	if err := errors.Join(errs...); err != nil {
		return stats, err
	}
	for _, o := range outs {
		from := filepath.Join(root, filepath.FromSlash(o.path))
		to := filepath.Join(dst, filepath.FromSlash(o.path))
		var err error
		if o.data == nil {
			err = copyFile(from, to)
		} else {
			err = writeLike(from, to, o.data)
		}
		if err != nil {
			return stats, err
		}
		stats.Files++
	}
	return stats, nil
}

// CopyFiles copies the files (paths relative to root) into dst, unchanged.
func CopyFiles(root string, files []string, dst string) error {
	for _, f := range files {
		if err := copyFile(filepath.Join(root, filepath.FromSlash(f)), filepath.Join(dst, filepath.FromSlash(f))); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies one file, keeping its permission bits; a symbolic link is copied as
// a link.
func copyFile(from, to string) error {
	info, err := os.Lstat(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	if info.Mode()&fs.ModeSymlink != 0 {
		target, err := os.Readlink(from)
		if err != nil {
			return err
		}
		os.Remove(to)
		return os.Symlink(target, to)
	}
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	return writeFile(to, data, info.Mode().Perm())
}

// writeLike writes data to the file to, with the permission bits of the file from.
func writeLike(from, to string, data []byte) error {
	info, err := os.Stat(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return writeFile(to, data, info.Mode().Perm())
}

// writeFile writes data unless the file already holds exactly that, so that a copy
// rewritten in place keeps its modification times where nothing changed.
func writeFile(path string, data []byte, perm fs.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.WriteFile(path, data, perm); err != nil {
		return fmt.Errorf("writing the copy: %w", err)
	}
	return os.Chmod(path, perm)
}
