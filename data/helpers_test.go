package data

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/testfile"
)

// writeFile writes content to dir/name, creating parent directories, and
// returns the path.
func writeFile(t *testing.T, dir, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// idxPair writes n h×w images (pixel k of image i is (i+k)%256) and their
// labels (i % classes) under dir with the given prefix.
func idxPair(t *testing.T, dir, prefix string, n, h, w, classes int, gzipped bool) (string, string) {
	t.Helper()
	img := make([]byte, n*h*w)
	for i := range n {
		for k := range h * w {
			img[i*h*w+k] = byte(i + k)
		}
	}
	lab := make([]byte, n)
	for i := range lab {
		lab[i] = byte(i % classes)
	}
	ib := testfile.IDX(idxImagesMagic, []uint32{uint32(n), uint32(h), uint32(w)}, img)
	lb := testfile.IDX(idxLabelsMagic, []uint32{uint32(n)}, lab)
	in, ln := prefix+"-images-idx3-ubyte", prefix+"-labels-idx1-ubyte"
	if gzipped {
		ib, lb, in, ln = testfile.Gzip(ib), testfile.Gzip(lb), in+".gz", ln+".gz"
	}
	return writeFile(t, dir, in, ib), writeFile(t, dir, ln, lb)
}

// pngBytes encodes img as PNG.
func pngBytes(t *testing.T, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// greyImage is a w×h grey image with pixel (x, y) = f(x, y).
func greyImage(w, h int, f func(x, y int) uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			g.SetGray(x, y, color.Gray{Y: f(x, y)})
		}
	}
	return g
}

// wantErr fails unless err is non-nil and mentions every part.
func wantErr(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; want one mentioning %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not mention %q", err, p)
		}
	}
}
