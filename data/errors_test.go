package data

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/practica-ml/practica/internal/testfile"
)

// TestBadInputs checks that each kind of bad input is an error naming the
// file and the specific problem.
func TestBadInputs(t *testing.T) {
	garbage := make([]byte, 4096)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range garbage {
		garbage[i] = byte(r.IntN(256))
	}
	tests := []struct {
		name string
		// setup writes the fixture into dir and loads it.
		setup func(t *testing.T, dir string) error
		// parts must all appear in the error; "FILE" is replaced by the
		// fixture's base name.
		parts []string
	}{
		{"ragged CSV row", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "ragged.csv", []byte("a,b,y\n1,2,x\n3,4\n5,6,x\n")), "")
			return err
		}, []string{"ragged.csv:3", "2 fields", "expected 3"}},
		{"non-numeric feature", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "word.csv", []byte("a,b,y\n1,2,x\n3,four,y\n")), "")
			return err
		}, []string{"word.csv:3", `"b"`, `"four"`, "not a number"}},
		{"NaN feature", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "nan.csv", []byte("a,b,y\n1,2,x\nNaN,4,y\n")), "")
			return err
		}, []string{"nan.csv:3", `"a"`, "NaN", "non-finite"}},
		{"Inf feature", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "inf.csv", []byte("a,b,y\n1,2,x\n3,-Inf,y\n")), "")
			return err
		}, []string{"inf.csv:3", `"b"`, "-Inf", "non-finite"}},
		{"beyond float32", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "big.csv", []byte("a,b,y\n1,2,x\n3,1e39,y\n")), "")
			return err
		}, []string{"big.csv:3", "1e39", "non-finite"}},
		{"binary garbage as CSV", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "garbage.csv", garbage), "")
			return err
		}, []string{"garbage.csv", "binary", "not a CSV"}},
		{"CSV without header", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "nohead.csv", []byte("1,2,3\n4,5,6\n")), "")
			return err
		}, []string{"nohead.csv", "no header"}},
		{"empty CSV", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "empty.csv", nil), "")
			return err
		}, []string{"empty.csv", "empty file"}},
		{"CSV header only", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "head.csv", []byte("a,b,y\n")), "")
			return err
		}, []string{"head.csv", "no data rows"}},
		{"CSV single class", func(t *testing.T, dir string) error {
			_, err := ReadCSV(writeFile(t, dir, "one.csv", []byte("a,y\n1,x\n2,x\n")), "")
			return err
		}, []string{"one.csv", "1 class"}},
		{"IDX wrong magic", func(t *testing.T, dir string) error {
			_, _, err := ReadIDXImages(writeFile(t, dir, "magic-idx3-ubyte", testfile.IDX(0x00000801, []uint32{3}, []byte{1, 2, 3})))
			return err
		}, []string{"magic-idx3-ubyte", "magic number 0x00000801", "want 0x00000803"}},
		{"IDX not IDX at all", func(t *testing.T, dir string) error {
			_, err := ReadIDXLabels(writeFile(t, dir, "text-idx1-ubyte", []byte("hello world")))
			return err
		}, []string{"text-idx1-ubyte", "not an IDX file"}},
		{"IDX truncated body", func(t *testing.T, dir string) error {
			_, _, err := ReadIDXImages(writeFile(t, dir, "short-idx3-ubyte", testfile.IDX(idxImagesMagic, []uint32{2, 3, 3}, make([]byte, 10))))
			return err
		}, []string{"short-idx3-ubyte", "truncated", "byte offset 26", "8 bytes short"}},
		{"IDX truncated gzipped body", func(t *testing.T, dir string) error {
			_, _, err := ReadIDXImages(writeFile(t, dir, "short-idx3-ubyte.gz", testfile.Gzip(testfile.IDX(idxImagesMagic, []uint32{2, 3, 3}, make([]byte, 10)))))
			return err
		}, []string{"short-idx3-ubyte.gz", "truncated", "byte offset 26", "uncompressed"}},
		{"IDX gzip checksum mismatch", func(t *testing.T, dir string) error {
			b := testfile.Gzip(testfile.IDX(idxLabelsMagic, []uint32{3}, []byte{0, 1, 2}))
			b[len(b)-8] ^= 0xff
			_, err := ReadIDXLabels(writeFile(t, dir, "crc-idx1-ubyte.gz", b))
			return err
		}, []string{"crc-idx1-ubyte.gz", "corrupt gzip", "checksum"}},
		{"IDX truncated header", func(t *testing.T, dir string) error {
			_, _, err := ReadIDXImages(writeFile(t, dir, "hdr-idx3-ubyte", testfile.IDX(idxImagesMagic, []uint32{2}, nil)))
			return err
		}, []string{"hdr-idx3-ubyte", "truncated IDX header", "byte offset 8"}},
		{"IDX huge dimensions", func(t *testing.T, dir string) error {
			_, _, err := ReadIDXImages(writeFile(t, dir, "huge-idx3-ubyte.gz", testfile.Gzip(testfile.IDX(idxImagesMagic, []uint32{1 << 30, 1000, 1000}, nil))))
			return err
		}, []string{"huge-idx3-ubyte.gz", "more than 1073741824 values", "MaxIDXValues"}},
		{"IDX lying gzipped header", func(t *testing.T, dir string) error {
			_, _, err := ReadIDXImages(writeFile(t, dir, "lie-idx3-ubyte.gz", testfile.Gzip(testfile.IDX(idxImagesMagic, []uint32{1 << 18, 40, 40}, make([]byte, 100)))))
			return err
		}, []string{"lie-idx3-ubyte.gz", "truncated", "byte offset 116"}},
		{"IDX images/labels count mismatch", func(t *testing.T, dir string) error {
			images, _ := idxPair(t, dir, "train", 5, 2, 2, 2, false)
			labels := writeFile(t, dir, "other-labels-idx1-ubyte", testfile.IDX(idxLabelsMagic, []uint32{4}, []byte{0, 1, 0, 1}))
			_, err := OpenIDX(images, labels, nil)
			return err
		}, []string{"train-images-idx3-ubyte", "5 images", "other-labels-idx1-ubyte", "4 labels"}},
		{"IDX directory without labels", func(t *testing.T, dir string) error {
			images, labels := idxPair(t, dir, "train", 5, 2, 2, 2, true)
			os.Remove(labels)
			_ = images
			_, err := Open(dir, OpenOptions{})
			return err
		}, []string{"train-images-idx3-ubyte.gz", "no train-labels-idx1-ubyte"}},
		{"IDX label beyond classes", func(t *testing.T, dir string) error {
			images, labels := idxPair(t, dir, "train", 5, 2, 2, 4, false)
			_, err := OpenIDX(images, labels, []string{"a", "b"})
			return err
		}, []string{"train-labels-idx1-ubyte", "label 2", "outside the 2 classes"}},
		{"empty image folder", func(t *testing.T, dir string) error {
			root := filepath.Join(dir, "emptyfolder")
			os.Mkdir(root, 0o755)
			_, err := Open(root, OpenOptions{})
			return err
		}, []string{"emptyfolder", "no class subdirectories"}},
		{"class folder without images", func(t *testing.T, dir string) error {
			writeFile(t, dir, "imgs/cat/a.png", pngBytes(t, greyImage(4, 4, func(x, y int) uint8 { return 1 })))
			writeFile(t, dir, "imgs/dog/readme.txt", []byte("no images here"))
			_, err := Open(filepath.Join(dir, "imgs"), OpenOptions{})
			return err
		}, []string{filepath.Join("imgs", "dog"), "no .png"}},
		{"undecodable image", func(t *testing.T, dir string) error {
			writeFile(t, dir, "imgs/cat/a.png", pngBytes(t, greyImage(4, 4, func(x, y int) uint8 { return 1 })))
			writeFile(t, dir, "imgs/dog/broken.jpg", garbage[:100])
			_, err := Open(filepath.Join(dir, "imgs"), OpenOptions{})
			return err
		}, []string{"broken.jpg", "cannot decode"}},
		{"labels file with wrong count", func(t *testing.T, dir string) error {
			csv := writeFile(t, dir, "d.csv", []byte("a,y\n1,x\n2,y\n3,x\n"))
			labels := writeFile(t, dir, "labels.txt", []byte("x\ny\n"))
			_, err := Open(csv, OpenOptions{LabelsFile: labels})
			return err
		}, []string{"labels.txt", "2 labels", "3 examples"}},
		{"indexed labels file past the examples", func(t *testing.T, dir string) error {
			csv := writeFile(t, dir, "d.csv", []byte("a,y\n1,x\n2,y\n3,x\n"))
			labels := writeFile(t, dir, "labels.csv", []byte("index,label\n0,x\n1,y\n2,x\n3,y\n"))
			_, err := Open(csv, OpenOptions{LabelsFile: labels})
			return err
		}, []string{"labels.csv:5", `index "3"`, "[0, 3)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.setup(t, t.TempDir())
			t.Log(err)
			wantErr(t, err, tc.parts...)
		})
	}
}
