// Package config holds every setting of "faxhaven serve": its name, default,
// environment variable and help text live in one table, so the flags, the
// FAXHAVEN_* variables, the optional config file and "serve --help" cannot
// drift apart.
//
// Precedence, highest first: command-line flag, environment variable,
// config file, built-in default. The built-in defaults run the whole
// service on one machine with no configuration: SQLite in ./data, blobs on
// local disk, a loopback carrier for demo numbers and a local mail outbox.
package config

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Config is the service configuration.
type Config struct {
	Listen    string // HTTP listen address
	BaseURL   string // public URL of the portal, for links in email
	DataDir   string
	Database  string // database URL: sqlite path or postgres:// URL
	BlobDir   string
	MasterKey string // path of the master key file
	LogLevel  string
	LogFormat string // text or json
	TLSCert   string
	TLSKey    string
	BehindTLS bool // a TLS-terminating proxy sits in front: cookies are Secure

	BrandHost    string // host name of the default brand
	FaxDomain    string // email-to-fax domain of the default brand
	DemoNumbers  string // E.164 prefix of the loopback carrier's demo pool
	DemoPoolSize int

	MaxUploadMB int
	MaxPages    int

	SMTPRelayHost     string
	SMTPRelayPort     int
	SMTPRelayTLS      string // starttls, tls, none
	SMTPRelayUser     string
	SMTPRelayPassword string
	SMTPHelo          string

	// Email to fax (the inbound SMTP server) and outbound signing.
	SMTPListen       string // inbound SMTP address; "" turns email to fax off
	SMTPHostname     string // name the inbound server greets with
	SMTPTLSCert      string // STARTTLS certificate of the inbound server
	SMTPTLSKey       string
	SMTPMaxMessageMB int
	EmailFaxPerHour  int // messages to fax per account per hour (J1)
	DKIM             bool

	SendAttempts     int
	RetryOn          string // comma-separated carrier outcomes
	SendRetryBackoff time.Duration
	RescueAfter      time.Duration
	ShutdownTimeout  time.Duration

	SIPConfig string // SIP settings and trunks file (internal/sip); empty: no SIP
}

// setting describes one configuration entry.
type setting struct {
	name string // flag name; the env variable is FAXHAVEN_ + upper snake case
	help string
	bind func(fs *flag.FlagSet, c *Config)
}

func str(name, def, help string, p func(*Config) *string) setting {
	return setting{name, help, func(fs *flag.FlagSet, c *Config) { fs.StringVar(p(c), name, def, help) }}
}

func integer(name string, def int, help string, p func(*Config) *int) setting {
	return setting{name, help, func(fs *flag.FlagSet, c *Config) { fs.IntVar(p(c), name, def, help) }}
}

func boolean(name string, def bool, help string, p func(*Config) *bool) setting {
	return setting{name, help, func(fs *flag.FlagSet, c *Config) { fs.BoolVar(p(c), name, def, help) }}
}

func duration(name string, def time.Duration, help string, p func(*Config) *time.Duration) setting {
	return setting{name, help, func(fs *flag.FlagSet, c *Config) { fs.DurationVar(p(c), name, def, help) }}
}

