package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// IDX magic numbers: two zero bytes, the element type (0x08: unsigned
// byte, 0x0D: big-endian IEEE float32) and the number of dimensions.
const (
	idxImagesMagic = 0x00000803
	idxLabelsMagic = 0x00000801
	// idxFloatImagesMagic (N, H, W) and idxFloatChannelsMagic (N, C, H,
	// W) hold float32 images: raw values kept exactly, whatever their
	// scale, such as the 0..16 pixels of the digits a server received.
	idxFloatImagesMagic   = 0x00000d03
	idxFloatChannelsMagic = 0x00000d04
	// maxIDXSide caps the height and width of IDX images.
	maxIDXSide = 1 << 16
)

// idxDatasetImages are the image files an IDX directory may hold: the
// unsigned bytes of MNIST and float32 images of one or more channels.
var idxDatasetImages = []uint32{idxImagesMagic, idxFloatImagesMagic, idxFloatChannelsMagic}

// FashionMNISTClasses returns the class names of Fashion-MNIST, by label
// (a new slice: callers may keep or change it).
func FashionMNISTClasses() []string {
	return []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}
}

// MNISTClasses returns the class names of MNIST, by label ("0" to "9").
func MNISTClasses() []string { return numberedClasses(10) }

// ReadIDXImages reads an IDX file of unsigned-byte images (magic
// 0x00000803, dimensions N, H, W), gzipped or raw (detected by the gzip
// magic bytes, not the name), within the default Limits. It returns the
// pixels as raw 0..255 values and the shape [N 1 H W]. The header is
// checked before anything is allocated: a wrong magic, absurd dimensions,
// more values than Limits.MaxIDXValues, or a body shorter or longer than
// the header announces are errors naming the file (and the byte offset
// where a truncated body ends).
func ReadIDXImages(path string) (x []float32, shape []int, err error) {
	f, err := Limits{}.OpenIDXImages(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return f.Images()
}

// ReadIDXLabels reads an IDX file of unsigned-byte labels (magic
// 0x00000801, one dimension N), gzipped or raw, with the checks of
// ReadIDXImages.
func ReadIDXLabels(path string) ([]int, error) {
	f, err := Limits{}.OpenIDXLabels(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Labels()
}

// IDXFile is an open IDX file whose header has been read and checked, and
// its body not yet: a caller compares the header with what it expects (a
// number of labels, a model's image size) before paying for the body.
type IDXFile struct {
	// Path names the file in messages.
	Path string
	// Dims are the dimensions the header announces: N, H, W for images
	// (N, C, H, W for float32 images of several channels), N for labels.
	Dims  []int
	f     *dataFile
	magic uint32
}

// OpenIDXImages opens an IDX images file (see ReadIDXImages) and reads
// its header, refusing one that announces more than l allows.
func (l Limits) OpenIDXImages(path string) (*IDXFile, error) {
	return l.openIDX(path, "images", idxImagesMagic)
}

// OpenIDXLabels opens an IDX labels file (see ReadIDXLabels) and reads its
// header, refusing one that announces more than l allows.
func (l Limits) OpenIDXLabels(path string) (*IDXFile, error) {
	return l.openIDX(path, "labels", idxLabelsMagic)
}

// openIDX opens an IDX file whose magic number is one of accepted.
func (l Limits) openIDX(path, what string, accepted ...uint32) (*IDXFile, error) {
	f, err := openData(path)
	if err != nil {
		return nil, err
	}
	x, err := l.idxHeader(f, path, what, accepted...)
	if err != nil {
		f.Close()
		return nil, err
	}
	return x, nil
}

// idxHeader reads the header of an opened file, whose magic number must
// be one of accepted, and checks the size it announces against l; path is
// for messages.
func (l Limits) idxHeader(f *dataFile, path, what string, accepted ...uint32) (*IDXFile, error) {
	magic, dims, err := readIDXHeader(f, path, what, accepted)
	if err != nil {
		return nil, err
	}
	if magic != idxLabelsMagic {
		if h, w := dims[len(dims)-2], dims[len(dims)-1]; h > maxIDXSide || w > maxIDXSide {
			return nil, fmt.Errorf("%s: IDX images of %d×%d pixels; each side must be in [1, %d]", path, h, w, maxIDXSide)
		}
	}
	// A float32 takes 4 bytes: the byte count must fit in an int64 too.
	limit := min(l.maxIDXValues(), math.MaxInt64/4)
	n := int64(1)
	for _, d := range dims {
		// Divide rather than multiply: three uint32 dimensions can
		// overflow int64.
		if int64(d) > limit/n {
			return nil, fmt.Errorf("%s: IDX header announces %s of %v, more than %d values (the limit of data.Limits.MaxIDXValues)", path, what, dims, limit)
		}
		n *= int64(d)
	}
	return &IDXFile{Path: path, Dims: dims, f: f, magic: magic}, nil
}

// Images reads the body of an images file: its pixels and the shape
// [N C H W], C being 1 for a file of three dimensions. Unsigned bytes
// give raw 0..255 values; float32 values are returned exactly as stored,
// and must be finite.
func (x *IDXFile) Images() ([]float32, []int, error) {
	if x.magic == idxLabelsMagic {
		return nil, nil, fmt.Errorf("%s: an IDX labels file, not images", x.Path)
	}
	shape := append([]int{x.Dims[0], 1}, x.Dims[len(x.Dims)-2:]...)
	if len(x.Dims) == 4 {
		shape[1] = x.Dims[1]
	}
	offset := int64(4 + 4*len(x.Dims))
	n := int64(ShapeSize(shape))
	if x.magic == idxImagesMagic {
		px, err := readIDXBody(x.f, x.Path, n, offset, 1, decodeIDXBytes[float32])
		if err != nil {
			return nil, nil, err
		}
		return px, shape, nil
	}
	px, err := readIDXBody(x.f, x.Path, n, offset, 4, decodeIDXFloats)
	if err != nil {
		return nil, nil, err
	}
	for i, v := range px {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, nil, fmt.Errorf("%s: IDX value %d (byte offset %d, image %d) is %v; images must be finite", x.Path, i, offset+4*int64(i), i/ShapeSize(shape[1:]), v)
		}
	}
	return px, shape, nil
}

// rawMax is the pixel scale of an images file: 255 for unsigned bytes,
// and 0, unknown, for float32 values, which are kept as they are.
func (x *IDXFile) rawMax() float32 {
	if x.magic == idxImagesMagic {
		return 255
	}
	return 0
}

// Labels reads the body of a labels file.
func (x *IDXFile) Labels() ([]int, error) {
	if x.magic != idxLabelsMagic {
		return nil, fmt.Errorf("%s: an IDX images file, not labels", x.Path)
	}
	return readIDXBody(x.f, x.Path, int64(x.Dims[0]), 8, 1, decodeIDXBytes[int])
}

// Close closes the file.
func (x *IDXFile) Close() error { return x.f.Close() }

// readIDXImages reads an opened IDX images file; path is for messages.
func (l Limits) readIDXImages(f *dataFile, path string) ([]float32, []int, error) {
	x, err := l.idxHeader(f, path, "images", idxImagesMagic)
	if err != nil {
		return nil, nil, err
	}
	return x.Images()
}

// readIDXLabels reads an opened IDX labels file; path is for messages.
func (l Limits) readIDXLabels(f *dataFile, path string) ([]int, error) {
	x, err := l.idxHeader(f, path, "labels", idxLabelsMagic)
	if err != nil {
		return nil, err
	}
	return x.Labels()
}

// OpenIDX reads a pair of IDX image and label files into an image dataset
// of shape [C H W], within the default Limits. The images are unsigned
// bytes (C is 1, RawMax 255) or float32 values of three dimensions (C is
// 1) or four (N, C, H, W), kept exactly and of unknown scale (RawMax 0,
// which tells inference not to rescale them). classes
// name the labels; when nil they are "0".."(largest label)". The two files
// must hold as many examples, which their headers tell before either body
// is read.
func OpenIDX(imagesPath, labelsPath string, classes []string) (*Dataset, error) {
	return Limits{}.OpenIDX(imagesPath, labelsPath, classes)
}

// OpenIDX is OpenIDX within l.
func (l Limits) OpenIDX(imagesPath, labelsPath string, classes []string) (*Dataset, error) {
	d, err := l.readIDXPair(imagesPath, labelsPath)
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
// both splits. It reads within the default Limits.
func OpenIDXDir(dir string, classes []string) (*Source, error) {
	return Limits{}.OpenIDXDir(dir, classes)
}

// OpenIDXDir is OpenIDXDir within l.
func (l Limits) OpenIDXDir(dir string, classes []string) (*Source, error) {
	files, err := findIDX(dir)
	if err != nil {
		return nil, err
	}
	if files == nil {
		return nil, fmt.Errorf("%s: no IDX files (want %s and %s, optionally gzipped)", dir, idxName("train", "images"), idxName("train", "labels"))
	}
	src := &Source{}
	if src.Train, err = l.readIDXPair(files.trainImages, files.trainLabels); err != nil {
		return nil, err
	}
	if files.testImages != "" {
		if src.Test, err = l.readIDXPair(files.testImages, files.testLabels); err != nil {
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

// readIDXPair reads matching image and label files, without classes. Both
// headers are read before either body, so that a count mismatch costs
// nothing.
func (l Limits) readIDXPair(imagesPath, labelsPath string) (*Dataset, error) {
	images, err := l.openIDX(imagesPath, "images", idxDatasetImages...)
	if err != nil {
		return nil, err
	}
	defer images.Close()
	labels, err := l.OpenIDXLabels(labelsPath)
	if err != nil {
		return nil, err
	}
	defer labels.Close()
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("IDX count mismatch: %s has %d images but %s has %d labels", imagesPath, images.Dims[0], labelsPath, labels.Dims[0])
	}
	x, shape, err := images.Images()
	if err != nil {
		return nil, err
	}
	y, err := labels.Labels()
	if err != nil {
		return nil, err
	}
	return &Dataset{Source: imagesPath, Kind: Image, Shape: shape[1:], X: x, Y: y, RawMax: images.rawMax()}, nil
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

// readIDXHeader reads the magic number, which must be one of accepted,
// and the dimensions of an IDX file.
func readIDXHeader(r io.Reader, path, what string, accepted []uint32) (uint32, []int, error) {
	var m [4]byte
	if k, err := io.ReadFull(r, m[:]); err != nil {
		return 0, nil, fmt.Errorf("%s: too short for an IDX file (%d bytes); want IDX %s", path, k, what)
	}
	magic := binary.BigEndian.Uint32(m[:])
	if !slices.Contains(accepted, magic) {
		want := make([]string, len(accepted))
		for i, a := range accepted {
			want[i] = fmt.Sprintf("0x%08x (IDX %s: %s, %d dimensions)", a, what, idxElementName(a), a&0xff)
		}
		if m[0] != 0 || m[1] != 0 {
			return 0, nil, fmt.Errorf("%s: not an IDX file: magic number 0x%08x, want %s", path, magic, strings.Join(want, " or "))
		}
		return 0, nil, fmt.Errorf("%s: wrong IDX magic number 0x%08x (element type 0x%02x, %d dimensions), want %s", path, magic, m[2], m[3], strings.Join(want, " or "))
	}
	nd := int(magic & 0xff)
	buf := make([]byte, 4*nd)
	if k, err := io.ReadFull(r, buf); err != nil {
		return 0, nil, fmt.Errorf("%s: truncated IDX header at byte offset %d: want %d dimension bytes", path, 4+k, 4*nd)
	}
	dims := make([]int, nd)
	for i := range dims {
		v := binary.BigEndian.Uint32(buf[4*i:])
		if v == 0 {
			return 0, nil, fmt.Errorf("%s: IDX dimension %d is 0; want at least 1", path, i)
		}
		dims[i] = int(v)
	}
	return magic, dims, nil
}

// idxElementName names the element type of an IDX magic number.
func idxElementName(magic uint32) string {
	if magic>>8 == 0x0d {
		return "float32"
	}
	return "unsigned bytes"
}

// maxDeflateRatio bounds how many bytes deflate can expand one compressed
// byte into (about 1032), hence the data a gzip file can hold.
const maxDeflateRatio = 1032

// decodeIDXBytes converts unsigned bytes, one value each.
func decodeIDXBytes[T float32 | int](dst []T, src []byte) {
	for i, b := range src {
		dst[i] = T(b)
	}
}

// decodeIDXFloats converts big-endian IEEE float32 values, 4 bytes each.
func decodeIDXFloats(dst []float32, src []byte) {
	for i := range dst {
		dst[i] = math.Float32frombits(binary.BigEndian.Uint32(src[4*i:]))
	}
}

// readIDXBody reads need values of size bytes each after a header of
// offset bytes, converting them with decode a chunk at a time, and
// requires the body to end there: data after it means the header does not
// describe the file. For a raw file the size is checked before
// allocating. A gzipped file cannot hold more than maxDeflateRatio times
// its size, so the output is allocated up to that bound and grows beyond
// it only with the data actually read: a lying header cannot force a huge
// allocation. The decompressed stream is read through a limit of the
// announced bytes and one more, the byte that tells a body longer than
// announced: a small file that expands to gigabytes after its announced
// body costs no more than the body.
func readIDXBody[T float32 | int](f *dataFile, path string, need, offset, size int64, decode func(dst []T, src []byte)) ([]T, error) {
	needBytes := need * size
	capacity := need
	if f.gzipped {
		capacity = min(need, maxDeflateRatio*f.size/size)
	} else if rest := f.size - offset; rest < needBytes {
		return nil, fmt.Errorf("%s: truncated IDX body: the header announces %d bytes of data after its %d bytes, but the file ends at byte offset %d (%d bytes short)", path, needBytes, offset, f.size, needBytes-rest)
	} else if rest > needBytes {
		return nil, fmt.Errorf("%s: IDX body longer than its header announces: %d bytes of data after its %d bytes, want %d (%d bytes too many)", path, rest, offset, needBytes, rest-needBytes)
	}
	r := io.LimitReader(f, needBytes+1)
	out := make([]T, 0, capacity)
	var chunk [1 << 16]byte
	for int64(len(out)) < need {
		want := min(int64(len(chunk)), (need-int64(len(out)))*size)
		k, err := io.ReadFull(r, chunk[:want])
		whole := k / int(size)
		if len(out)+whole > cap(out) {
			grown := make([]T, len(out), min(max(2*int64(cap(out)), int64(len(out)+whole)), need))
			copy(grown, out)
			out = grown
		}
		decode(out[len(out):len(out)+whole], chunk[:whole*int(size)])
		out = out[:len(out)+whole]
		if err != nil {
			read := int64(len(out))*size + int64(k%int(size))
			if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
				return nil, fmt.Errorf("%s: truncated IDX body at byte offset %d%s: the header announces %d bytes of data after its %d bytes (%d bytes short)", path, offset+read, uncompressedNote(f), needBytes, offset, needBytes-read)
			}
			return nil, fmt.Errorf("%s: reading IDX data at byte offset %d%s: %w", path, offset+read, uncompressedNote(f), err)
		}
	}
	if f.gzipped {
		// One byte more is data the header does not announce; the end of
		// the stream instead verifies its checksum.
		var one [1]byte
		k, err := io.ReadFull(r, one[:])
		switch {
		case k > 0:
			return nil, fmt.Errorf("%s: IDX body longer than its header announces: data goes on past byte offset %d%s, where the %d announced bytes after the %d-byte header end", path, offset+needBytes, uncompressedNote(f), needBytes, offset)
		case !errors.Is(err, io.EOF):
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
