//go:build !unix

package main

import (
	"os/exec"
	"syscall"
)

func ownProcessGroup() *syscall.SysProcAttr { return nil }

func killGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		cmd.Process.Kill()
	}
}

func termGroup(cmd *exec.Cmd) { killGroup(cmd) }
