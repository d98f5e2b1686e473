package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestReadImageFolder(t *testing.T) {
	grey := func(v uint8) []byte {
		return pngBytes(t, greyImage(8, 8, func(x, y int) uint8 { return v }))
	}
	rgb := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			rgb.Set(x, y, color.RGBA{200, 100, 50, 255})
		}
	}
	t.Run("grey", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root, "zebra/1.png", grey(10))
		writeFile(t, root, "zebra/2.PNG", grey(20))
		writeFile(t, root, "apple/1.png", grey(30))
		writeFile(t, root, "apple/notes.txt", []byte("ignored"))
		writeFile(t, root, ".hidden/1.png", grey(40))
		src, err := Open(root, OpenOptions{ImageSize: 4})
		if err != nil {
			t.Fatal(err)
		}
		d := src.Train
		if !slices.Equal(d.Classes, []string{"apple", "zebra"}) || !slices.Equal(d.Shape, []int{1, 4, 4}) || d.RawMax != 255 || d.Kind != Image {
			t.Fatalf("classes %q shape %v RawMax %v kind %s", d.Classes, d.Shape, d.RawMax, d.Kind)
		}
		if !slices.Equal(d.Y, []int{0, 1, 1}) || d.Row(0)[5] != 30 || d.Row(2)[15] != 20 {
			t.Errorf("Y %v, pixels %v %v", d.Y, d.Row(0)[5], d.Row(2)[15])
		}
	})
	t.Run("rgb", func(t *testing.T) {
		root := t.TempDir()
		writeFile(t, root, "a/1.png", grey(10))
		writeFile(t, root, "b/1.png", pngBytes(t, rgb))
		src, err := Open(root, OpenOptions{})
		if err != nil {
			t.Fatal(err)
		}
		d := src.Train
		if !slices.Equal(d.Shape, []int{3, 28, 28}) {
			t.Fatalf("shape %v, want [3 28 28]", d.Shape)
		}
		row := d.Row(1)
		if row[0] != 200 || row[28*28] != 100 || row[2*28*28] != 50 || d.Row(0)[2*28*28] != 10 {
			t.Errorf("channels %v %v %v, grey %v", row[0], row[28*28], row[2*28*28], d.Row(0)[2*28*28])
		}
	})
}

func TestAreaResize(t *testing.T) {
	// A 4×4 image of 2×2 blocks 0, 40 / 80, 120 averages to 2×2 exactly.
	img := greyImage(4, 4, func(x, y int) uint8 { return uint8(40*(x/2) + 80*(y/2)) })
	p := writeFile(t, t.TempDir(), "blocks.png", pngBytes(t, img))
	tests := []struct {
		shape  []int
		rawMax float32
		want   []float32
	}{
		{[]int{1, 2, 2}, 255, []float32{0, 40, 80, 120}},
		{[]int{1, 2, 2}, 16, []float32{0, 40 * 16 / 255., 80 * 16 / 255., 120 * 16 / 255.}},
		{[]int{3, 1, 1}, 255, []float32{60, 60, 60}},
		{[]int{1, 1, 2}, 255, []float32{40, 80}},
	}
	for _, tc := range tests {
		x, err := ReadImageFile(p, tc.shape, tc.rawMax)
		if err != nil {
			t.Fatal(err)
		}
		if len(x) != len(tc.want) {
			t.Fatalf("%v: %d values", tc.shape, len(x))
		}
		for i := range x {
			if math.Abs(float64(x[i]-tc.want[i])) > 1e-3 {
				t.Errorf("%v rawMax %v: got %v, want %v", tc.shape, tc.rawMax, x, tc.want)
				break
			}
		}
	}
}