var settings = []setting{
	str("listen", "127.0.0.1:8080", "HTTP address of the portal and API", func(c *Config) *string { return &c.Listen }),
	str("base-url", "", "public URL of the portal, used in email links (default: http://<listen>)", func(c *Config) *string { return &c.BaseURL }),
	str("data-dir", "./data", "directory for the SQLite database, blobs and keys", func(c *Config) *string { return &c.DataDir }),
	str("database-url", "", "database: a postgres:// URL, or a SQLite file (default: <data-dir>/faxhaven.db)", func(c *Config) *string { return &c.Database }),
	str("blob-dir", "", "directory for fax content (default: <data-dir>/blobs)", func(c *Config) *string { return &c.BlobDir }),
	str("master-key-file", "", "file holding the 32-byte master key, created if missing (default: <data-dir>/master.key)", func(c *Config) *string { return &c.MasterKey }),
	str("log-level", "info", "log level: debug, info, warn or error", func(c *Config) *string { return &c.LogLevel }),
	str("log-format", "text", "log format: text or json", func(c *Config) *string { return &c.LogFormat }),
	str("tls-cert", "", "TLS certificate file; with --tls-key the portal serves HTTPS", func(c *Config) *string { return &c.TLSCert }),
	str("tls-key", "", "TLS private key file", func(c *Config) *string { return &c.TLSKey }),
	boolean("behind-tls", false, "a TLS-terminating proxy serves the portal: mark cookies Secure", func(c *Config) *bool { return &c.BehindTLS }),
	str("brand-host", "localhost", "host name of the default brand", func(c *Config) *string { return &c.BrandHost }),
	str("fax-domain", "fax.localhost", "email-to-fax domain of the default brand", func(c *Config) *string { return &c.FaxDomain }),
	str("demo-numbers", "+3197010", "E.164 prefix of the loopback carrier's demo number pool", func(c *Config) *string { return &c.DemoNumbers }),
	integer("demo-pool-size", 1000, "how many demo numbers the loopback carrier provides", func(c *Config) *int { return &c.DemoPoolSize }),
	integer("max-upload-mb", 50, "largest upload accepted, in megabytes", func(c *Config) *int { return &c.MaxUploadMB }),
	integer("max-pages", 200, "most pages in one fax", func(c *Config) *int { return &c.MaxPages }),
	str("smtp-relay-host", "", "SMTP relay for outbound mail; empty keeps mail in the local outbox", func(c *Config) *string { return &c.SMTPRelayHost }),
	integer("smtp-relay-port", 587, "SMTP relay port", func(c *Config) *int { return &c.SMTPRelayPort }),
	str("smtp-relay-tls", "starttls", "SMTP relay security: starttls (required), opportunistic, tls (implicit) or none", func(c *Config) *string { return &c.SMTPRelayTLS }),
	str("smtp-relay-user", "", "SMTP relay user name", func(c *Config) *string { return &c.SMTPRelayUser }),
	str("smtp-relay-password", "", "SMTP relay password", func(c *Config) *string { return &c.SMTPRelayPassword }),
	str("smtp-helo", "localhost", "host name announced to the SMTP relay", func(c *Config) *string { return &c.SMTPHelo }),
	// Email to fax: the inbound SMTP server, and DKIM for outbound mail.
	str("smtp-listen", "127.0.0.1:2525", "address of the inbound SMTP server for email to fax (port 25 in production); empty turns it off", func(c *Config) *string { return &c.SMTPListen }),
	str("smtp-hostname", "localhost", "host name the inbound SMTP server greets with (the MX host of the fax domains)", func(c *Config) *string { return &c.SMTPHostname }),
	str("smtp-tls-cert", "", "certificate file for STARTTLS on the inbound SMTP server; with --smtp-tls-key", func(c *Config) *string { return &c.SMTPTLSCert }),
	str("smtp-tls-key", "", "private key file for STARTTLS on the inbound SMTP server", func(c *Config) *string { return &c.SMTPTLSKey }),
	integer("smtp-max-message-mb", 50, "largest email accepted for faxing, in megabytes; larger ones get 552", func(c *Config) *int { return &c.SMTPMaxMessageMB }),
	integer("email-fax-per-hour", 60, "messages one account may send to fax per hour; more are asked to retry later", func(c *Config) *int { return &c.EmailFaxPerHour }),
	boolean("dkim", true, "DKIM-sign outbound mail with a key per brand mail domain (publish the DNS record the log shows at start)", func(c *Config) *bool { return &c.DKIM }),
	str("retry-on", "busy,no_answer,trunk_down,failed", "call outcomes after which a fax is tried again: any of busy, no_answer, rejected, no_such_number, not_fax, trunk_down, failed", func(c *Config) *string { return &c.RetryOn }),
	integer("send-attempts", 3, "how often a failed fax is tried before it is given up", func(c *Config) *int { return &c.SendAttempts }),
	duration("send-retry-backoff", 2*time.Minute, "wait before the first retry of a failed fax; doubles each time", func(c *Config) *time.Duration { return &c.SendRetryBackoff }),
	duration("rescue-after", 30*time.Minute, "a job whose node died is taken up again after this long; every job (a fax call, a mail with a large PDF) must fit in two thirds of it", func(c *Config) *time.Duration { return &c.RescueAfter }),
	duration("shutdown-timeout", 30*time.Second, "how long a stopping node waits for running work", func(c *Config) *time.Duration { return &c.ShutdownTimeout }),
	str("sip-config", "", "file of SIP settings and trunks for faxing to and from the telephone network (see docs/sip.md); empty: no SIP", func(c *Config) *string { return &c.SIPConfig }),
}

// EnvName returns the environment variable of a setting.
func EnvName(flagName string) string {
	return "FAXHAVEN_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// FlagSet returns a flag set bound to c with every setting and its default,
// plus --config for the optional file.
func FlagSet(name string, c *Config, configFile *string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	for _, s := range settings {
		s.bind(fs, c)
	}
	fs.StringVar(configFile, "config", "", "optional config file of name = value lines (names as the flags)")
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: faxhaven %s [flags]\n\nEvery flag can also be set by its FAXHAVEN_* environment variable or in the config file.\n\n", name)
		fs.VisitAll(func(f *flag.Flag) {
			env := EnvName(f.Name)
			if f.Name == "config" {
				env = "FAXHAVEN_CONFIG"
			}
			def := f.DefValue
			if def == "" {
				def = `""`
			}
			fmt.Fprintf(w, "  --%s (%s, default %s)\n      %s\n", f.Name, env, def, f.Usage)
		})
	}
	return fs
}

