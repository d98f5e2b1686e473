package inputlog

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// format is how the examples of one model version are stored: a CSV for
// a tabular model, an IDX directory for an image model.
type format interface {
	// rowSize is the values of one example as LogInputs gets it.
	rowSize() int
	// missingAllowed says whether NaN stands for a missing value.
	missingAllowed() bool
	// missingHint follows the error for a non-finite value.
	missingHint() string
	// dataName is the final name of data file number n.
	dataName(n int) string
	// create starts a data file under its hidden name path.
	create(path string) (dataWriter, error)
}

// dataWriter writes the examples of one data file.
type dataWriter interface {
	write(row []float32, class int) error
	// finish flushes and syncs the file, still under its hidden name.
	finish() error
	// abort closes and removes the file.
	abort()
}

// newFormat is the format of a model's inputs.
func newFormat(in model.InputSchema, classes []string) (format, error) {
	switch in.Kind {
	case data.Tabular:
		return newTabular(in, classes)
	case data.Image:
		return newImages(in, classes)
	}
	return nil, fmt.Errorf("input kind %q: inputs are kept for tabular and image models only", in.Kind)
}

// tabularFormat writes a CSV in the training CSV's format.
type tabularFormat struct {
	header  []string
	ignored int // the empty cells before the features
	delim   rune
	size    int
	classes []string
	missing bool
}

func newTabular(in model.InputSchema, classes []string) (*tabularFormat, error) {
	size := data.ShapeSize(in.Shape)
	if in.Missing != nil {
		size = len(in.Missing.Columns)
	}
	if len(in.FeatureNames) != size || size == 0 {
		return nil, fmt.Errorf("%d feature names for examples of %d values: the CSV's header cannot name its columns", len(in.FeatureNames), size)
	}
	delim, err := data.ParseDelimiter(in.Delimiter)
	if err != nil {
		return nil, fmt.Errorf("the training CSV's delimiter: %w", err)
	}
	header := slices.Concat(in.IgnoredColumns, in.FeatureNames)
	label := in.LabelColumn
	for i := 2; label == "" || slices.Contains(header, label); i++ {
		label = "label"
		if i > 2 {
			label = "label_" + strconv.Itoa(i-1)
		}
	}
	return &tabularFormat{header: append(header, label), ignored: len(in.IgnoredColumns), delim: delim, size: size,
		classes: classes, missing: in.Missing != nil}, nil
}

func (t *tabularFormat) rowSize() int          { return t.size }
func (t *tabularFormat) missingAllowed() bool  { return t.missing }
func (t *tabularFormat) dataName(n int) string { return baseName(n) + ".csv" }

func (t *tabularFormat) missingHint() string {
	if t.missing {
		return " or NaN for a missing cell"
	}
	return " (the model fills no missing cell)"
}

func (t *tabularFormat) create(path string) (dataWriter, error) {
	f, err := createPart(path)
	if err != nil {
		return nil, err
	}
	w := &csvWriter{tabularFormat: t, file: f, csv: csv.NewWriter(f), cells: make([]string, len(t.header))}
	w.csv.Comma = t.delim
	if err := w.csv.Write(t.header); err != nil {
		f.abort()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return w, nil
}

// csvWriter writes the rows of one CSV.
type csvWriter struct {
	*tabularFormat
	file  *partFile
	csv   *csv.Writer
	cells []string
}

func (w *csvWriter) write(row []float32, class int) error {
	cells := w.cells[w.ignored:]
	for j, v := range row {
		cells[j] = ""
		if !math.IsNaN(float64(v)) {
			cells[j] = strconv.FormatFloat(float64(v), 'g', -1, 32)
		}
	}
	cells[len(row)] = w.classes[class]
	if err := w.csv.Write(w.cells); err != nil {
		return fmt.Errorf("writing %s: %w", w.file.path, err)
	}
	return nil
}

func (w *csvWriter) finish() error {
	w.csv.Flush()
	if err := w.csv.Error(); err != nil {
		w.file.abort()
		return fmt.Errorf("writing %s: %w", w.file.path, err)
	}
	return w.file.finish(nil)
}

func (w *csvWriter) abort() { w.file.abort() }

// IDX magic numbers of the files an image directory holds (see
// data.OpenIDXDir): float32 images of three or four dimensions, and
// unsigned-byte labels.
const (
	idxFloatImages   = 0x00000d03
	idxFloatChannels = 0x00000d04
	idxLabels        = 0x00000801
)

// The names of an IDX directory's training files.
const (
	idxImagesFile = "train-images-idx3-ubyte"
	idxLabelsFile = "train-labels-idx1-ubyte"
)

// imageFormat writes IDX directories of float32 images.
type imageFormat struct {
	shape []int // C, H, W
}

func newImages(in model.InputSchema, classes []string) (*imageFormat, error) {
	if len(in.Shape) != 3 || slices.Min(in.Shape) < 1 || in.Shape[1] > 1<<16 || in.Shape[2] > 1<<16 {
		return nil, fmt.Errorf("image shape %v: want C, H, W, each at least 1 and H, W at most %d", in.Shape, 1<<16)
	}
	if len(classes) > 256 {
		return nil, fmt.Errorf("%d classes: the labels of an IDX directory are bytes, 256 classes at most", len(classes))
	}
	return &imageFormat{shape: slices.Clone(in.Shape)}, nil
}

func (m *imageFormat) rowSize() int          { return data.ShapeSize(m.shape) }
func (m *imageFormat) missingAllowed() bool  { return false }
func (m *imageFormat) missingHint() string   { return "" }
func (m *imageFormat) dataName(n int) string { return baseName(n) }

// imagesHeader is the IDX header of n images: three dimensions for one
// channel, as MNIST's, four for more.
func (m *imageFormat) imagesHeader(n int) []byte {
	magic, dims := uint32(idxFloatImages), m.shape[1:]
	if m.shape[0] > 1 {
		magic, dims = idxFloatChannels, m.shape
	}
	b := binary.BigEndian.AppendUint32(nil, magic)
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return b
}

// labelsHeader is the IDX header of n labels.
func labelsHeader(n int) []byte {
	return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil, idxLabels), uint32(n))
}