func TestReadImageFileColourToGrey(t *testing.T) {
	img := image.NewRGBA(image.Rect(0, 0, 3, 3))
	for y := range 3 {
		for x := range 3 {
			img.Set(x, y, color.RGBA{255, 0, 0, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	jp := writeFile(t, dir, "red.jpg", buf.Bytes())
	x, err := ReadImageFile(jp, []int{1, 3, 3}, 255)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(x[4])-0.299*255) > 6 {
		t.Errorf("luma of red %v, want about %v", x[4], 0.299*255)
	}
	for _, bad := range [][]int{{2, 3, 3}, {3, 3}, {1, 0, 3}} {
		_, err := ReadImageFile(jp, bad, 255)
		wantErr(t, err, "red.jpg", "shape")
	}
	_, err = ReadImageFile(filepath.Join(dir, "missing.png"), []int{1, 3, 3}, 255)
	wantErr(t, err, "missing.png")
}

// imageSeeds are tiny valid PNG and JPEG files of the kinds the decoders
// return (grey, RGBA with alpha, paletted, 16-bit, 4:2:0 and grey JPEG),
// followed by a truncated copy of each.
func imageSeeds(tb testing.TB) [][]byte {
	tb.Helper()
	encode := func(img image.Image, asJPEG bool) []byte {
		var buf bytes.Buffer
		var err error
		if asJPEG {
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90})
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			tb.Fatal(err)
		}
		return buf.Bytes()
	}
	grey := greyImage(4, 3, func(x, y int) uint8 { return uint8(60*x + 20*y) })
	rgba := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	pal := image.NewPaletted(image.Rect(0, 0, 5, 5), color.Palette{color.Black, color.RGBA{255, 0, 0, 255}, color.RGBA{0, 0, 255, 128}})
	deep := image.NewRGBA64(image.Rect(0, 0, 2, 2))
	colour := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for y := range 16 {
		for x := range 16 {
			rgba.Set(x%3, y%2, color.NRGBA{uint8(80 * x), uint8(100 * y), 7, uint8(255 - 60*x)})
			pal.SetColorIndex(x%5, y%5, uint8((x+y)%3))
			deep.Set(x%2, y%2, color.RGBA64{uint16(9000 * x), 65535, uint16(300 * y), 65535})
			colour.Set(x, y, color.RGBA{uint8(16 * x), uint8(16 * y), 128, 255})
		}
	}
	valid := [][]byte{
		encode(grey, false), encode(rgba, false), encode(pal, false), encode(deep, false),
		encode(colour, true), encode(grey, true),
	}
	seeds := valid
	for _, b := range valid {
		if _, err := decodePlanes(bytes.NewReader(b), "seed"); err != nil {
			tb.Fatalf("a valid seed does not decode: %v", err)
		}
		seeds = append(seeds, b[:len(b)/2])
	}
	return seeds
}

// FuzzDecodeImage turns each input into samples as an image folder and
// ReadImageFile do: decoded into planes, resized per channel, converted
// to grey or kept as RGB and scaled. A failure must be an error naming the
// file; a success must give planes of 0..255 values whose grey flag is
// right, and samples of the requested shape whose values lie within the
// range of the source (area averaging only mixes source pixels).
func FuzzDecodeImage(f *testing.F) {
	for i, b := range imageSeeds(f) {
		f.Add(b, uint8(i), uint8(3*i), uint8(5*i))
	}
	for _, b := range hugeImages(f) {
		f.Add(b, uint8(1), uint8(2), uint8(3))
	}
	f.Add([]byte("GIF89a not really"), uint8(1), uint8(2), uint8(3))
	f.Add([]byte{}, uint8(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, c, h, w uint8) {
		const name = "fuzz.png"
		p, err := decodePlanes(bytes.NewReader(b), name)
		if err != nil {
			if p != nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q (want one naming %s) came with planes", err, name)
			}
			return
		}
		n := p.w * p.h
		if p.w < 1 || p.h < 1 || n > maxImagePixels {
			t.Fatalf("planes of %d×%d", p.w, p.h)
		}
		lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
		grey := true
		for i := range n {
			for ch := range 3 {
				v := p.p[ch][i]
				if !(v >= 0 && v <= 255) || len(p.p[ch]) != n {
					t.Fatalf("plane %d: pixel %d is %v (%d values for %d×%d)", ch, i, v, len(p.p[ch]), p.w, p.h)
				}
				lo, hi = min(lo, v), max(hi, v)
			}
			grey = grey && p.p[0][i] == p.p[1][i] && p.p[1][i] == p.p[2][i]
		}
		if grey != p.grey {
			t.Fatalf("grey flag %v, but the pixels say %v", p.grey, grey)
		}
		within := func(what string, x []float32, want int) {
			t.Helper()
			// float32 weights summing to 1 give a little rounding.
			eps := 1e-4 * max(1, hi)
			if len(x) != want {
				t.Fatalf("%s: %d values, want %d", what, len(x), want)
			}
			for i, v := range x {
				if !(v >= lo-eps && v <= hi+eps) {
					t.Fatalf("%s: value %d is %v, outside the source's [%v, %v]", what, i, v, lo, hi)
				}
			}
		}
		ch, sh, sw := 1+2*int(c%2), 1+int(h%32), 1+int(w%32)
		// The folder's path: each channel resized to a square.
		for k := range 3 {
			within("folder channel", p.resize(k, sh, sh), sh*sh)
		}
		within("sample", p.sample([]int{ch, sh, sw}, 255), ch*sh*sw)
	})
}

