// Command gendocs rewrites the generated regions of the docs (make docs): each region
// between <!-- docs:output GENERATOR ARGS --> and <!-- docs:end --> in README.md and
// docs/*.md gets the output of a real run. Run it from the module root.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"protolab/internal/docscheck"
)

func main() {
	root := flag.String("root", ".", "the module root")
	check := flag.Bool("check", false, "write nothing; exit 1 if a doc would change")
	skipSlow := flag.Bool("skip-slow", false, "leave the sh-slow regions as they are")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: gendocs [-check] [-skip-slow] [-root DIR] [DOC.md ...]\n\nRewrites the generated regions of README.md and docs/*.md (or of the docs named) from real runs.")
		flag.PrintDefaults()
	}
	flag.Parse()
	if _, err := os.Stat(filepath.Join(*root, "go.mod")); err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %s is not the module root (no go.mod); run it from there, as make docs does\n", *root)
		os.Exit(2)
	}
	names, err := docscheck.Docs(*root)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(2)
	}
	if flag.NArg() > 0 {
		known := map[string]bool{}
		for _, n := range names {
			known[n] = true
		}
		names = nil
		for _, n := range flag.Args() {
			if !known[n] {
				fmt.Fprintf(os.Stderr, "gendocs: %s is not one of the docs (README.md, docs/*.md, relative to the module root)\n", n)
				os.Exit(2)
			}
			names = append(names, n)
		}
	}
	stale := 0
	for _, name := range names {
		file := filepath.Join(*root, name)
		src, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(2)
		}
		d, err := docscheck.Parse(name, src)
		if err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(2)
		}
		if len(d.Regions) == 0 {
			continue
		}
		var bodies []string
		for _, r := range d.Regions {
			if *skipSlow && r.Cost() == docscheck.Minutes {
				bodies = append(bodies, r.Body)
				continue
			}
			body, err := docscheck.Generate(context.Background(), *root, r)
			if err != nil {
				fmt.Fprintf(os.Stderr, "gendocs: %s:%d: %v\n", name, r.Line, err)
				os.Exit(1)
			}
			bodies = append(bodies, body)
		}
		out, changed := d.Rewrite(bodies)
		if !changed {
			fmt.Printf("%-24s %d regions, unchanged\n", name, len(d.Regions))
			continue
		}
		stale++
		if *check {
			fmt.Printf("%-24s %d regions, STALE (make docs rewrites it)\n", name, len(d.Regions))
			continue
		}
		if err := os.WriteFile(file, out, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(2)
		}
		fmt.Printf("%-24s %d regions, rewritten\n", name, len(d.Regions))
	}
	if *check && stale > 0 {
		os.Exit(1)
	}
}
