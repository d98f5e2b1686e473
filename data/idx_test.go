package data

import (
	"bytes"
	"compress/gzip"
	"math"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/testfile"
)

func TestReadIDXRawAndGzipAgree(t *testing.T) {
	dir := t.TempDir()
	rawImages, rawLabels := idxPair(t, dir+"/raw", "train", 7, 3, 2, 3, false)
	gzImages, gzLabels := idxPair(t, dir+"/gz", "train", 7, 3, 2, 3, true)
	x1, s1, err := ReadIDXImages(rawImages)
	if err != nil {
		t.Fatal(err)
	}
	x2, s2, err := ReadIDXImages(gzImages)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s1, []int{7, 1, 3, 2}) || !slices.Equal(s1, s2) || !slices.Equal(x1, x2) {
		t.Errorf("shapes %v %v, equal pixels %v", s1, s2, slices.Equal(x1, x2))
	}
	if x1[6] != 1 || x1[len(x1)-1] != 6+5 {
		t.Errorf("pixels %v", x1)
	}
	y1, err := ReadIDXLabels(rawLabels)
	if err != nil {
		t.Fatal(err)
	}
	y2, err := ReadIDXLabels(gzLabels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y1, []int{0, 1, 2, 0, 1, 2, 0}) || !slices.Equal(y1, y2) {
		t.Errorf("labels %v %v", y1, y2)
	}
}

func TestOpenIDXClasses(t *testing.T) {
	dir := t.TempDir()
	images, labels := idxPair(t, dir, "train", 12, 2, 2, 4, false)
	tests := []struct {
		classes []string
		want    []string
	}{
		{nil, []string{"0", "1", "2", "3"}},
		{[]string{"a", "b", "c", "d", "e"}, []string{"a", "b", "c", "d", "e"}},
	}
	for _, tc := range tests {
		d, err := OpenIDX(images, labels, tc.classes)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Classes, tc.want) || !slices.Equal(d.Shape, []int{1, 2, 2}) || d.RawMax != 255 || d.Kind != Image {
			t.Errorf("classes %q shape %v RawMax %v kind %s", d.Classes, d.Shape, d.RawMax, d.Kind)
		}
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestFindIDXSpellings(t *testing.T) {
	for _, name := range []string{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "train-images.idx3-ubyte.gz"} {
		dir := t.TempDir()
		writeFile(t, dir, name, testfile.IDX(idxImagesMagic, []uint32{2, 1, 1}, []byte{0, 1}))
		writeFile(t, dir, "train-labels.idx1-ubyte", testfile.IDX(idxLabelsMagic, []uint32{2}, []byte{0, 1}))
		src, err := OpenIDXDir(dir, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if src.Train.Len() != 2 || src.Test != nil {
			t.Errorf("%s: %d examples, test %v", name, src.Train.Len(), src.Test)
		}
	}
}

// memData is a dataFile over b, detecting gzip as openData does, so that
// the fuzz targets parse without the file system (writing and reading a
// file costs more than parsing it).
func memData(b []byte, name string) (*dataFile, error) {
	r, gz, err := maybeGunzip(bytes.NewReader(b), name)
	if err != nil {
		return nil, err
	}
	return &dataFile{Reader: r, gz: gz, gzipped: gz != nil, size: int64(len(b))}, nil
}

// heapAllocated is the number of bytes allocated on the heap so far.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// FuzzReadIDX reads each input as an IDX image file of bytes, as an image
// file of an IDX directory (bytes or float32), and as an IDX label file,
// raw and gzipped. Whatever the header announces, the readers allocate in
// proportion to the file (times deflate's ratio when gzipped); they fail
// with an error naming the file, or return exactly the values after the
// header; and the gzipped copy gives the same result.
func FuzzReadIDX(f *testing.F) {
	images := testfile.IDX(idxImagesMagic, []uint32{2, 2, 3}, []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255})
	labels := testfile.IDX(idxLabelsMagic, []uint32{3}, []byte{0, 1, 9})
	for _, b := range [][]byte{
		images,
		labels,
		testfile.Gzip(images),
		testfile.Gzip(labels),
		append(images[:len(images):len(images)], 7, 7), // trailing bytes
		images[:len(images)-1],                         // truncated body
		images[:10],                                    // truncated header
		testfile.Gzip(images)[:30],                     // truncated gzip stream
		testfile.IDX(idxLabelsMagic, []uint32{3, 2, 2}, make([]byte, 12)),                    // labels magic, image dimensions
		testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 2}, floatBody(0.5, 16)),             // float elements
		testfile.IDX(idxFloatChannelsMagic, []uint32{1, 3, 1, 1}, floatBody(-1, 0, 1e30)),    // float channels
		testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 1}, floatBody(float32(math.NaN()))), // not finite
		testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 2}, floatBody(1, 2)[:7]),            // a float cut short
		testfile.IDX(idxImagesMagic, []uint32{1 << 31, 1 << 16, 1 << 16}, nil),               // absurd dimensions
		testfile.IDX(idxImagesMagic, []uint32{1 << 15, 1 << 8, 1 << 8}, nil),                 // large, but no body
		testfile.Gzip(testfile.IDX(idxLabelsMagic, []uint32{1 << 31}, make([]byte, 100))),    // gzipped and lying
		testfile.Gzip(testfile.IDX(idxLabelsMagic, []uint32{3}, make([]byte, 1<<16))),        // gzipped, longer than announced
		testfile.Gzip(testfile.IDX(idxImagesMagic, []uint32{1 << 14, 1 << 8, 1 << 8}, nil)),  // announces more than the default limit
		testfile.IDX(idxImagesMagic, []uint32{0, 2, 2}, nil),
		[]byte("hello world"),
		nil,
	} {
		f.Add(b)
	}
	// One compressor for all inputs: a new one allocates over a megabyte.
	var zbuf bytes.Buffer
	zw := gzip.NewWriter(&zbuf)
	f.Fuzz(func(t *testing.T, b []byte) {
		const name = "fuzz-idx-ubyte"
		if bytes.HasPrefix(b, gzipMagic) {
			// The readers gunzip it: the body cannot be compared with the
			// input's bytes, and holds up to deflate's ratio times more.
			checkIDXImages(t, b, name, maxDeflateRatio*len(b))
			checkIDXLabels(t, b, name, maxDeflateRatio*len(b))
			return
		}
		x, shape, imgErr := checkIDXImages(t, b, name, len(b))
		if imgErr == nil {
			if want := b[16 : 16+len(x)]; !equalBytes(x, want) {
				t.Fatalf("images %v, want the body bytes %v", x, want)
			}
		}
		anyX, anyShape, anyErr := checkIDXImages(t, b, name, len(b), idxDatasetImages...)
		if anyErr == nil && b[2] == 0x0d {
			off := 4 + 4*int(b[3])
			if want := decodeFloats(b[off : off+4*len(anyX)]); !sameBits(anyX, want) {
				t.Fatalf("float32 images %v, want the body's values %v", anyX, want)
			}
		} else if anyErr == nil && !slices.Equal(anyX, x) {
			t.Fatalf("images of bytes: %v as a directory's images, %v alone", anyX, x)
		}
		y, labErr := checkIDXLabels(t, b, name, len(b))
		if labErr == nil {
			if want := b[8 : 8+len(y)]; !equalBytes(y, want) {
				t.Fatalf("labels %v, want the body bytes %v", y, want)
			}
		}
		zbuf.Reset()
		zw.Reset(&zbuf)
		zw.Write(b)
		zw.Close()
		z := zbuf.Bytes()
		gzX, gzShape, gzImgErr := checkIDXImages(t, z, name, maxDeflateRatio*len(z))
		if (imgErr == nil) != (gzImgErr == nil) || !slices.Equal(x, gzX) || !slices.Equal(shape, gzShape) {
			t.Fatalf("images: raw gives %v %v, gzipped gives %v %v", shape, imgErr, gzShape, gzImgErr)
		}
		gzAnyX, gzAnyShape, gzAnyErr := checkIDXImages(t, z, name, maxDeflateRatio*len(z), idxDatasetImages...)
		if (anyErr == nil) != (gzAnyErr == nil) || !sameBits(anyX, gzAnyX) || !slices.Equal(anyShape, gzAnyShape) {
			t.Fatalf("a directory's images: raw gives %v %v, gzipped gives %v %v", anyShape, anyErr, gzAnyShape, gzAnyErr)
		}
		gzY, gzLabErr := checkIDXLabels(t, z, name, maxDeflateRatio*len(z))
		if (labErr == nil) != (gzLabErr == nil) || !slices.Equal(y, gzY) {
			t.Fatalf("labels: raw gives %d labels, %v; gzipped gives %d, %v", len(y), labErr, len(gzY), gzLabErr)
		}
	})
}

