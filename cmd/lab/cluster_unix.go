//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts a node's process in a group of its own, so that a
// terminal's Ctrl-C reaches the cluster (which stops its nodes in order),
// and a kill reaches the node and anything it started.
func ownProcessGroup() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killGroup sends SIGKILL to the process's group.
func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Process.Kill()
	}
}

// termGroup asks the process's group to stop (SIGTERM): a node stops its
// host, which flushes its trace.
func termGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	}
}
