package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/peer"
)

func TestSipUsage(t *testing.T) {
	dir := t.TempDir()
	trunks := filepath.Join(dir, "trunks.conf")
	if err := os.WriteFile(trunks, []byte("[trunk a]\nhost = 127.0.0.1:5999\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sip"}, `want "check"`},
		{[]string{"sip", "dial"}, `want "check"`},
		{[]string{"sip", "check", "--config", trunks}, "name one trunk"},
		{[]string{"sip", "check", "--config", trunks, "b"}, `no trunk named "b"`},
		{[]string{"sip", "check", "--config", filepath.Join(dir, "none.conf"), "a"}, "no such file"},
	}
	t.Setenv("FAXHAVEN_SIP_CONFIG", "")
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), tt.args, &stdout, &stderr); code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: stderr %q does not mention %q", tt.args, stderr.String(), tt.want)
		}
	}
}

// "faxhaven sip check" against sipp playing a registrar with digest
// authentication that also answers OPTIONS.
func TestSipCheck(t *testing.T) {
	bin := peer.Command(t, "sipp", "sip-tester")
	sf, err := filepath.Abs("../../internal/sip/testdata/uas_register.xml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		pass string
		code int
		want []string
	}{
		{"s3cret", 0, []string{"register: ok as faxuser, for 2m0s", "options:  200", "result: ok"}},
		{"wrong", 1, []string{"register: FAILED", "403 Forbidden", "check the trunk's username and password", "result: the trunk is not usable"}},
	} {
		l, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := l.LocalAddr().(*net.UDPAddr).Port
		l.Close()
		cmd := exec.Command(bin, "-sf", sf, "-i", "127.0.0.1", "-p", fmt.Sprint(port), "-m", "2", "-nostdin",
			"-timeout", "30s", "-set", "user", "faxuser", "-set", "pass", "s3cret")
		cmd.Dir = t.TempDir()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()

		trunks := filepath.Join(t.TempDir(), "trunks.conf")
		conf := fmt.Sprintf("[trunk provider]\nhost = 127.0.0.1:%d\ndomain = faxhaven.test\nregister = true\nusername = faxuser\npassword = %s\n", port, tt.pass)
		if err := os.WriteFile(trunks, []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"sip", "check", "--config", trunks, "--listen", "127.0.0.1:0", "provider"}, &stdout, &stderr)
		if code != tt.code {
			t.Errorf("password %q: exit %d, want %d\n%s%s", tt.pass, code, tt.code, stdout.String(), stderr.String())
		}
		for _, w := range tt.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("password %q: output does not say %q:\n%s", tt.pass, w, stdout.String())
			}
		}
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("sipp: %v", err)
			}
		case <-time.After(40 * time.Second):
			cmd.Process.Kill()
			t.Fatal("sipp did not finish")
		}
	}
}