// checkIDXImages reads b as IDX images (of bytes, unless accepted names
// other magic numbers) and checks what must hold for any file: allocation
// bounded by the data it can hold, an error naming the file, or pixels of
// the announced shape.
func checkIDXImages(t *testing.T, b []byte, name string, capacity int, accepted ...uint32) ([]float32, []int, error) {
	t.Helper()
	if accepted == nil {
		accepted = []uint32{idxImagesMagic}
	}
	before := heapAllocated()
	f, err := memData(b, name)
	var x []float32
	var shape []int
	if err == nil {
		var file *IDXFile
		if file, err = (Limits{}).idxHeader(f, name, "images", accepted...); err == nil {
			x, shape, err = file.Images()
		}
	}
	// 4 bytes per float32 pixel, twice over for the growth of the output,
	// and buffers of fixed size.
	if got, limit := heapAllocated()-before, 8*uint64(capacity)+1<<20; got > limit {
		t.Fatalf("reading images from %d bytes allocated %d bytes (limit %d)", capacity, got, limit)
	}
	if err != nil {
		if x != nil || shape != nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q (want one naming %s) came with %d pixels, shape %v", err, name, len(x), shape)
		}
		return nil, nil, err
	}
	if len(shape) != 4 || (shape[1] != 1 && !slices.Contains(accepted, idxFloatChannelsMagic)) || len(x) != ShapeSize(shape) || len(x) == 0 {
		t.Fatalf("%d pixels of shape %v", len(x), shape)
	}
	return x, shape, nil
}

// checkIDXLabels is checkIDXImages for labels.
func checkIDXLabels(t *testing.T, b []byte, name string, capacity int) ([]int, error) {
	t.Helper()
	before := heapAllocated()
	f, err := memData(b, name)
	var y []int
	if err == nil {
		y, err = Limits{}.readIDXLabels(f, name)
	}
	if got, limit := heapAllocated()-before, 16*uint64(capacity)+1<<20; got > limit {
		t.Fatalf("reading labels from %d bytes allocated %d bytes (limit %d)", capacity, got, limit)
	}
	if err != nil {
		if y != nil || !strings.Contains(err.Error(), name) {
			t.Fatalf("error %q (want one naming %s) came with %d labels", err, name, len(y))
		}
		return nil, err
	}
	if len(y) == 0 {
		t.Fatal("no labels and no error")
	}
	return y, nil
}

// equalBytes reports whether values are exactly the bytes b.
func equalBytes[T float32 | int](values []T, b []byte) bool {
	if len(values) != len(b) {
		return false
	}
	for i, v := range values {
		if v != T(b[i]) {
			return false
		}
	}
	return true
}