func (m *imageFormat) create(path string) (dataWriter, error) {
	if err := os.Mkdir(path, 0o755); err != nil {
		return nil, err
	}
	w := &idxWriter{format: m, dir: path}
	var err error
	if w.images, err = createPart(filepath.Join(path, idxImagesFile)); err == nil {
		w.labels, err = createPart(filepath.Join(path, idxLabelsFile))
	}
	// The counts are 0 until finish writes them: a file cut short by a
	// crash is refused by the readers.
	if err == nil {
		_, err = w.images.Write(m.imagesHeader(0))
	}
	if err == nil {
		_, err = w.labels.Write(labelsHeader(0))
	}
	if err != nil {
		w.abort()
		return nil, fmt.Errorf("writing %s: %w", path, err)
	}
	return w, nil
}

// idxWriter writes the images and labels of one IDX directory.
type idxWriter struct {
	format         *imageFormat
	dir            string
	images, labels *partFile
	n              int
	buf            []byte
}

func (w *idxWriter) write(row []float32, class int) error {
	w.buf = w.buf[:0]
	for _, v := range row {
		w.buf = binary.BigEndian.AppendUint32(w.buf, math.Float32bits(v))
	}
	if _, err := w.images.Write(w.buf); err != nil {
		return fmt.Errorf("writing %s: %w", w.images.path, err)
	}
	if err := w.labels.WriteByte(byte(class)); err != nil {
		return fmt.Errorf("writing %s: %w", w.labels.path, err)
	}
	w.n++
	return nil
}

func (w *idxWriter) finish() error {
	err := w.images.finish(w.format.imagesHeader(w.n))
	if err == nil {
		err = w.labels.finish(labelsHeader(w.n))
	}
	if err != nil {
		w.abort()
	}
	return err
}

// abort removes the directory and what it holds.
func (w *idxWriter) abort() {
	for _, f := range []*partFile{w.images, w.labels} {
		if f != nil {
			f.abort()
		}
	}
	os.Remove(w.dir)
}

// partFile is a file written under its hidden name through a buffer.
type partFile struct {
	*bufio.Writer
	path string
	f    *os.File
}

// createPart creates path, which must not exist.
func createPart(path string) (*partFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	return &partFile{Writer: bufio.NewWriterSize(f, 1<<16), path: path, f: f}, nil
}

// finish flushes the buffer, writes header (when not nil) over the start
// of the file, syncs and closes it.
func (p *partFile) finish(header []byte) error {
	err := p.Flush()
	if err == nil && header != nil {
		_, err = p.f.WriteAt(header, 0)
	}
	if err == nil {
		err = p.f.Sync()
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(p.path)
		return fmt.Errorf("writing %s: %w", p.path, err)
	}
	return nil
}

// abort closes and removes the file (whether finished or not).
func (p *partFile) abort() {
	p.f.Close()
	os.Remove(p.path)
}
