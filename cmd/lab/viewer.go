package main

import (
	"bufio"
	"os"

	"protolab/internal/viewer"
	"protolab/labrpc"
)

// viewerInput is a run for the space-time viewer.
type viewerInput struct {
	Title  string
	Nodes  int
	Lines  []labrpc.Line
	Digest string
	Focus  *int // a node to highlight, or nil
}

// writeViewer writes the run as the space-time viewer's HTML page at path.
func writeViewer(path string, in viewerInput) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	focus := -1
	if in.Focus != nil {
		focus = *in.Focus
	}
	bw := bufio.NewWriter(f)
	err = viewer.Write(bw, viewer.Input{Title: in.Title, Nodes: in.Nodes, Lines: in.Lines, Digest: in.Digest, Focus: focus})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
