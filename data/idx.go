package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// IDX magic numbers: two zero bytes, the element type (0x08: unsigned
// byte) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
	// maxIDXValues caps the number of values an IDX header may announce.
	maxIDXValues = 1 << 31
	// maxIDXSide caps the height and width of IDX images.
	maxIDXSide = 1 << 16
)

// FashionMNISTClasses returns the class names of Fashion-MNIST, by label
// (a new slice: callers may keep or change it).
func FashionMNISTClasses() []string {
	return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
}

// MNISTClasses returns the class names of MNIST, by label ("0" to "9").
func MNISTClasses() []string { return numberedClasses(10) }

// ReadIDXImages reads an IDX file of unsigned-byte images (magic
// 0x00000803, dimensions N, H, W), gzipped or raw (detected by the gzip
// magic bytes, not the name). It returns the pixels as raw 0..255 values
// and the shape [N 1 H W]. The header is checked before anything is
// allocated: a wrong magic, absurd dimensions or a body shorter than the
// header announces are errors naming the file (and the byte offset where a
// truncated body ends).
func ReadIDXImages(path string) (x []float32, shape []int, err error) {
	f, err := openData(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return readIDXImages(f, path)
}

// readIDXImages is ReadIDXImages on an opened file; path is for messages.
func readIDXImages(f *dataFile, path string) (x []float32, shape []int, err error) {
	dims, err := readIDXHeader(f, path, idxImagesMagic, "images")
	if err != nil {
		return nil, nil, err
	}
	n, h, w := dims[0], dims[1], dims[2]
	if h < 1 || w < 1 || h > maxIDXSide || w > maxIDXSide {
		return nil, nil, fmt.Errorf("%s: IDX images of %d×%d pixels; each side must be in [1, %d]", path, h, w, maxIDXSide)
	}
	if n > maxIDXValues/(h*w) {
		return nil, nil, fmt.Errorf("%s: IDX header announces %d images of %d×%d, more than %d values", path, n, h, w, maxIDXValues)
	}
	x, err = readIDXBody[float32](f, path, int64(n*h*w), 16)
	if err != nil {
		return nil, nil, err
	}
	return x, []int{n, 1, h, w}, nil
}

// ReadIDXLabels reads an IDX file of unsigned-byte labels (magic
// 0x00000801, one dimension N), gzipped or raw, with the checks of
// ReadIDXImages.
func ReadIDXLabels(path string) ([]int, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readIDXLabels(f, path)
}

// readIDXLabels is ReadIDXLabels on an opened file; path is for messages.
func readIDXLabels(f *dataFile, path string) ([]int, error) {
	dims, err := readIDXHeader(f, path, idxLabelsMagic, "labels")
	if err != nil {
		return nil, err
	}
	return readIDXBody[int](f, path, int64(dims[0]), 8)
}

// OpenIDX reads a pair of IDX image and label files into an image dataset
// of shape [1 H W] with RawMax 255. classes name the labels; when nil they
// are "0".."(largest label)". The two files must hold as many examples.
func OpenIDX(imagesPath, labelsPath string, classes []string) (*Dataset, error) {
	d, err := readIDXPair(imagesPath, labelsPath)
	if err != nil {
		return nil, err
	}
	if classes == nil {
		classes = numberedClasses(maxLabel(d.Y) + 1)
	}
	if err := setIDXClasses(d, labelsPath, classes); err != nil {
		return nil, err
	}
	return d, nil
}

// OpenIDXDir reads a directory holding train-images-idx3-ubyte and
// train-labels-idx1-ubyte (each optionally .gz, or with a dot before
// "idx") and, when present, the t10k-* test pair, which becomes Test.
// classes name the labels; when nil they are "0".."(largest label)" over
// both splits.
func OpenIDXDir(dir string, classes []string) (*Source, error) {
	files, err := findIDX(dir)
	if err != nil {
		return nil, err
	}
	if files == nil {
		return nil, fmt.Errorf("%s: no IDX files (want %s and %s, optionally gzipped)", dir, idxName("train", "images"), idxName("train", "labels"))
	}
	src := &Source{}
	if src.Train, err = readIDXPair(files.trainImages, files.trainLabels); err != nil {
		return nil, err
	}
	if files.testImages != "" {
		if src.Test, err = readIDXPair(files.testImages, files.testLabels); err != nil {
			return nil, err
		}
	}
	if classes == nil {
		top := maxLabel(src.Train.Y)
		if src.Test != nil {
			top = max(top, maxLabel(src.Test.Y))
		}
		classes = numberedClasses(top + 1)
	}
	if err := setIDXClasses(src.Train, files.trainLabels, classes); err != nil {
		return nil, err
	}
	if src.Test != nil {
		if err := setIDXClasses(src.Test, files.testLabels, classes); err != nil {
			return nil, err
		}
		if !slices.Equal(src.Test.Shape, src.Train.Shape) {
			return nil, fmt.Errorf("%s: test images are %v but training images are %v", files.testImages, src.Test.Shape, src.Train.Shape)
		}
	}
	return src, nil
}

// readIDXPair reads matching image and label files, without classes.
func readIDXPair(imagesPath, labelsPath string) (*Dataset, error) {
	x, shape, err := ReadIDXImages(imagesPath)
	if err != nil {
		return nil, err
	}
	y, err := ReadIDXLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	if len(y) != shape[0] {
		return nil, fmt.Errorf("IDX count mismatch: %s has %d images but %s has %d labels", imagesPath, shape[0], labelsPath, len(y))
	}
	return &Dataset{Source: imagesPath, Kind: Image, Shape: shape[1:], X: x, Y: y, RawMax: 255}, nil
}

// setIDXClasses names the labels of d, checking that each has a name.
func setIDXClasses(d *Dataset, labelsPath string, classes []string) error {
	for i, y := range d.Y {
		if y >= len(classes) {
			return fmt.Errorf("%s: label %d of example %d is outside the %d classes %s", labelsPath, y, i, len(classes), listNames(classes))
		}
	}
	d.Classes = append([]string(nil), classes...)
	return nil
}

// maxLabel is the largest label of y (-1 when empty).
func maxLabel(y []int) int {
	m := -1
	for _, v := range y {
		m = max(m, v)
	}
	return m
}

// readIDXHeader reads and checks the magic number and dimensions of an IDX
// file of unsigned bytes.
func readIDXHeader(r io.Reader, path string, magic uint32, what string) ([]int, error) {
	var m [4]byte
	if k, err := io.ReadFull(r, m[:]); err != nil {
		return nil, fmt.Errorf("%s: too short for an IDX file (%d bytes); want IDX %s", path, k, what)
	}
	got := binary.BigEndian.Uint32(m[:])
	if got != magic {
		if m[0] != 0 || m[1] != 0 {
			return nil, fmt.Errorf("%s: not an IDX file: magic number 0x%08x, want 0x%08x (IDX %s of unsigned bytes)", path, got, magic, what)
		}
		return nil, fmt.Errorf("%s: wrong IDX magic number 0x%08x (element type 0x%02x, %d dimensions), want 0x%08x (IDX %s: unsigned bytes, %d dimensions)", path, got, m[2], m[3], magic, what, magic&0xff)
	}
	nd := int(magic & 0xff)
	buf := make([]byte, 4*nd)
	if k, err := io.ReadFull(r, buf); err != nil {
		return nil, fmt.Errorf("%s: truncated IDX header at byte offset %d: want %d dimension bytes", path, 4+k, 4*nd)
	}
	dims := make([]int, nd)
	for i := range dims {
		v := binary.BigEndian.Uint32(buf[4*i:])
		if v == 0 || v > maxIDXValues {
			return nil, fmt.Errorf("%s: IDX dimension %d is %d; want 1..%d", path, i, v, maxIDXValues)
		}
		dims[i] = int(v)
	}
	return dims, nil
}

// maxDeflateRatio bounds how many bytes deflate can expand one compressed
// byte into (about 1032), hence the data a gzip file can hold.
const maxDeflateRatio = 1032

// readIDXBody reads need unsigned bytes after a header of offset bytes,
// converting them in one pass. For a raw file the size is checked before
// allocating. A gzipped file cannot hold more than maxDeflateRatio times
// its size, so the output is allocated up to that bound and grows beyond
// it only with the data actually read: a lying header cannot force a huge
// allocation.
func readIDXBody[T float32 | int](f *dataFile, path string, need, offset int64) ([]T, error) {
	capacity := need
	if f.gzipped {
		capacity = min(need, maxDeflateRatio*f.size)
	} else if rest := f.size - offset; rest < need {
		return nil, fmt.Errorf("%s: truncated IDX body: the header announces %d bytes of data after its %d bytes, but the file ends at byte offset %d (%d bytes short)", path, need, offset, f.size, need-rest)
	}
	out := make([]T, 0, capacity)
	var chunk [1 << 16]byte
	for int64(len(out)) < need {
		want := min(int64(len(chunk)), need-int64(len(out)))
		k, err := io.ReadFull(f, chunk[:want])
		if len(out)+k > cap(out) {
			grown := make([]T, len(out), min(max(2*int64(cap(out)), int64(len(out)+k)), need))
			copy(grown, out)
			out = grown
		}
		dst := out[len(out) : len(out)+k]
		for i, b := range chunk[:k] {
			dst[i] = T(b)
		}
		out = out[:len(out)+k]
		if err != nil {
			end := offset + int64(len(out))
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: truncated IDX body at byte offset %d%s: the header announces %d bytes of data after its %d bytes (%d bytes short)", path, end, uncompressedNote(f), need, offset, need-int64(len(out)))
			}
			return nil, fmt.Errorf("%s: reading IDX data at byte offset %d%s: %w", path, end, uncompressedNote(f), err)
		}
	}
	if f.gzipped {
		// Reach the end of the gzip stream so that its checksum is verified.
		if _, err := io.Copy(io.Discard, f); err != nil {
			return nil, fmt.Errorf("%s: corrupt gzip data: %w", path, err)
		}
	}
	return out, nil
}

