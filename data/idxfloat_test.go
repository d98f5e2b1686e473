package data

import (
	"encoding/binary"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/internal/testfile"
)

// floatBody is the body of a float32 IDX file holding values.
func floatBody(values ...float32) []byte {
	var b []byte
	for _, v := range values {
		b = binary.BigEndian.AppendUint32(b, math.Float32bits(v))
	}
	return b
}

// sameBits reports whether a and b hold the same float32 bit patterns.
func sameBits(a, b []float32) bool {
	return slices.EqualFunc(a, b, func(x, y float32) bool { return math.Float32bits(x) == math.Float32bits(y) })
}

// TestOpenIDXDirFloat32 reads float32 images back bit for bit (values off
// any 0..255 grid, negative zero, the extremes of float32) as a dataset
// of the file's shape with RawMax 0, raw and gzipped.
func TestOpenIDXDirFloat32(t *testing.T) {
	negZero := float32(math.Copysign(0, -1))
	odd := []float32{0, 16, 0.1, negZero, 1e-45, math.MaxFloat32, -3.25, 7.000001}
	tests := []struct {
		name      string
		magic     uint32
		dims      []uint32
		wantShape []int
	}{
		{"grey N×H×W", idxFloatImagesMagic, []uint32{2, 2, 2}, []int{1, 2, 2}},
		{"channels N×C×H×W", idxFloatChannelsMagic, []uint32{2, 2, 1, 2}, []int{2, 1, 2}},
		{"one pixel each", idxFloatImagesMagic, []uint32{8, 1, 1}, []int{1, 1, 1}},
	}
	for _, tc := range tests {
		for _, gz := range []bool{false, true} {
			images := testfile.IDX(tc.magic, tc.dims, floatBody(odd...))
			n := int(tc.dims[0])
			labels := testfile.IDX(idxLabelsMagic, []uint32{uint32(n)}, []byte{0, 2, 1, 2, 0, 1, 1, 0}[:n])
			suffix := ""
			if gz {
				images, labels, suffix = testfile.Gzip(images), testfile.Gzip(labels), ".gz"
			}
			dir := t.TempDir()
			writeFile(t, dir, "train-images-idx3-ubyte"+suffix, images)
			writeFile(t, dir, "train-labels-idx1-ubyte"+suffix, labels)
			src, err := Open(dir, OpenOptions{})
			if err != nil {
				t.Fatalf("%s (gzip %v): %v", tc.name, gz, err)
			}
			d := src.Train
			if !sameBits(d.X, odd) || !slices.Equal(d.Shape, tc.wantShape) || d.RawMax != 0 || d.Kind != Image || d.Len() != n {
				t.Errorf("%s (gzip %v): X %v shape %v RawMax %v kind %s, %d examples; want X %v shape %v RawMax 0, %d examples",
					tc.name, gz, d.X, d.Shape, d.RawMax, d.Kind, d.Len(), odd, tc.wantShape, n)
			}
		}
	}
}

// TestIDXFloat32Errors: a float32 file that is short, not finite or fed
// to a reader of bytes fails with an error naming the file and the place.
func TestIDXFloat32Errors(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(-1))
	tests := []struct {
		name  string
		file  []byte
		n     int  // the images the header announces
		bytes bool // read with ReadIDXImages, which takes unsigned bytes only
		want  []string
	}{
		{"NaN pixel", testfile.IDX(idxFloatImagesMagic, []uint32{2, 1, 2}, floatBody(0, 1, 2, nan)), 2, false,
			[]string{"IDX value 3", "byte offset 28", "image 1", "NaN", "finite"}},
		{"infinite pixel", testfile.IDX(idxFloatChannelsMagic, []uint32{1, 1, 1, 2}, floatBody(inf, 1)), 1, false,
			[]string{"IDX value 0", "byte offset 20", "-Inf"}},
		{"half a float short", testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 2}, floatBody(1, 2)[:6]), 1, false,
			[]string{"truncated IDX body", "8 bytes of data", "2 bytes short"}},
		{"a float too many", testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 1}, floatBody(1, 2)), 1, false,
			[]string{"longer than its header announces", "want 4 (4 bytes too many)"}},
		{"gzipped, half a float short", testfile.Gzip(testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 2}, floatBody(1, 2)[:6])), 1, false,
			[]string{"truncated IDX body at byte offset 22 of the uncompressed data", "2 bytes short"}},
		{"float32 labels", testfile.IDX(0x00000d01, []uint32{1}, floatBody(1)), 1, false,
			[]string{"wrong IDX magic number 0x00000d01", "want 0x00000803 (IDX images: unsigned bytes, 3 dimensions) or 0x00000d03 (IDX images: float32, 3 dimensions) or 0x00000d04"}},
		{"float32 to a reader of bytes", testfile.IDX(idxFloatImagesMagic, []uint32{1, 1, 1}, floatBody(1)), 1, true,
			[]string{"wrong IDX magic number 0x00000d03", "want 0x00000803 (IDX images: unsigned bytes, 3 dimensions)"}},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		path := writeFile(t, dir, "train-images-idx3-ubyte", tc.file)
		var err error
		if tc.bytes {
			_, _, err = ReadIDXImages(path)
		} else {
			writeFile(t, dir, "train-labels-idx1-ubyte", testfile.IDX(idxLabelsMagic, []uint32{uint32(tc.n)}, make([]byte, tc.n)))
			_, err = Open(dir, OpenOptions{})
		}
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		for _, w := range append(tc.want, path) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tc.name, err, w)
			}
		}
	}
}

// decodeFloats is the float32 values of the body bytes b (big-endian),
// decoded apart from the reader under test.
func decodeFloats(b []byte) []float32 {
	x := make([]float32, len(b)/4)
	for i := range x {
		x[i] = math.Float32frombits(uint32(b[4*i])<<24 | uint32(b[4*i+1])<<16 | uint32(b[4*i+2])<<8 | uint32(b[4*i+3]))
	}
	return x
}
