package data

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/practica-ml/practica/internal/setting"
)

// DataDirEnv is the environment variable naming the directory where named
// data sets such as fashion-mnist are looked for.
const DataDirEnv = "PRACTICA_DATA"

// systemDataDir is where Debian's dataset-* packages install data sets
// (a variable so that tests can point it elsewhere).
var systemDataDir = "/usr/share/datasets"

// DataDirFromEnv returns the value of $PRACTICA_DATA, for callers to pass
// as OpenOptions.DataDir. It is the only place this package reads the
// environment.
func DataDirFromEnv() string { return os.Getenv(DataDirEnv) }

// OpenOptions tune how Open reads a source.
type OpenOptions struct {
	// LabelColumn is the label column of a CSV source; "" means the last.
	LabelColumn string
	// LabelsFile, when set, replaces the training labels after loading
	// (see ApplyLabelsFile).
	LabelsFile string
	// ImageSize is the side images of an image folder are resized to;
	// 0 means DefaultImageSize (28).
	ImageSize int
	// DataDir is the value of $PRACTICA_DATA (see DataDirFromEnv), searched
	// first for named data sets; "" skips it.
	DataDir string
	// Seed seeds the synthetic generators.
	Seed uint64
	// Delimiter, IgnoreColumns and Missing are how a CSV source is read
	// (see CSVOptions); set for another source they are an error.
	Delimiter     rune
	IgnoreColumns []string
	Missing       Missing
	// Limits bound what one IDX or image file may cost (the zero value
	// means the defaults).
	Limits Limits
}

// notCSV is the error for an option of CSV files set for another source.
func notCSV(key, spec string) error {
	return setting.Errorf(key, "applies to CSV files, and the source %q is not one", spec)
}

// csvOnly names the first option of opt that only a CSV source takes, or
// returns "".
func (opt OpenOptions) csvOnly() string {
	switch {
	case opt.Delimiter != 0 && opt.Delimiter != ',':
		return "data.delimiter"
	case len(opt.IgnoreColumns) > 0:
		return "data.ignore_columns"
	case opt.Missing != "" && opt.Missing != MissingError:
		return "data.missing"
	}
	return ""
}

// Source is a loaded data source: its training examples and, for sources
// that come with their own test split (Fashion-MNIST, MNIST, IDX
// directories with t10k-* files), its test examples.
type Source struct {
	Train *Dataset
	// Test is nil unless the source has its own test split.
	Test *Dataset
}

// Synthetic generator defaults.
const (
	defaultSyntheticN = 2000
	defaultSyntheticD = 64
	defaultSyntheticC = 10
)

// specHelp lists the accepted forms of a source spec.
const specHelp = `accepted sources: "digits" (the default, embedded), "fashion-mnist", "mnist", ` +
	`"blobs", "spirals" or "noise" with optional parameters like "noise:n=5000,d=32,c=4", ` +
	`a .csv or .csv.gz file, a directory of IDX files (train-images-idx3-ubyte[.gz], ` +
	`train-labels-idx1-ubyte[.gz], optionally t10k-*), or an image folder with one subdirectory per class`

