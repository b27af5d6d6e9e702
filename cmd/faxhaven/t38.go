package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/fax/t30"
	"github.com/faxhaven/faxhaven/fax/t38"
	"github.com/faxhaven/faxhaven/fax/terminal"
	"github.com/faxhaven/faxhaven/fax/tiff"
)

const t38Usage = `Usage:
  faxhaven t38 send --local ADDR --remote ADDR [flags] FILE...
  faxhaven t38 receive --local ADDR --remote ADDR [flags] -o OUT.tiff

Runs one fax call over T.38 (UDPTL on UDP, paced in real time) with the
T.38 endpoint at --remote: "send" calls and sends FILE (TIFF, or any
document "faxhaven convert" reads), "receive" answers and writes the pages
to a TIFF Class F file. The last line printed is the result as JSON.
The exit status is 0 when the fax went through.

Flags:
`

// t38Result is the JSON line printed at the end of a call.
type t38Result struct {
	OK        bool    `json:"ok"`
	Pages     int     `json:"pages"`
	Rate      int     `json:"rate"`
	Encoding  string  `json:"encoding"`
	ECM       bool    `json:"ecm"`
	RemoteID  string  `json:"remote_id"`
	DurationS float64 `json:"duration_s"`
	Reason    string  `json:"reason"`
	Detail    string  `json:"detail,omitempty"`
}

func resultJSON(r t30.Result) t38Result {
	out := t38Result{
		OK: r.OK(), Pages: r.Confirmed(), RemoteID: r.RemoteID,
		DurationS: r.Duration().Seconds(), Reason: r.Message(), Detail: r.Detail,
	}
	if n := len(r.Pages); n > 0 {
		last := r.Pages[n-1]
		out.Rate, out.Encoding, out.ECM = last.Mod.Rate(), last.Encoding.String(), last.ECM
	}
	return out
}

// runT38 implements "faxhaven t38".
func runT38(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "send" && args[0] != "receive") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Fprint(stdout, t38Usage)
			return nil
		}
		return &exitError{2, errors.New(`want "send" or "receive"; see faxhaven t38 --help`)}
	}
	sub := args[0]
	fs := flag.NewFlagSet("t38 "+sub, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var (
		local      = fs.String("local", "", "local UDP `ADDR` to bind (host:port)")
		remote     = fs.String("remote", "", "remote UDP `ADDR` of the T.38 endpoint")
		ecm        = fs.Bool("ecm", true, "use error correction mode")
		maxRate    = fs.Int("max-rate", 14400, "fastest rate in bit/s: 14400, 12000, 9600, 7200, 4800 or 2400")
		redundancy = fs.Int("redundancy", 2, "UDPTL redundancy depth (0 for none)")
		encoding   = fs.String("encoding", "mmr", "best coding to use: mh, mr or mmr (mmr only with ECM)")
		ident      = fs.String("ident", "", "station identity sent as TSI or CSI (20 characters: digits, + and space)")
		version    = fs.Int("t38-version", 0, "T.38 version spoken (0 to 3); both ends must agree")
		out        = fs.String("o", "", "output `FILE` for received pages (TIFF Class F)")
		verbose    = fs.Bool("v", false, "log every T.30 signal to stderr")
	)
	var files []string
	rest := args[1:]
	for {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, t38Usage)
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return nil
			}
			return &exitError{2, fmt.Errorf("%w; see faxhaven t38 --help", err)}
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if *local == "" || *remote == "" {
		return &exitError{2, errors.New("both --local and --remote are required, e.g. --local 127.0.0.1:5000 --remote 127.0.0.1:5002")}
	}
	enc, err := t30.ParseEncoding(*encoding)
	if err != nil {
		return &exitError{2, err}
	}
	if *version < 0 || *version > int(t38.MaxVersion) {
		return &exitError{2, fmt.Errorf("--t38-version %d: want 0 to %d", *version, t38.MaxVersion)}
	}
	if err := t30.CheckIdent(*ident); err != nil {
		return &exitError{2, fmt.Errorf("--ident: %w", err)}
	}
	cfg := t30.Config{Ident: *ident, MaxRate: *maxRate, DisableECM: !*ecm, Encoding: enc}
	if *verbose {
		cfg.Logf = func(format string, a ...any) { fmt.Fprintf(stderr, format+"\n", a...) }
	}
	var w *tiff.Writer
	var outBuf bytes.Buffer
	switch sub {
	case "send":
		if len(files) == 0 {
			return &exitError{2, errors.New("no file to send; see faxhaven t38 --help")}
		}
		if *out != "" {
			return &exitError{2, errors.New("-o is for receive; send takes the files to send")}
		}
		pages, err := loadPages(ctx, files)
		if err != nil {
			return err
		}
		cfg.Role, cfg.Pages = t30.Calling, pages
	case "receive":
		if len(files) > 0 {
			return &exitError{2, fmt.Errorf("receive takes no files (got %s); name the output with -o", strings.Join(files, " "))}
		}
		if *out == "" {
			return &exitError{2, errors.New("no output file: add -o OUT.tiff")}
		}
		cfg.Role = t30.Answering
		w = tiff.NewWriter(&outBuf, nil)
		var werr error
		cfg.OnPage = func(p t30.ReceivedPage) {
			if err := w.WriteCoded(p.Coded()); err != nil && werr == nil {
				werr = err
			}
		}
		defer func() {
			if werr != nil {
				fmt.Fprintf(stderr, "faxhaven t38: storing a page: %v\n", werr)
			}
		}()
	}
	res, err := terminal.CallUDP(ctx, cfg, terminal.UDPConfig{
		Local: *local, Remote: *remote, Redundancy: *redundancy, Version: t38.Version(*version),
	})
	if err != nil {
		return err
	}
	if w != nil && len(res.Pages) > 0 {
		if err := w.Close(); err != nil {
			return fmt.Errorf("writing %s: %w", *out, err)
		}
		if err := os.WriteFile(*out, outBuf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("writing received pages: %w", err)
		}
	}
	line, _ := json.Marshal(resultJSON(res))
	fmt.Fprintln(stdout, string(line))
	if !res.OK() {
		return &exitError{1, res.Err()}
	}
	return nil
}

// loadPages reads the files to send: TIFF directly, anything else through
// fax/render.
func loadPages(ctx context.Context, files []string) ([]*page.Page, error) {
	var pages []*page.Page
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var ps []*page.Page
		if isTIFF(data) {
			ps, err = tiff.Read(data, nil)
		} else {
			ps, err = render.Document(ctx, data, render.Options{})
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		pages = append(pages, ps...)
	}
	if len(pages) == 0 {
		return nil, errors.New("the files hold no pages")
	}
	return pages, nil
}

func isTIFF(b []byte) bool {
	return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
}
