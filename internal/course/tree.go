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
// overwritten; nothing else in dst is removed. It never writes through a symbolic link
// inside dst (see writeTree).
func WriteSkeleton(root string, files []string, dst, upto string, c Course) (SkeletonStats, error) {
	cut, ok := c.Index(upto)
	if !ok {
		return SkeletonStats{}, c.unknownPart(upto)
	}
	outs, stats, err := buildTree(root, files, cut, c)
	if err != nil {
		return stats, err
	}
	if err := writeTree(dst, outs); err != nil {
		return stats, err
	}
	stats.Files = len(outs)
	return stats, nil
}

// An outFile is one file of a copy, held in memory until every file is known to be
// right.
type outFile struct {
	path string // slash-separated, relative to the copy's root
	data []byte
	link string // for a symbolic link, its target (and data is nil)
	perm fs.FileMode
}

// buildTree reads the files (paths relative to root) and returns them as they go into
// a copy cut at position cut of the course: the regions of the parts at cut and after
// become stubs. Files without markers are kept byte for byte.
func buildTree(root string, files []string, cut int, c Course) ([]outFile, SkeletonStats, error) {
	var stats SkeletonStats
	var outs []outFile
	var errs []error
	for _, f := range files {
		from := filepath.Join(root, filepath.FromSlash(f))
		info, err := os.Lstat(from)
		if err != nil {
			return nil, stats, err
		}
		if info.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(from)
			if err != nil {
				return nil, stats, err
			}
			outs = append(outs, outFile{path: f, link: target})
			continue
		}
		src, err := os.ReadFile(from)
		if err != nil {
			return nil, stats, err
		}
		out := outFile{path: f, data: src, perm: info.Mode().Perm()}
		if IsMarkable(f) {
			data, changed, err := skeletonizeAt(f, src, cut, c)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if changed {
				regions, _ := ParseRegions(f, src, c) // already known to parse
				for _, r := range regions {
					if i, _ := c.Index(r.Part); i < cut {
						stats.Kept++
					} else {
						stats.Stubbed++
					}
				}
				stats.Rewritten++
				out.data = data
			}
		}
		outs = append(outs, out)
	}
	return outs, stats, errors.Join(errs...)
}

// writeTree writes the files into dst. It first checks every path: no directory on the
// way to a file, and no file it would replace, may be a symbolic link, since writing
// through one could land anywhere (the reference solution included). Only then does it
// write.
func writeTree(dst string, outs []outFile) error {
	for _, o := range outs {
		if err := noLinkOnPath(dst, o.path); err != nil {
			return err
		}
	}
	for _, o := range outs {
		to := filepath.Join(dst, filepath.FromSlash(o.path))
		if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
			return err
		}
		if o.link != "" {
			os.Remove(to)
			if err := os.Symlink(o.link, to); err != nil {
				return err
			}
			continue
		}
		if err := writeFile(to, o.data, o.perm); err != nil {
			return err
		}
	}
	return nil
}

// noLinkOnPath reports an error if a directory between dst and dst/rel, or dst/rel
// itself, exists and is a symbolic link (or, for rel itself, a directory).
func noLinkOnPath(dst, rel string) error {
	parts := strings.Split(rel, "/")
	p := dst
	for i, part := range parts {
		p = filepath.Join(p, part)
		info, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link, and the copy never writes through one (it could lead into the reference solution); remove it, or write the copy into an empty directory", p)
		case i < len(parts)-1 && !info.IsDir():
			return fmt.Errorf("%s is a file where the copy needs a directory; remove it, or write the copy into an empty directory", p)
		case i == len(parts)-1 && info.IsDir():
			return fmt.Errorf("%s is a directory where the copy writes a file; remove it, or write the copy into an empty directory", p)
		}
	}
	return nil
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
