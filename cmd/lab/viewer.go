package main

import (
	"errors"

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

func writeViewer(path string, in viewerInput) error {
	return errors.New("the viewer is not built yet")
}
