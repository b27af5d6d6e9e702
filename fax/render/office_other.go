//go:build !unix

package render

import "os/exec"

// ownProcessGroup is a no-op where process groups do not exist; the
// context kills the launcher alone.
func ownProcessGroup(cmd *exec.Cmd) {}
