package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// The runs of "faxhaven t38" against SpanDSP live in fax/terminal
// (cli_test.go), which may import the internal SpanDSP peer.

func TestT38Usage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"t38"}, "want \"send\" or \"receive\""},
		{[]string{"t38", "send", "x.tif"}, "--local and --remote are required"},
		{[]string{"t38", "send", "--local", "127.0.0.1:1", "--remote", "127.0.0.1:2"}, "no file to send"},
		{[]string{"t38", "receive", "--local", "127.0.0.1:1", "--remote", "127.0.0.1:2"}, "add -o OUT.tiff"},
		{[]string{"t38", "send", "--local", "127.0.0.1:1", "--remote", "127.0.0.1:2", "--encoding", "jbig", "x.tif"}, "unknown encoding"},
		{[]string{"t38", "send", "--local", "127.0.0.1:1", "--remote", "127.0.0.1:2", "--ident", "this identity is far too long", "x.tif"}, "--ident"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tt.args, &stdout, &stderr)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", tt.args, code)
		}
		if !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: stderr %q does not mention %q", tt.args, stderr.String(), tt.want)
		}
	}
}
