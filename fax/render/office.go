package render

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/faxhaven/faxhaven/fax/page"
)

// officeNames are the LibreOffice launchers looked up in PATH, in order.
var officeNames = []string{"soffice", "libreoffice"}

// findOffice returns the path of LibreOffice, or an error that says what to
// install.
func findOffice(f Format) (string, error) {
	for _, n := range officeNames {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: %v files are converted with LibreOffice, which is not installed; "+
		"install it (Debian: apt-get install %s) or send a PDF instead", ErrNeedTool, f, officePackage(f))
}

// officePackage names the Debian package that converts f.
func officePackage(f Format) string {
	switch f {
	case XLSX, ODS:
		return "libreoffice-calc"
	case PPTX, ODP:
		return "libreoffice-impress"
	case OLE:
		return "libreoffice-writer libreoffice-calc libreoffice-impress"
	}
	return "libreoffice-writer"
}

// renderOffice converts an office document to PDF with LibreOffice in a
// private temporary directory (its own profile too, so concurrent runs do
// not collide) and renders that PDF.
func renderOffice(ctx context.Context, data []byte, f Format, opts Options) ([]*page.Page, error) {
	soffice, err := findOffice(f)
	if err != nil {
		return nil, err
	}
	pdf, err := officeToPDF(ctx, soffice, data, f)
	if err != nil {
		return nil, err
	}
	pages, err := renderPDF(ctx, pdf, opts)
	if err != nil {
		return nil, fmt.Errorf("render: %v converted by LibreOffice: %w", f, err)
	}
	return pages, nil
}

func officeToPDF(ctx context.Context, soffice string, data []byte, f Format) ([]byte, error) {
	dir, err := os.MkdirTemp("", "faxhaven-office-")
	if err != nil {
		return nil, fmt.Errorf("render: %v: temporary directory: %w", f, err)
	}
	defer os.RemoveAll(dir)
	in := filepath.Join(dir, "document"+f.ext())
	if err := os.WriteFile(in, data, 0o600); err != nil {
		return nil, fmt.Errorf("render: %v: %w", f, err)
	}
	out := filepath.Join(dir, "out")
	cmd := exec.CommandContext(ctx, soffice,
		"-env:UserInstallation=file://"+filepath.ToSlash(filepath.Join(dir, "profile")),
		"--headless", "--norestore", "--nolockcheck",
		"--convert-to", "pdf", "--outdir", out, in)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	ownProcessGroup(cmd)
	// Stop waiting for output shortly after the kill, even if some
	// grandchild still holds the pipe.
	cmd.WaitDelay = 2 * time.Second
	msg, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("render: %v: LibreOffice did not finish in time: %w", f, ctx.Err())
	}
	if err != nil {
		return nil, fmt.Errorf("%w: LibreOffice could not convert the %v: %v: %s", ErrCorrupt, f, err, trimOutput(msg))
	}
	pdf, err := os.ReadFile(filepath.Join(out, "document.pdf"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: LibreOffice made no PDF from the %v: %s", ErrCorrupt, f, trimOutput(msg))
	}
	if err != nil {
		return nil, fmt.Errorf("render: %v: %w", f, err)
	}
	return pdf, nil
}

func trimOutput(b []byte) string {
	if len(b) > 300 {
		b = b[:300]
	}
	return string(b)
}
