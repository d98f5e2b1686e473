package inputlog

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/internal/setting"
	"github.com/practica-ml/practica/model"
)

// DefaultMaxRows is the examples a file holds before the next one starts.
const DefaultMaxRows = 10_000

// Options tune a Log.
type Options struct {
	// Sample is the fraction of examples kept, in (0, 1]; 1 keeps every
	// one. Its zero value is an error, not a default: a sampling of 0
	// asked for on a command line must not keep everything.
	Sample float64
	// MaxRows is the examples a file holds before the next one starts;
	// 0 means DefaultMaxRows.
	MaxRows int
	// Seed decides, with the model, the version and each example's count,
	// which examples Sample keeps.
	Seed uint64
}

// DefaultOptions keep every example, DefaultMaxRows to a file.
func DefaultOptions() Options { return Options{Sample: 1, MaxRows: DefaultMaxRows} }

// validate checks opt, naming the flag of a bad value.
func (opt Options) validate() error {
	if !(opt.Sample > 0 && opt.Sample <= 1) {
		return setting.Errorf("log-sample", "is %v; want the fraction of examples kept, in (0, 1] (1 keeps every one)", opt.Sample)
	}
	if opt.MaxRows < 0 {
		return setting.Errorf("log-max-rows", "is %d; want the examples of a file, at least 1 (0 means %d)", opt.MaxRows, DefaultMaxRows)
	}
	return nil
}

// Log writes the inputs of every model version it is given to files
// under its directory (see the package comment).
type Log struct {
	dir string
	opt Options

	mu      sync.Mutex
	streams map[streamKey]*stream
	closed  bool
}

// streamKey names one model version.
type streamKey struct {
	model   string
	version int
}

// Open starts a log under dir, creating it if need be, and checks that
// files can be written there.
func Open(dir string, opt Options) (*Log, error) {
	if err := opt.validate(); err != nil {
		return nil, err
	}
	if opt.MaxRows == 0 {
		opt.MaxRows = DefaultMaxRows
	}
	if dir == "" {
		return nil, setting.Errorf("log-inputs", "is empty; want the directory to keep served inputs in")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, setting.Errorf("log-inputs", "%s: cannot create the directory: %v", dir, err)
	}
	probe, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return nil, setting.Errorf("log-inputs", "%s: cannot write files there: %v", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return &Log{dir: dir, opt: opt, streams: map[streamKey]*stream{}}, nil
}

// LogInputs keeps the n examples of one answered request, or the sampled
// share of them: x holds them row-major as the model received them (its
// input shape each, or for a tabular model that fills missing cells the
// raw columns, NaN where missing), predicted their predicted class
// indices and confidence the probability of that class. A call that does
// not describe n whole, valid examples is an error and writes nothing.
func (l *Log) LogInputs(modelName string, version int, in model.InputSchema, classes []string, at time.Time, x []float32, predicted []int, confidence []float64) error {
	if err := checkName(modelName, version); err != nil {
		return err
	}
	s, err := l.stream(modelName, version, in, classes)
	if err != nil {
		return err
	}
	if err := checkExamples(s.format, classes, x, predicted, confidence); err != nil {
		return fmt.Errorf("inputlog: model %s version %d: %w", modelName, version, err)
	}
	return s.write(at, x, predicted, confidence)
}

// Close finishes the file of every model version (see the package
// comment); LogInputs fails after it.
func (l *Log) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	var errs []error
	for _, s := range l.streams {
		errs = append(errs, s.close())
	}
	return errors.Join(errs...)
}

// stream is the stream of a model version, started on its first call.
func (l *Log) stream(modelName string, version int, in model.InputSchema, classes []string) (*stream, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("inputlog: model %s version %d: the log under %s is closed", modelName, version, l.dir)
	}
	key := streamKey{modelName, version}
	if s := l.streams[key]; s != nil {
		if !reflect.DeepEqual(s.in, in) || !slices.Equal(s.classes, classes) {
			return nil, fmt.Errorf("inputlog: model %s version %d: its input schema or classes differ from those of its earlier examples, which %s holds", modelName, version, s.dir)
		}
		return s, nil
	}
	s, err := newStream(filepath.Join(l.dir, modelName, strconv.Itoa(version)), key, in, classes, l.opt)
	if err != nil {
		return nil, fmt.Errorf("inputlog: model %s version %d: %w", modelName, version, err)
	}
	l.streams[key] = s
	return s, nil
}

// checkName refuses a model name or version that would not make one plain
// directory under the log's.
func checkName(modelName string, version int) error {
	if version < 0 {
		return fmt.Errorf("inputlog: model %s: version %d is negative", modelName, version)
	}
	if modelName == "" || modelName == "." || modelName == ".." || modelName[0] == '.' {
		return fmt.Errorf("inputlog: model name %q: want a name that does not start with a dot", modelName)
	}
	for _, r := range modelName {
		if !(r == '-' || r == '_' || r == '.' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return fmt.Errorf("inputlog: model name %q has %q; want letters, digits, '-', '_' and '.' only", modelName, r)
		}
	}
	return nil
}

// checkExamples checks that a call describes whole examples of f.
func checkExamples(f format, classes []string, x []float32, predicted []int, confidence []float64) error {
	n := len(predicted)
	if len(confidence) != n {
		return fmt.Errorf("%d confidences for %d predicted classes", len(confidence), n)
	}
	if len(x) != n*f.rowSize() {
		return fmt.Errorf("%d input values are not %d examples of %d values", len(x), n, f.rowSize())
	}
	for i, c := range predicted {
		if c < 0 || c >= len(classes) {
			return fmt.Errorf("example %d: predicted class %d is not one of the %d classes", i, c, len(classes))
		}
		if p := confidence[i]; !(p >= 0 && p <= 1) {
			return fmt.Errorf("example %d: confidence %v is not a probability", i, p)
		}
	}
	for k, v := range x {
		if math.IsNaN(float64(v)) && f.missingAllowed() {
			continue
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("example %d, value %d is %v; a file keeps finite values only%s", k/f.rowSize(), k%f.rowSize(), v, f.missingHint())
		}
	}
	return nil
}

// maxValuesPerFile bounds the values of one file, so that the data
// sources read it back within their default limits.
const maxValuesPerFile = data.DefaultMaxIDXValues