// Open loads the data source named by spec:
//
//   - "" or "digits": the embedded handwritten digits (1797 8×8 images);
//   - "fashion-mnist": the IDX files under DataDir/fashion-mnist, else
//     /usr/share/datasets/fashion-mnist (Debian's dataset-fashion-mnist);
//     train and test splits;
//   - "mnist": the IDX files under DataDir/mnist; train and test splits;
//   - "blobs", "spirals", "noise", optionally followed by ":" and
//     comma-separated key=value parameters n (examples, default 2000),
//     d (features) and c (classes). blobs and noise default to d=64, c=10;
//     spirals to d=2, c=2 (c arms in the plane, extra dimensions noise).
//     The generators are seeded with opt.Seed;
//   - a path: a .csv or .csv.gz file (see ReadCSV), a directory of IDX
//     files (see OpenIDXDir) or any other directory as an image folder
//     (see ReadImageFolder).
//
// Names take precedence over paths: write ./blobs for a directory named
// blobs. When opt.LabelsFile is set it replaces the training labels (a
// partial labels file keeps only the training examples it labels, see
// ApplyLabelsFile); the source's own test split keeps its own labels,
// unless the file introduces new classes: then it (whose labels use the
// old ones) is dropped, so that Split takes a test split from Train.
// Every returned dataset has passed Validate.
func Open(spec string, opt OpenOptions) (*Source, error) {
	src, err := open(spec, opt)
	if err != nil {
		return nil, err
	}
	if opt.LabelsFile != "" {
		if err := ApplyLabelsFile(src.Train, opt.LabelsFile); err != nil {
			return nil, err
		}
		if src.Test != nil && !slices.Equal(src.Test.Classes, src.Train.Classes) {
			// The source's own test labels cannot express the new classes.
			src.Test = nil
		}
	}
	for _, d := range []*Dataset{src.Train, src.Test} {
		if d == nil {
			continue
		}
		if err := d.Validate(); err != nil {
			return nil, err
		}
	}
	return src, nil
}

// IsPath reports whether Open reads spec as a path (a CSV file, an IDX
// directory, an image folder) rather than as one of the names: digits,
// fashion-mnist, mnist and the generators, with or without parameters.
// Only a path depends on the working directory it was given in.
func IsPath(spec string) bool {
	name, _, _ := strings.Cut(spec, ":")
	switch name {
	case "", DigitsSource, "fashion-mnist", "mnist", "blobs", "spirals", "noise":
		return false
	}
	return true
}

// AbsSource returns spec with a path made absolute (see IsPath), so that a
// run records a source that opens from any working directory; a name is
// returned as it is.
func AbsSource(spec string) (string, error) {
	if !IsPath(spec) {
		return spec, nil
	}
	abs, err := filepath.Abs(spec)
	if err != nil {
		return "", fmt.Errorf("source %q: %w", spec, err)
	}
	return abs, nil
}

// open loads a source without the labels file and the final validation.
func open(spec string, opt OpenOptions) (*Source, error) {
	name, params, _ := strings.Cut(spec, ":")
	switch name {
	case "", DigitsSource, "fashion-mnist", "mnist", "blobs", "spirals", "noise":
		if key := opt.csvOnly(); key != "" {
			return nil, notCSV(key, spec)
		}
	}
	switch name {
	case "", DigitsSource:
		if params != "" || spec != name {
			return nil, fmt.Errorf("source %q: digits takes no parameters", spec)
		}
		d, err := Digits()
		if err != nil {
			return nil, err
		}
		return &Source{Train: d}, nil
	case "fashion-mnist", "mnist":
		if spec != name {
			return nil, fmt.Errorf("source %q: %s takes no parameters", spec, name)
		}
		return openNamedIDX(name, opt.DataDir, opt.Limits)
	case "blobs", "spirals", "noise":
		d, err := openSynthetic(spec, name, params, opt.Seed)
		if err != nil {
			return nil, err
		}
		return &Source{Train: d}, nil
	}
	return openPath(spec, opt)
}

// openNamedIDX finds fashion-mnist or mnist in the data directories.
func openNamedIDX(name, dataDir string, lim Limits) (*Source, error) {
	dir, dirs, err := namedIDXDir(name, dataDir)
	if err != nil {
		return nil, err
	}
	classes := MNISTClasses()
	if name == "fashion-mnist" {
		classes = FashionMNISTClasses()
	}
	if dir != "" {
		src, err := lim.OpenIDXDir(dir, classes)
		if err != nil {
			return nil, err
		}
		src.Train.Source = name
		if src.Test != nil {
			src.Test.Source = name + " (test)"
		}
		return src, nil
	}
	files := fmt.Sprintf("%s.gz, %s.gz, %s.gz and %s.gz", idxName("train", "images"), idxName("train", "labels"), idxName("t10k", "images"), idxName("t10k", "labels"))
	where := strings.Join(dirs, " or ")
	if name == "fashion-mnist" {
		return nil, fmt.Errorf("fashion-mnist: not found in %s; install it with \"apt-get install dataset-fashion-mnist\" or put %s under $%s/fashion-mnist", where, files, DataDirEnv)
	}
	if len(dirs) == 0 {
		return nil, fmt.Errorf("mnist: $%s is not set; MNIST is read from $%s/mnist (no Debian package ships it): put %s there", DataDirEnv, DataDirEnv, files)
	}
	return nil, fmt.Errorf("mnist: not found in %s (no Debian package ships MNIST); put %s there", where, files)
}

