package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
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

// fuzzImageLimits bound the images the fuzz target decodes: the default
// admits images of hundreds of megabytes, too slow for a fuzzer.
var fuzzImageLimits = Limits{MaxImagePixels: 1 << 20}

// FuzzDecodeImage turns each input into samples as an image folder and
// ReadImageFile do, and checks them against the reference path
// (images_ref_test.go) that decodes whole planes first. A failure must be
// an error naming the file; a success must give the reference's values bit
// for bit, which must be 0..255 planes whose grey flag is right and
// samples within the range of the source (area averaging only mixes
// source pixels).
func FuzzDecodeImage(f *testing.F) {
	for i, b := range imageSeeds(f) {
		f.Add(b, uint8(i), uint8(3*i), uint8(5*i))
	}
	for _, b := range hugeImages(f) {
		f.Add(b, uint8(1), uint8(2), uint8(3))
	}
	f.Add(tallImage(f, 3000), uint8(0), uint8(7), uint8(2))
	f.Add([]byte("GIF89a not really"), uint8(1), uint8(2), uint8(3))
	f.Add([]byte{}, uint8(0), uint8(0), uint8(0))
	f.Fuzz(func(t *testing.T, b []byte, c, h, w uint8) {
		const name = "fuzz.png"
		ch, sh, sw := 1+2*int(c%2), 1+int(h%32), 1+int(w%32)
		got, err := fuzzImageLimits.decode(bytes.NewReader(b), name, sh, sw, ch == 1)
		if err != nil {
			if got != nil || !strings.Contains(err.Error(), name) {
				t.Fatalf("error %q (want one naming %s) came with an image", err, name)
			}
			return
		}
		p, err := decodePlanes(bytes.NewReader(b), name)
		if err != nil {
			t.Fatalf("the reference cannot decode what the streaming decoder did: %v", err)
		}
		n := p.w * p.h
		if p.w < 1 || p.h < 1 || int64(n) > fuzzImageLimits.MaxImagePixels {
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
		if grey != p.grey || got.grey != p.grey {
			t.Fatalf("grey flags %v (streaming) and %v (reference), but the pixels say %v", got.grey, p.grey, grey)
		}
		same := func(what string, x, want []float32) {
			t.Helper()
			if len(x) != len(want) {
				t.Fatalf("%s: %d values, the reference %d", what, len(x), len(want))
			}
			for i := range x {
				if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%s: value %d is %v, the reference's %v", what, i, x[i], want[i])
				}
			}
			// float32 weights summing to 1 give a little rounding.
			eps := 1e-4 * max(1, hi)
			for i, v := range x {
				if !(v >= lo-eps && v <= hi+eps) {
					t.Fatalf("%s: value %d is %v, outside the source's [%v, %v]", what, i, v, lo, hi)
				}
			}
		}
		// The folder's path: each channel resized.
		for k := range 3 {
			same("channel", got.p[k], p.resize(k, sh, sw))
		}
		same("sample", got.sample(ch, 255), p.sample([]int{ch, sh, sw}, 255))
	})
}

// tallImage is a grey PNG of 2×side pixels, the shape whose horizontal
// pass once took a buffer as large as the image.
func tallImage(tb testing.TB, side int) []byte {
	tb.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, greyImage(2, side, func(x, y int) uint8 { return uint8(x*100 + y) })); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// hugeImages are tiny files whose headers declare enormous images: a JPEG
// of 65535×65535 pixels (the decoder would allocate 6 GiB for its
// planes), and 16-bit RGBA and grey PNGs (34 GiB, 2.3 GiB and 400 MB) with
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
		// Past Pillow's decompression-bomb threshold (400 million pixels),
		// with sides within JPEG's: refused by the pixel limit alone.
		"bomb-grey.png": hugePNG(image.NewGray(image.Rect(0, 0, 2, 2)), 20000),
	}
}

