package inputlog

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/practica-ml/practica/model"
)

// filePrefix starts the name of every file of a stream.
const filePrefix = "inputs-"

// partSuffix ends the hidden name of a file being written.
const partSuffix = ".part"

// stream writes the files of one model version, one at a time.
type stream struct {
	dir     string
	key     streamKey
	in      model.InputSchema
	classes []string
	format  format
	// rowsPerFile is Options.MaxRows, or fewer when the examples are so
	// large that the data sources could not read that many back.
	rowsPerFile int
	sample      float64
	// salt makes the sampling of each model version its own.
	salt uint64

	mu sync.Mutex
	// next is the number of the next file.
	next int
	// offered counts the examples sampling has decided on.
	offered uint64
	// cur is the file being written, nil between files.
	cur    *openFile
	closed bool
}

// openFile is a data file and its sidecar being written.
type openFile struct {
	number int
	data   dataWriter
	meta   *partFile
	enc    *json.Encoder
	rows   int
}

// metaRecord is one line of a sidecar.
type metaRecord struct {
	Row        int     `json:"row"`
	Time       string  `json:"time"`
	Model      string  `json:"model"`
	Version    int     `json:"version"`
	Predicted  string  `json:"predicted"`
	Confidence float64 `json:"confidence"`
}

// newStream checks a model version's schema and finds the number its
// next file takes in dir.
func newStream(dir string, key streamKey, in model.InputSchema, classes []string, opt Options) (*stream, error) {
	f, err := newFormat(in, classes)
	if err != nil {
		return nil, err
	}
	rows := min(opt.MaxRows, maxValuesPerFile/f.rowSize())
	if rows < 1 {
		return nil, fmt.Errorf("one example holds %d values, more than a file may (%d)", f.rowSize(), maxValuesPerFile)
	}
	last, err := lastNumber(dir)
	if err != nil {
		return nil, err
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", key.model, key.version)
	return &stream{
		dir: dir, key: key, in: in, classes: append([]string(nil), classes...), format: f,
		rowsPerFile: rows, sample: opt.Sample, salt: mix64(opt.Seed ^ h.Sum64()), next: last + 1,
	}, nil
}

// lastNumber is the highest number of a file in dir, finished or not (0
// when there is none, or no dir yet).
func lastNumber(dir string) (int, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("listing the files already there: %w", err)
	}
	last := 0
	for _, e := range entries {
		if n, ok := fileNumber(e.Name()); ok {
			last = max(last, n)
		}
	}
	return last, nil
}

// fileNumber parses the number of a file a stream writes: inputs-N
// followed by nothing or by a dot, the name hidden (a .part) or not.
func fileNumber(name string) (int, bool) {
	rest, ok := strings.CutPrefix(strings.TrimPrefix(name, "."), filePrefix)
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, ".")
	// Nine digits at most: a number that fits an int on any platform.
	if digits == "" || len(digits) > 9 || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	return n, err == nil
}

// baseName is the name of file number n without its extension.
func baseName(n int) string { return fmt.Sprintf("%s%06d", filePrefix, n) }

// partName is the hidden name a file is written under.
func partName(name string) string { return "." + name + partSuffix }

// metaName is the sidecar of file number n.
func metaName(n int) string { return baseName(n) + ".meta.jsonl" }

// keep decides whether sampling keeps the example counted count: a hash
// of the count, not a generator's state, so that the decision depends on
// the example's place only.
func (s *stream) keep(count uint64) bool {
	if s.sample >= 1 {
		return true
	}
	u := float64(mix64(s.salt+count)>>11) / (1 << 53)
	return u < s.sample
}

// mix64 is SplitMix64's finalizer: every bit of x affects every bit of
// the result.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// write keeps the sampled examples of one call, starting and finishing
// files as they fill. A failure abandons the file being written (its
// .part files are removed) and is returned; the next example starts a
// new file.
func (s *stream) write(at time.Time, x []float32, predicted []int, confidence []float64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("inputlog: model %s version %d: the log is closed", s.key.model, s.key.version)
	}
	stamp := at.UTC().Format(time.RFC3339Nano)
	size := s.format.rowSize()
	for i, c := range predicted {
		keep := s.keep(s.offered)
		s.offered++
		if !keep {
			continue
		}
		if err := s.writeRow(stamp, x[i*size:(i+1)*size], c, confidence[i]); err != nil {
			if s.cur != nil {
				s.cur.abort()
				s.cur = nil
			}
			return fmt.Errorf("inputlog: model %s version %d: %w", s.key.model, s.key.version, err)
		}
	}
	return nil
}

// writeRow writes one example, starting a file before it or finishing
// one after it as needed.
func (s *stream) writeRow(stamp string, row []float32, class int, confidence float64) error {
	if s.cur == nil {
		f, err := s.start()
		if err != nil {
			return err
		}
		s.cur = f
	}
	f := s.cur
	if err := f.data.write(row, class); err != nil {
		return err
	}
	rec := metaRecord{Row: f.rows, Time: stamp, Model: s.key.model, Version: s.key.version, Predicted: s.classes[class], Confidence: confidence}
	if err := f.enc.Encode(rec); err != nil {
		return fmt.Errorf("writing %s: %w", f.meta.path, err)
	}
	f.rows++
	if f.rows == s.rowsPerFile {
		s.cur = nil
		return s.finish(f)
	}
	return nil
}

// start creates the .part files of the next file (and the directory of
// the model version, at its first file).
func (s *stream) start() (*openFile, error) {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return nil, err
	}
	n := s.next
	s.next++
	data, err := s.format.create(filepath.Join(s.dir, partName(s.format.dataName(n))))
	if err != nil {
		return nil, err
	}
	meta, err := createPart(filepath.Join(s.dir, partName(metaName(n))))
	if err != nil {
		data.abort()
		return nil, err
	}
	enc := json.NewEncoder(meta)
	enc.SetEscapeHTML(false)
	return &openFile{number: n, data: data, meta: meta, enc: enc}, nil
}

// finish completes f and gives its files their final names, the sidecar
// first, so that a finished data file always has one.
func (s *stream) finish(f *openFile) error {
	err := f.data.finish()
	if err == nil {
		err = f.meta.finish(nil)
	}
	dataName, meta := s.format.dataName(f.number), metaName(f.number)
	if err == nil {
		err = publish(s.dir, meta)
	}
	if err == nil {
		err = publish(s.dir, dataName)
	}
	if err != nil {
		f.abort()
		os.Remove(filepath.Join(s.dir, meta))
		return fmt.Errorf("finishing %s: %w", filepath.Join(s.dir, dataName), err)
	}
	return nil
}

// abort closes and removes the .part files of f.
func (f *openFile) abort() {
	f.data.abort()
	f.meta.abort()
}

// publish renames the .part of name to name, refusing to replace a file
// of that name (another process writing into the same directory).
func publish(dir, name string) error {
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s exists already: is another process logging into %s?", final, dir)
	}
	return os.Rename(filepath.Join(dir, partName(name)), final)
}

// close finishes the file being written.
func (s *stream) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.cur == nil {
		return nil
	}
	f := s.cur
	s.cur = nil
	if err := s.finish(f); err != nil {
		return fmt.Errorf("inputlog: model %s version %d: %w", s.key.model, s.key.version, err)
	}
	return nil
}