// namedIDXDir is the directory Open reads fashion-mnist or mnist from:
// the first of dirs (DataDir/name, then the system's for fashion-mnist)
// that holds IDX files, or "" when none does.
func namedIDXDir(name, dataDir string) (dir string, dirs []string, err error) {
	if dataDir != "" {
		dirs = append(dirs, filepath.Join(dataDir, name))
	}
	if name == "fashion-mnist" {
		dirs = append(dirs, filepath.Join(systemDataDir, name))
	}
	for _, d := range dirs {
		files, err := findIDX(d)
		if err != nil {
			return "", dirs, err
		}
		if files != nil {
			return d, dirs, nil
		}
	}
	return "", dirs, nil
}

// openSynthetic parses the parameters of a generator spec and runs it.
func openSynthetic(spec, name, params string, seed uint64) (*Dataset, error) {
	n, d, c := defaultSyntheticN, defaultSyntheticD, defaultSyntheticC
	if name == "spirals" {
		d, c = 2, 2
	}
	seen := map[string]bool{}
	if params != "" {
		for _, kv := range strings.Split(params, ",") {
			k, v, ok := strings.Cut(kv, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if !ok || k == "" {
				return nil, fmt.Errorf("source %q: parameter %q is not key=value; want e.g. %s:n=2000,d=64,c=10", spec, kv, name)
			}
			if seen[k] {
				return nil, fmt.Errorf("source %q: parameter %q given twice", spec, k)
			}
			seen[k] = true
			x, err := strconv.Atoi(v)
			if err != nil {
				return nil, fmt.Errorf("source %q: parameter %s=%q is not an integer", spec, k, v)
			}
			switch k {
			case "n":
				n = x
			case "d":
				d = x
			case "c":
				c = x
			default:
				return nil, fmt.Errorf("source %q: unknown parameter %q; %s takes n (examples), d (features) and c (classes)", spec, k, name)
			}
		}
	}
	var ds *Dataset
	var err error
	switch name {
	case "blobs":
		ds, err = Blobs(n, d, c, seed)
	case "spirals":
		ds, err = Spirals(n, d, c, seed)
	default:
		ds, err = Noise(n, d, c, seed)
	}
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", spec, err)
	}
	ds.Source = spec
	return ds, nil
}

// openPath loads a CSV file, an IDX directory or an image folder.
func openPath(path string, opt OpenOptions) (*Source, error) {
	st, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("source %q: no such file or directory, and not a known name; %s", path, specHelp)
		}
		return nil, withName(fmt.Sprintf("source %q", path), err)
	}
	if !st.IsDir() {
		lower := strings.ToLower(path)
		if !strings.HasSuffix(lower, ".csv") && !strings.HasSuffix(lower, ".csv.gz") {
			return nil, fmt.Errorf("source %q: a file that is not .csv or .csv.gz; %s", path, specHelp)
		}
		d, err := ReadCSVWith(path, CSVOptions{LabelColumn: opt.LabelColumn, Delimiter: opt.Delimiter, IgnoreColumns: opt.IgnoreColumns, Missing: opt.Missing})
		if err != nil {
			return nil, err
		}
		return &Source{Train: d}, nil
	}
	if key := opt.csvOnly(); key != "" {
		return nil, notCSV(key, path)
	}
	files, err := findIDX(path)
	if err != nil {
		return nil, err
	}
	if files != nil {
		return opt.Limits.OpenIDXDir(path, nil)
	}
	size := opt.ImageSize
	if size == 0 {
		size = DefaultImageSize
	}
	d, err := opt.Limits.ReadImageFolder(path, size)
	if err != nil {
		return nil, err
	}
	return &Source{Train: d}, nil
}
