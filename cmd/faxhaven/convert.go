package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/render"
)

// convertUsage heads the help text of "faxhaven convert".
const convertUsage = `Usage: faxhaven convert [flags] IN... -o OUT

Renders documents (PDF, PNG, JPEG, GIF, BMP, TIFF, plain text, and office
files when LibreOffice is installed) as fax pages. The inputs are joined in
order; a cover page comes first when --cover-note is given; the header line
is printed on every page. OUT ends in .tiff (TIFF Class F), .pdf, or .pbm
(every page as a raw P4 bitmap, one after another).

Flags:
`

// runConvert implements "faxhaven convert".
func runConvert(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	// Errors are reported once, by the caller; help goes to stdout.
	fs.SetOutput(io.Discard)
	var (
		resolution = fs.String("resolution", "fine", "fax resolution: standard, fine or superfine")
		encoding   = fs.String("encoding", "mmr", "TIFF/PDF coding: mh, mr or mmr")
		paper      = fs.String("paper", "a4", "paper: a4 or letter")
		mode       = fs.String("mode", "auto", "black and white conversion: auto, text (threshold) or photo (dither)")
		header     = fs.String("header", "", "header line `TEXT` printed on every page after the date and before \"Page x/y\"; "+
			"text with {date}, {time}, {name}, {page} or {pages} fields is used as the whole template")
		coverNote = fs.String("cover-note", "", "add a cover page with this note")
		coverTo   = fs.String("cover-to", "", "recipient on the cover page")
		coverFrom = fs.String("cover-from", "", "sender on the cover page")
		subject   = fs.String("cover-subject", "", "subject on the cover page")
		lang      = fs.String("lang", "en", "cover page language: "+strings.Join(render.CoverLanguages, " or "))
		cacheDir  = fs.String("cache-dir", defaultCacheDir(), "`DIR` keeping the compiled PDF engine between runs (empty: none)")
		out       = fs.String("o", "", "output `FILE` (.tiff, .pdf or .pbm)")
	)
	fs.Usage = func() {}
	// Flags may come before, between or after the inputs.
	var inputs []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, convertUsage)
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return nil
			}
			return &exitError{2, fmt.Errorf("%w; see faxhaven convert --help", err)}
		}
		if fs.NArg() == 0 {
			break
		}
		inputs = append(inputs, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(inputs) == 0 {
		return &exitError{2, errors.New("no input files; see faxhaven convert --help")}
	}
	if *out == "" {
		return &exitError{2, errors.New("no output file: add -o OUT.tiff, -o OUT.pdf or -o OUT.pbm")}
	}
	write, err := pageWriter(*out, *encoding)
	if err != nil {
		return &exitError{2, err}
	}
	var opts render.Options
	if opts.Resolution, err = page.ParseResolution(*resolution); err != nil {
		return &exitError{2, err}
	}
	if opts.Paper, err = render.ParsePaper(*paper); err != nil {
		return &exitError{2, err}
	}
	if opts.Mode, err = render.ParseMode(*mode); err != nil {
		return &exitError{2, err}
	}
	opts.CacheDir = *cacheDir

	var pages []*page.Page
	for _, in := range inputs {
		data, err := os.ReadFile(in)
		if err != nil {
			return err
		}
		ps, err := render.Document(ctx, data, opts)
		if err != nil {
			return fmt.Errorf("%s: %w", in, err)
		}
		pages = append(pages, ps...)
	}
	now := time.Now()
	if *coverNote != "" {
		c, err := render.Cover(render.CoverSheet{
			Lang: *lang, To: *coverTo, From: *coverFrom, Subject: *subject,
			Note: *coverNote, Pages: len(pages) + 1, Date: now,
		}, opts)
		if err != nil {
			return err
		}
		pages = append([]*page.Page{c}, pages...)
	}
	if *header != "" {
		h := render.HeaderLine{Time: now, Name: *header,
			Template: "{date} {time}  {name}  Page {page}/{pages}"}
		if strings.Contains(*header, "{") {
			h.Template, h.Name = *header, ""
		}
		if err := render.Headers(pages, h); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := write(&buf, pages); err != nil {
		return fmt.Errorf("%s: %w", *out, err)
	}
	if err := writeFileAtomic(*out, buf.Bytes()); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d pages, %v, %v\n", *out, len(pages), opts.Resolution, opts.Paper)
	return nil
}

// defaultCacheDir is the per-user cache for the PDF engine.
func defaultCacheDir() string {
	d, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(d, "faxhaven", "pdfium")
}

// pageWriter picks the output format from the file name.
func pageWriter(name, encoding string) (func(io.Writer, []*page.Page) error, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pbm":
		return page.WritePBM, nil
	case ".tif", ".tiff":
		return tiffWriter(encoding)
	case ".pdf":
		return pdfWriter(encoding)
	}
	return nil, fmt.Errorf("output %q: name it .tiff, .pdf or .pbm", name)
}

// writeFileAtomic writes data to a temporary file beside name and renames
// it into place, so a failed run never leaves half a file.
func writeFileAtomic(name string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".*")
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644) // CreateTemp makes it private
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), name)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing %s: %w", name, err)
	}
	return nil
}