// TestHugeImageHeaders checks that an image's dimensions are checked
// before it is decoded: a header declaring too many pixels, or a side
// longer than MaxImageSide, is an error naming the file and its size,
// given without allocating the image.
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
	// A limit of 8192×8192 pixels refuses one pixel more in an image
	// folder too.
	b := hugeImages(t)["huge-grey.png"]
	binary.BigEndian.PutUint32(b[16:], 8193)
	binary.BigEndian.PutUint32(b[20:], 8192)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	root := t.TempDir()
	writeFile(t, root, "a/big.png", b)
	writeFile(t, root, "b/small.png", pngBytes(t, greyImage(2, 2, func(x, y int) uint8 { return 1 })))
	_, err := Limits{MaxImagePixels: 8192 * 8192}.ReadImageFolder(root, 4)
	wantErr(t, err, "big.png", "8193×8192 pixels", "more than the 67108864")
}

// TestImageLimits crafts PNG headers around the limits: each side up to
// MaxImageSide, and width×height up to Limits.MaxImagePixels (by default
// Pillow's decompression-bomb threshold). A header past a limit is refused
// before anything is decoded, in well under a second and a megabyte; one
// within them reaches the decoder, which then fails on the missing pixel
// data (the files hold 2×2 pixels).
func TestImageLimits(t *testing.T) {
	cases := []struct {
		name string
		w, h uint32
		lim  Limits
		want []string // nil: past the size checks
	}{
		{"20000 squared, over the default", 20000, 20000, Limits{}, []string{"20000×20000 pixels", "more than the 178956970"}},
		{"one row of the default pixels and one more", 178956971, 1, Limits{}, []string{"a side longer than the 65535"}},
		{"just over the default", 13378, 13378, Limits{}, []string{"13378×13378", "more than the 178956970"}},
		{"side too long, few pixels", 65536, 1, Limits{}, []string{"65536×1", "a side longer than the 65535"}},
		{"set limit", 101, 100, Limits{MaxImagePixels: 10000}, []string{"101×100", "more than the 10000"}},
		{"at the set limit", 100, 100, Limits{MaxImagePixels: 10000}, nil},
		{"at the longest side", 65535, 2, Limits{}, nil},
	}
	dir := t.TempDir()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := hugeImages(t)["huge-grey.png"]
			binary.BigEndian.PutUint32(b[16:], tc.w)
			binary.BigEndian.PutUint32(b[20:], tc.h)
			binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
			path := writeFile(t, dir, strings.ReplaceAll(tc.name, " ", "_")+".png", b)
			before := heapAllocated()
			_, err := tc.lim.ReadImageFile(path, []int{1, 4, 4}, 255)
			if tc.want == nil {
				wantErr(t, err, path, "cannot decode image")
				return
			}
			if got := heapAllocated() - before; got > 1<<20 {
				t.Errorf("%d bytes allocated before the refusal", got)
			}
			wantErr(t, err, append([]string{path}, tc.want...)...)
		})
	}
}

// TestDecodeImageIsReadImageFile: an image's bytes in memory give the
// example its file gives, bit for bit, through every decoder kind and both
// channel counts, and the same refusals (huge headers, truncated data, a
// bad shape) with the name given in place of the path.
func TestDecodeImageIsReadImageFile(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{}
	for i, b := range imageSeeds(t) {
		files[fmt.Sprintf("seed-%d.img", i)] = b
	}
	for name, b := range hugeImages(t) {
		files[name] = b
	}
	shapes := [][]int{{1, 4, 4}, {3, 5, 3}, {2, 4, 4}}
	decoded := 0
	for name, b := range files {
		path := writeFile(t, dir, name, b)
		for _, shape := range shapes {
			fromFile, fileErr := ReadImageFile(path, shape, 16)
			fromBytes, bytesErr := Limits{}.DecodeImage("request image", b, shape, 16)
			if (fileErr == nil) != (bytesErr == nil) {
				t.Fatalf("%s %v: file error %v, bytes error %v", name, shape, fileErr, bytesErr)
			}
			if fileErr != nil {
				if want := strings.ReplaceAll(fileErr.Error(), path, "request image"); bytesErr.Error() != want {
					t.Errorf("%s %v: bytes error %q, want %q", name, shape, bytesErr, want)
				}
				continue
			}
			decoded++
			if len(fromBytes) != ShapeSize(shape) || !slices.EqualFunc(fromFile, fromBytes, func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }) {
				t.Fatalf("%s %v: bytes give %v, the file %v", name, shape, fromBytes, fromFile)
			}
		}
	}
	// The six valid seeds in the two good shapes.
	if decoded != 12 {
		t.Errorf("%d images decoded, want 12", decoded)
	}
}
