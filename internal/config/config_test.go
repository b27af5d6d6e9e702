package config

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "faxhaven.conf")
	os.WriteFile(file, []byte("# comment\nlisten = 127.0.0.1:9000\nmax-upload-mb = 7\nbrand-host = \"fax.example.org\"\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want func(*Config) string
		val  string
	}{
		{"default", nil, nil, func(c *Config) string { return c.Listen }, "127.0.0.1:8080"},
		{"file", []string{"--config", file}, nil, func(c *Config) string { return c.Listen }, "127.0.0.1:9000"},
		{"env beats file", []string{"--config", file}, map[string]string{"FAXHAVEN_LISTEN": ":7000"}, func(c *Config) string { return c.Listen }, ":7000"},
		{"flag beats env", []string{"--listen", ":6000"}, map[string]string{"FAXHAVEN_LISTEN": ":7000"}, func(c *Config) string { return c.Listen }, ":6000"},
		{"config from env", nil, map[string]string{"FAXHAVEN_CONFIG": file}, func(c *Config) string { return c.BrandHost }, "fax.example.org"},
		{"derived database", []string{"--data-dir", "/srv/fax"}, nil, func(c *Config) string { return c.Database }, "sqlite:/srv/fax/faxhaven.db"},
		{"derived base URL", []string{"--listen", "fax.example.org:443", "--behind-tls"}, nil, func(c *Config) string { return c.BaseURL }, "https://fax.example.org:443"},
	}
	for _, tt := range tests {
		c, err := Load("serve", tt.args, env(tt.env), io.Discard)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := tt.want(c); got != tt.val {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.val)
		}
	}
}

func TestBadInputNamesTheProblem(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("colour = blue\n"), 0o600)
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"--config", bad}, nil, `unknown setting "colour"`},
		{nil, map[string]string{"FAXHAVEN_MAX_UPLOAD_MB": "lots"}, "FAXHAVEN_MAX_UPLOAD_MB"},
		{[]string{"--smtp-relay-tls", "maybe"}, nil, "want starttls, opportunistic, tls or none"},
		{[]string{"--tls-cert", "c.pem"}, nil, "go together"},
		{[]string{"--demo-numbers", "3197"}, nil, "starting with +"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		_, err := Load("serve", tt.args, env(tt.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Load(%v, %v) error = %v, want it to mention %q", tt.args, tt.env, err, tt.want)
		}
	}
}

func TestHelpListsEverySettingWithDefault(t *testing.T) {
	var c Config
	var file string
	fs := FlagSet("serve", &c, &file)
	var b strings.Builder
	fs.SetOutput(&b)
	fs.Usage()
	for _, s := range settings {
		if !strings.Contains(b.String(), "--"+s.name+" ("+EnvName(s.name)) {
			t.Errorf("help lacks %s", s.name)
		}
	}
	if !strings.Contains(b.String(), "default 127.0.0.1:8080") {
		t.Error("help does not show defaults")
	}
}

var update = flag.Bool("update", false, "rewrite docs/configuration.md")

func TestReferenceDocIsCurrent(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "configuration.md")
	want := Reference()
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatal("docs/configuration.md is out of date; run go test ./internal/config -update")
	}
}
