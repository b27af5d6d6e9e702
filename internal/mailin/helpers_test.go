package mailin

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// testPNG is a small black-and-white drawing, a page the fax pipeline
// can render.
func testPNG(t testing.TB) []byte {
	img := image.NewGray(image.Rect(0, 0, 200, 100))
	for y := 0; y < 100; y++ {
		for x := 0; x < 200; x++ {
			c := color.Gray{Y: 255}
			if (x/20+y/20)%2 == 0 {
				c.Y = 0
			}
			img.SetGray(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// fixture reads testdata/name with {{TO}} replaced by to and {{PNG}} by
// a base64 PNG in 76-character lines.
func fixture(t testing.TB, name, to string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.StdEncoding.EncodeToString(testPNG(t))
	var lines []string
	for len(enc) > 76 {
		lines = append(lines, enc[:76])
		enc = enc[76:]
	}
	lines = append(lines, enc)
	s := strings.ReplaceAll(string(b), "{{TO}}", to)
	s = strings.ReplaceAll(s, "{{PNG}}", strings.Join(lines, "\r\n"))
	return []byte(s)
}

// fakeDNS answers the sender checks' queries from maps; every other
// name does not exist.
type fakeDNS struct {
	mu  sync.Mutex
	txt map[string][]string
	// fail makes every query a temporary failure.
	fail bool
}

func newDNS() *fakeDNS { return &fakeDNS{txt: map[string][]string{}} }

func (d *fakeDNS) set(name string, txt ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.txt[strings.ToLower(strings.TrimSuffix(name, "."))] = txt
}

func (d *fakeDNS) notFound(name string) error {
	if d.fail {
		return &net.DNSError{Err: "server misbehaving", Name: name, IsTemporary: true}
	}
	return &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (d *fakeDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if v, ok := d.txt[strings.ToLower(strings.TrimSuffix(name, "."))]; ok && !d.fail {
		return v, nil
	}
	return nil, d.notFound(name)
}

func (d *fakeDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, d.notFound(name)
}

func (d *fakeDNS) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	return nil, d.notFound(name)
}

func (d *fakeDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, d.notFound(addr)
}

// sign DKIM-signs raw for domain with selector "s1" and key.
func sign(t testing.TB, raw []byte, domain string, key crypto.Signer) []byte {
	t.Helper()
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: domain, Selector: "s1", Signer: key,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID", "MIME-Version", "Content-Type"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}
