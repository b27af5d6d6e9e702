package t4

import (
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
)

func TestCodedPage(t *testing.T) {
	p, err := t4test.Page("text", 1728, 80, 8)
	if err != nil {
		t.Fatal(err)
	}
	p.Res = page.Superfine
	for _, o := range []Options{{Format: MMR}, {Format: MR, K: 4, EOL: true, LSBFirst: true}, {Format: MH, AlignRows: true}} {
		c, err := Encode(p, o)
		if err != nil {
			t.Fatal(err)
		}
		if c.Width != p.Width || c.Height != p.Height || c.Res != p.Res || c.Options.Format != o.Format {
			t.Fatalf("coded page %dx%d %v %v", c.Width, c.Height, c.Res, c.Options.Format)
		}
		q, st, err := c.Decode()
		if err != nil || st.BadRows != 0 {
			t.Fatalf("%v: %v %+v", o.Format, err, st)
		}
		if !q.Equal(p) || q.Res != p.Res {
			t.Fatalf("%v: decoded page differs", o.Format)
		}
		// A page that claims more rows than its data holds.
		c.Height += 10
		if _, _, err := c.Decode(); err == nil || !strings.Contains(err.Error(), "truncated") {
			t.Errorf("%v: got %v, want a truncation error", o.Format, err)
		}
	}
}
