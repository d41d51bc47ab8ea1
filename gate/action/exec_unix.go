//go:build unix

package action

import (
	"os/exec"
	"syscall"
)

// setProcessGroup puts the child in its own group so a cancelled workflow
// reaches everything it started (pipelines, background jobs), not just the
// shell.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func signalGroup(pid int, sig syscall.Signal) error {
	return syscall.Kill(-pid, sig)
}
