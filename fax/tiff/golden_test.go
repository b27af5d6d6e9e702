package tiff

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
)

// TestGoldenFiles reads checked-in files written by independent software
// (Ghostscript's tiffg32d device; libtiff's tiffcp with fill bits and LSB
// fill order, and Group 4 in several strips) and compares them with the
// pixels ImageMagick decoded from them (golden.pbm). It needs no peer.
func TestGoldenFiles(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "golden.pbm"))
	if err != nil {
		t.Fatal(err)
	}
	want := readPBM(t, data)
	for _, name := range []string{"gs-g32d.tif", "libtiff-g3fill-lsb.tif", "libtiff-g4-strips.tif"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Read(data, nil)
			if err != nil {
				t.Fatal(err)
			}
			samePages(t, got, []*page.Page{want})
			if got[0].Res != (page.Resolution{X: 204, Y: 196}) {
				t.Errorf("resolution %v, want 204x196", got[0].Res)
			}
		})
	}
}