// Load parses args, then fills settings not given as flags from the
// environment and then from the config file, and derives the defaults that
// depend on other settings.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	var c Config
	var file string
	fs := FlagSet(name, &c, &file)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if file == "" {
		file = getenv("FAXHAVEN_CONFIG")
	}
	fileVals := map[string]string{}
	if file != "" {
		var err error
		if fileVals, err = readFile(file); err != nil {
			return nil, err
		}
		for k := range fileVals {
			if fs.Lookup(k) == nil || k == "config" {
				return nil, fmt.Errorf("config file %s: unknown setting %q", file, k)
			}
		}
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if set[f.Name] || f.Name == "config" {
			return
		}
		src, v, ok := EnvName(f.Name), getenv(EnvName(f.Name)), false
		if v != "" {
			ok = true
		} else if fv, has := fileVals[f.Name]; has {
			src, v, ok = "config file "+file, fv, true
		}
		if ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %w", src, f.Name, err))
			}
		}
	})
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	c.derive()
	return &c, c.validate()
}

func readFile(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config file: %w", err)
	}
	defer f.Close()
	vals := map[string]string{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("config file %s:%d: want name = value", path, n)
		}
		vals[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"`)
	}
	return vals, sc.Err()
}

func (c *Config) derive() {
	if c.Database == "" {
		c.Database = "sqlite:" + filepath.Join(c.DataDir, "faxhaven.db")
	}
	if c.BlobDir == "" {
		c.BlobDir = filepath.Join(c.DataDir, "blobs")
	}
	if c.MasterKey == "" {
		c.MasterKey = filepath.Join(c.DataDir, "master.key")
	}
	if c.BaseURL == "" {
		scheme := "http"
		if c.TLSCert != "" || c.BehindTLS {
			scheme = "https"
		}
		c.BaseURL = scheme + "://" + c.Listen
	}
	c.BaseURL = strings.TrimSuffix(c.BaseURL, "/")
}

func (c *Config) validate() error {
	var errs []error
	if (c.TLSCert == "") != (c.TLSKey == "") {
		errs = append(errs, errors.New("--tls-cert and --tls-key go together"))
	}
	switch c.SMTPRelayTLS {
	case "starttls", "opportunistic", "tls", "none":
	default:
		errs = append(errs, fmt.Errorf("--smtp-relay-tls %q: want starttls, opportunistic, tls or none", c.SMTPRelayTLS))
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, fmt.Errorf("--log-format %q: want text or json", c.LogFormat))
	}
	if c.MaxUploadMB <= 0 {
		errs = append(errs, errors.New("--max-upload-mb must be positive"))
	}
	if (c.SMTPTLSCert == "") != (c.SMTPTLSKey == "") {
		errs = append(errs, errors.New("--smtp-tls-cert and --smtp-tls-key go together"))
	}
	if c.SMTPMaxMessageMB <= 0 {
		errs = append(errs, errors.New("--smtp-max-message-mb must be positive"))
	}
	if c.SendAttempts <= 0 {
		errs = append(errs, errors.New("--send-attempts must be at least 1"))
	}
	if c.SIPConfig != "" && c.RescueAfter < 5*time.Minute {
		// Jobs are cut off at two thirds of rescue-after; a fax call lasts minutes.
		errs = append(errs, fmt.Errorf("--rescue-after %v is too short with --sip-config: a fax call over SIP takes minutes; set it to 10m or more", c.RescueAfter))
	}
	if !strings.HasPrefix(c.DemoNumbers, "+") {
		errs = append(errs, fmt.Errorf("--demo-numbers %q must be an E.164 prefix starting with +", c.DemoNumbers))
	}
	return errors.Join(errs...)
}

// Reference returns the configuration reference in Markdown: every setting
// with its flag, environment variable, default and meaning. The file
// docs/configuration.md is this text; a test keeps the two equal.
func Reference() string {
	var c Config
	var file string
	fs := FlagSet("serve", &c, &file)
	var b strings.Builder
	b.WriteString("# Configuration reference\n\n")
	b.WriteString("Every setting of `faxhaven serve` (and of `migrate` and `admin`, which read the same\n")
	b.WriteString("database settings). A setting comes from its flag, else its environment variable,\n")
	b.WriteString("else the config file named by `--config` or `FAXHAVEN_CONFIG` (lines of\n")
	b.WriteString("`name = value`, `#` starts a comment), else its default. With no settings at all\n")
	b.WriteString("Faxhaven runs on one machine: SQLite and blobs in `./data`, demo numbers on the\n")
	b.WriteString("loopback carrier, mail kept in the local outbox.\n\n")
	b.WriteString("This file is generated from the settings table in `internal/config`;\n")
	b.WriteString("`go test ./internal/config -update` rewrites it.\n\n")
	b.WriteString("| flag | environment | default | meaning |\n| --- | --- | --- | --- |\n")
	fs.VisitAll(func(f *flag.Flag) {
		env := EnvName(f.Name)
		if f.Name == "config" {
			env = "FAXHAVEN_CONFIG"
		}
		def := "`" + f.DefValue + "`"
		if f.DefValue == "" {
			def = "(empty)"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s |\n", f.Name, env, def, f.Usage)
	})
	return b.String()
}