// hugeImages are tiny files whose headers declare enormous images: a JPEG
// of 65535×65535 pixels (the decoder would allocate 6 GiB for its
// planes), and 16-bit RGBA and grey PNGs (34 GiB and 2.3 GiB) with
// correct chunk checksums.
func hugeImages(tb testing.TB) map[string][]byte {
	tb.Helper()
	colour := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for y := range 8 {
		for x := range 8 {
			colour.Set(x, y, color.RGBA{uint8(30 * x), uint8(30 * y), 9, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, colour, nil); err != nil {
		tb.Fatal(err)
	}
	jpg := buf.Bytes()
	sof := bytes.Index(jpg, []byte{0xff, 0xc0}) // length, precision, height, width
	binary.BigEndian.PutUint16(jpg[sof+5:], 0xffff)
	binary.BigEndian.PutUint16(jpg[sof+7:], 0xffff)
	hugePNG := func(img image.Image, side uint32) []byte {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			tb.Fatal(err)
		}
		b := buf.Bytes()
		// The IHDR chunk: length at 8, type at 12, width and height at 16
		// and 20, its CRC over type and data at 29.
		binary.BigEndian.PutUint32(b[16:], side)
		binary.BigEndian.PutUint32(b[20:], side)
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
		return b
	}
	return map[string][]byte{
		"huge.jpg":      jpg,
		"huge-rgba.png": hugePNG(image.NewRGBA64(image.Rect(0, 0, 2, 2)), 65535),
		"huge-grey.png": hugePNG(image.NewGray(image.Rect(0, 0, 2, 2)), 50000),
	}
}

// TestHugeImageHeaders checks that an image's dimensions are checked
// before it is decoded: a header declaring too many pixels is an error
// naming the file and its size, given without allocating the image.
func TestHugeImageHeaders(t *testing.T) {
	dir := t.TempDir()
	for name, b := range hugeImages(t) {
		path := writeFile(t, dir, name, b)
		before := heapAllocated()
		_, err := ReadImageFile(path, []int{1, 4, 4}, 255)
		if got := heapAllocated() - before; got > 16<<20 {
			t.Errorf("%s: %d bytes allocated", name, got)
		}
		wantErr(t, err, path, "×", "pixels", "shrink it")
	}
	// One more pixel than 8192×8192 is refused by an image folder too.
	b := hugeImages(t)["huge-grey.png"]
	binary.BigEndian.PutUint32(b[16:], 8193)
	binary.BigEndian.PutUint32(b[20:], 8192)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	root := t.TempDir()
	writeFile(t, root, "a/big.png", b)
	writeFile(t, root, "b/small.png", pngBytes(t, greyImage(2, 2, func(x, y int) uint8 { return 1 })))
	_, err := ReadImageFolder(root, 4)
	wantErr(t, err, "big.png", "8193×8192 pixels")
}