// uncompressedNote qualifies byte offsets into a gzipped file.
func uncompressedNote(f *dataFile) string {
	if f.gzipped {
		return " of the uncompressed data"
	}
	return ""
}

// idxFiles are the paths of the IDX files of a directory; the test paths
// are "" when it has no test split.
type idxFiles struct {
	trainImages, trainLabels, testImages, testLabels string
}

// idxName is the canonical IDX file name for a split and a kind.
func idxName(split, kind string) string {
	if kind == "images" {
		return split + "-images-idx3-ubyte"
	}
	return split + "-labels-idx1-ubyte"
}

// findIDX looks for the IDX files of dir: nil when there are no training
// images, an error when a file of a pair is missing.
func findIDX(dir string) (*idxFiles, error) {
	var files idxFiles
	files.trainImages = findIDXFile(dir, "train", "images")
	if files.trainImages == "" {
		return nil, nil
	}
	files.trainLabels = findIDXFile(dir, "train", "labels")
	if files.trainLabels == "" {
		return nil, fmt.Errorf("%s: has %s but no %s[.gz]", dir, filepath.Base(files.trainImages), idxName("train", "labels"))
	}
	files.testImages = findIDXFile(dir, "t10k", "images")
	files.testLabels = findIDXFile(dir, "t10k", "labels")
	switch {
	case files.testImages != "" && files.testLabels == "":
		return nil, fmt.Errorf("%s: has %s but no %s[.gz]", dir, filepath.Base(files.testImages), idxName("t10k", "labels"))
	case files.testImages == "" && files.testLabels != "":
		return nil, fmt.Errorf("%s: has %s but no %s[.gz]", dir, filepath.Base(files.testLabels), idxName("t10k", "images"))
	}
	return &files, nil
}

// findIDXFile returns the first existing regular file among the accepted
// spellings of an IDX file name, or "".
func findIDXFile(dir, split, kind string) string {
	base := idxName(split, kind)
	dotted := split + "-" + kind + "." + base[len(split)+len(kind)+2:]
	for _, name := range []string{base, base + ".gz", dotted, dotted + ".gz"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	return ""
}
