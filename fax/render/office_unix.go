//go:build unix

package render

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup makes cmd the leader of a new process group and has a
// cancelled context kill the whole group: the soffice launcher is a script
// whose soffice.bin child would outlive it.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
