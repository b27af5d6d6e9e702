// Package peer decides what a test does when an outside peer it needs (a
// database server, a browser, a Debian tool) is missing: skip with a message
// that names the package to install, or fail when the environment demands
// every peer (FAXHAVEN_TEST_REQUIRE_PEERS=1, as CI sets it).
package peer

import (
	"os"
	"os/exec"
	"testing"
)

// Required reports whether every peer must be present.
func Required() bool { return os.Getenv("FAXHAVEN_TEST_REQUIRE_PEERS") == "1" }

// Missing skips the test, or fails it when peers are required, saying what is
// missing and which Debian package provides it.
func Missing(t testing.TB, what, pkg string) {
	t.Helper()
	if Required() {
		t.Fatalf("%s is required (FAXHAVEN_TEST_REQUIRE_PEERS=1) but missing; install the Debian package %s", what, pkg)
	}
	t.Skipf("%s is missing; install the Debian package %s to run this test", what, pkg)
}

// Command returns the path of an executable, or skips/fails the test naming
// the Debian package that provides it.
func Command(t testing.TB, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(t, "the program "+name, pkg)
	}
	return p
}
