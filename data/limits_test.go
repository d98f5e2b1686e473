package data

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"testing"
	"time"

	"github.com/practica-ml/practica/internal/testfile"
)

// zeroIDX is a gzipped IDX file announcing dims over a body of n zero
// bytes: a few kilobytes on disk for megabytes of data.
func zeroIDX(t *testing.T, magic uint32, dims []uint32, n int) []byte {
	t.Helper()
	return testfile.Gzip(testfile.IDX(magic, dims, make([]byte, n)))
}

// TestIDXBounds crafts IDX files whose cost is decided by their headers:
// each must be refused (or read) from the header, before the body is read
// (a few hundred kilobytes of allocation at most, against the 64 MB or so
// the bodies would take as float32), and bodies longer than announced are
// errors rather than silently skipped.
func TestIDXBounds(t *testing.T) {
	dir := t.TempDir()
	// 20,000 images of 28×28: 15.7 MB of pixels, 63 MB as float32, in a
	// gzipped file of about 15 KB.
	images := writeFile(t, dir, "bomb-images-idx3-ubyte.gz", zeroIDX(t, idxImagesMagic, []uint32{20000, 28, 28}, 20000*28*28))
	tenLabels := writeFile(t, dir, "ten-labels-idx1-ubyte", testfile.IDX(idxLabelsMagic, []uint32{10}, make([]byte, 10)))
	manyLabels := writeFile(t, dir, "many-labels-idx1-ubyte.gz", zeroIDX(t, idxLabelsMagic, []uint32{1<<30 + 1}, 0))
	// 10 labels, then 64 MB more that the header does not announce.
	longLabels := writeFile(t, dir, "long-labels-idx1-ubyte.gz", zeroIDX(t, idxLabelsMagic, []uint32{10}, 10+64<<20))
	trailLabels := writeFile(t, dir, "trail-labels-idx1-ubyte", testfile.IDX(idxLabelsMagic, []uint32{3}, []byte{0, 1, 2, 3, 4}))
	cases := []struct {
		name     string
		read     func() error
		want     []string
		maxAlloc uint64
	}{
		{"count mismatch found from the headers", func() error {
			_, err := OpenIDX(images, tenLabels, nil)
			return err
		}, []string{"IDX count mismatch", "bomb-images-idx3-ubyte.gz has 20000 images", "ten-labels-idx1-ubyte has 10 labels"}, 256 << 10},
		{"header over a set limit", func() error {
			_, _, err := Limits{MaxIDXValues: 1 << 20}.readIDXPairImages(images)
			return err
		}, []string{"bomb-images-idx3-ubyte.gz", "announces images of [20000 28 28], more than 1048576 values", "MaxIDXValues"}, 256 << 10},
		{"header over the default limit", func() error {
			_, err := ReadIDXLabels(manyLabels)
			return err
		}, []string{"many-labels-idx1-ubyte.gz", "more than 1073741824 values"}, 256 << 10},
		{"gzipped body longer than announced", func() error {
			_, err := ReadIDXLabels(longLabels)
			return err
		}, []string{"long-labels-idx1-ubyte.gz", "IDX body longer than its header announces", "past byte offset 18 of the uncompressed data"}, 256 << 10},
		{"raw body longer than announced", func() error {
			_, err := ReadIDXLabels(trailLabels)
			return err
		}, []string{"trail-labels-idx1-ubyte", "5 bytes of data after its 8 bytes, want 3 (2 bytes too many)"}, 256 << 10},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			start, before := time.Now(), heapAllocated()
			err := tc.read()
			if got := heapAllocated() - before; got > tc.maxAlloc {
				t.Errorf("%d bytes allocated, want at most %d", got, tc.maxAlloc)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			wantErr(t, err, tc.want...)
		})
	}
	// Within the limits, the same files read as before.
	x, shape, err := Limits{MaxIDXValues: 20000 * 28 * 28}.readIDXPairImages(images)
	if err != nil || len(x) != 20000*28*28 || shape[0] != 20000 {
		t.Fatalf("at the limit: %d values, shape %v, %v", len(x), shape, err)
	}
}

// readIDXPairImages reads an images file within l.
func (l Limits) readIDXPairImages(path string) ([]float32, []int, error) {
	f, err := l.OpenIDXImages(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return f.Images()
}

// TestLargeImageOneCopy decodes a 3000×2000 colour photograph that passes
// the limits: it must hold no more than the decoded image (24 MB as
// NRGBA) and small buffers, where decoding into float32 planes first took
// 72 MB more, and give the values of that path bit for bit.
func TestLargeImageOneCopy(t *testing.T) {
	const w, h = 3000, 2000
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, color.NRGBA{uint8(x), uint8(y), uint8(x ^ y), 255})
		}
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := writeFile(t, t.TempDir(), "photo.png", buf.Bytes())
	for _, shape := range [][]int{{3, 28, 28}, {1, 32, 24}} {
		before := heapAllocated()
		x, err := ReadImageFile(path, shape, 16)
		got := heapAllocated() - before
		if err != nil {
			t.Fatal(err)
		}
		if decoded := uint64(4 * w * h); got > decoded+decoded/4 {
			t.Errorf("shape %v: %d bytes allocated for an image of %d bytes decoded", shape, got, decoded)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		p, err := decodePlanes(f, path)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		want := p.sample(shape, 16)
		if len(x) != len(want) {
			t.Fatalf("shape %v: %d values, the reference %d", shape, len(x), len(want))
		}
		for i := range x {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("shape %v: value %d is %v, the reference's %v", shape, i, x[i], want[i])
			}
		}
	}
}
