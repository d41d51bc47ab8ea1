//go:build !unix

package action

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup is a no-op where process groups do not exist; stepgate's
// supported platforms are Linux and macOS runners.
func setProcessGroup(cmd *exec.Cmd) {}

func signalGroup(pid int, sig syscall.Signal) error {
	p, err := os.FindProcess(pid)
	if err != nil {
		return err
	}
	return p.Kill()
}
