package inputlog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// schemaCase is a model's input schema and how its files read back.
type schemaCase struct {
	name    string
	in      model.InputSchema
	classes []string
	// open are the options a file of this schema is read with: those
	// training read its CSV with.
	open data.OpenOptions
	ext  string
}

func schemaCases() []schemaCase {
	iris := []string{"setosa", "versicolor", "virginica"}
	digits := []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"}
	return []schemaCase{
		{name: "tabular",
			in:      model.InputSchema{Kind: data.Tabular, Shape: []int{3}, FeatureNames: []string{"sepal length", "sepal,width", "petal"}, LabelColumn: "species"},
			classes: iris, ext: ".csv"},
		{name: "tabular with missing cells, ';' and an ID column",
			in: model.InputSchema{Kind: data.Tabular, Shape: []int{4}, FeatureNames: []string{"a", "b", "c"}, LabelColumn: "y",
				Delimiter: ";", IgnoredColumns: []string{"id"},
				Missing: &data.Imputation{Rule: data.MissingMean, Columns: []string{"a", "b", "c"}, Fill: []float32{1, 2, 3}, Indicators: []int{1}}},
			classes: iris, ext: ".csv",
			open: data.OpenOptions{Delimiter: ';', IgnoreColumns: []string{"id"}, Missing: data.MissingMean, LabelColumn: "y"}},
		{name: "grey images",
			in:      model.InputSchema{Kind: data.Image, Shape: []int{1, 4, 3}, RawMax: 16},
			classes: digits},
		{name: "colour images",
			in:      model.InputSchema{Kind: data.Image, Shape: []int{3, 2, 2}, RawMax: 255},
			classes: []string{"cat", "dog"}},
	}
}

// examples are n examples of a schema, drawn from seed: any finite
// float32 (every bit pattern but NaN and the infinities), and for a model
// that fills missing cells about one NaN in five; example i is predicted
// class i mod the classes, so that every file holds several.
func examples(sc schemaCase, n int, seed uint64) (x []float32, predicted []int, confidence []float64) {
	r := rand.New(rand.NewPCG(seed, 1))
	size := data.ShapeSize(sc.in.Shape)
	if sc.in.Missing != nil {
		size = len(sc.in.Missing.Columns)
	}
	for i := range n {
		for range size {
			v := float32(math.Inf(1))
			for math.IsInf(float64(v), 0) || math.IsNaN(float64(v)) {
				v = math.Float32frombits(r.Uint32())
			}
			if sc.in.Missing != nil && r.IntN(5) == 0 {
				v = float32(math.NaN())
			}
			x = append(x, v)
		}
		predicted = append(predicted, i%len(sc.classes))
		confidence = append(confidence, r.Float64())
	}
	return x, predicted, confidence
}

// sameValues reports whether got holds want's float32 bits, any NaN
// matching any NaN (a missing cell has no bits to keep).
func sameValues(got, want []float32) bool {
	return slices.EqualFunc(got, want, func(a, b float32) bool {
		if math.IsNaN(float64(a)) || math.IsNaN(float64(b)) {
			return math.IsNaN(float64(a)) && math.IsNaN(float64(b))
		}
		return math.Float32bits(a) == math.Float32bits(b)
	})
}

// readMeta reads a sidecar.
func readMeta(t *testing.T, path string) []metaRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []metaRecord
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m metaRecord
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("%s: %q: %v", path, sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// listDir is the names in dir, sorted.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// wantFiles are the names of files 1..n of a stream.
func wantFiles(ext string, from, to int) []string {
	var names []string
	for i := from; i <= to; i++ {
		names = append(names, fmt.Sprintf("inputs-%06d%s", i, ext), fmt.Sprintf("inputs-%06d.meta.jsonl", i))
	}
	return names
}

// TestRoundTrip logs 30 examples of each schema in calls of 1 to 9,
// rotating every 7, and reads each finished file back with data.Open, the
// reader of eval --data and train --data: the same float32 bits, the
// predicted classes as labels, and a sidecar describing each row.
func TestRoundTrip(t *testing.T) {
	at := time.Date(2026, 3, 1, 12, 30, 0, 123456789, time.FixedZone("CET", 3600))
	for _, sc := range schemaCases() {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			log, err := Open(dir, Options{Sample: 1, MaxRows: 7})
			if err != nil {
				t.Fatal(err)
			}
			x, predicted, confidence := examples(sc, 30, 7)
			size := len(x) / 30
			for i, k := 0, 1; i < 30; i, k = i+k, k%9+1 {
				j := min(i+k, 30)
				if err := log.LogInputs("iris", 3, sc.in, sc.classes, at, x[i*size:j*size], predicted[i:j], confidence[i:j]); err != nil {
					t.Fatal(err)
				}
			}
			if err := log.Close(); err != nil {
				t.Fatal(err)
			}
			vdir := filepath.Join(dir, "iris", "3")
			if got, want := listDir(t, vdir), wantFiles(sc.ext, 1, 5); !slices.Equal(got, want) {
				t.Fatalf("files %q, want %q", got, want)
			}
			for k := range 5 {
				lo, hi := 7*k, min(7*k+7, 30)
				path := filepath.Join(vdir, fmt.Sprintf("inputs-%06d%s", k+1, sc.ext))
				src, err := data.Open(path, sc.open)
				if err != nil {
					t.Fatal(err)
				}
				d := src.Train
				if !sameValues(d.X, x[lo*size:hi*size]) {
					t.Errorf("%s: values differ from those logged", path)
				}
				shape := sc.in.Shape
				if sc.in.Missing != nil {
					shape = []int{len(sc.in.Missing.Columns)}
				}
				if !slices.Equal(d.Shape, shape) || d.Kind != sc.in.Kind || !slices.Equal(d.FeatureNames, sc.in.FeatureNames) {
					t.Errorf("%s: shape %v kind %s features %q", path, d.Shape, d.Kind, d.FeatureNames)
				}
				meta := readMeta(t, filepath.Join(vdir, fmt.Sprintf("inputs-%06d.meta.jsonl", k+1)))
				if len(meta) != hi-lo || d.Len() != hi-lo {
					t.Fatalf("%s: %d examples and %d sidecar lines, want %d", path, d.Len(), len(meta), hi-lo)
				}
				for r, m := range meta {
					i := lo + r
					want := metaRecord{Row: r, Time: "2026-03-01T11:30:00.123456789Z", Model: "iris", Version: 3, Predicted: sc.classes[predicted[i]], Confidence: confidence[i]}
					if m != want {
						t.Errorf("%s row %d: sidecar %+v, want %+v", path, r, m, want)
					}
					// A CSV names its classes, an IDX directory numbers them.
					label := d.Classes[d.Y[r]]
					if sc.in.Kind == data.Image {
						label = sc.classes[d.Y[r]]
					}
					if label != sc.classes[predicted[i]] {
						t.Errorf("%s row %d: label %q, want the predicted %q", path, r, label, sc.classes[predicted[i]])
					}
				}
			}
		})
	}
}

// TestSample keeps the same examples of 1000 whether they come one by one
// or 13 at a time, and the fixed seed keeps exactly 492 of them at 0.5,
// 89 at 0.1 and all at 1.
func TestSample(t *testing.T) {
	sc := schemaCases()[0]
	x, predicted, confidence := examples(sc, 1000, 3)
	tests := []struct {
		sample float64
		want   int
	}{{0.5, 492}, {0.1, 89}, {1, 1000}}
	for _, tc := range tests {
		var files [][]byte
		for _, batch := range []int{1, 13} {
			dir := t.TempDir()
			log, err := Open(dir, Options{Sample: tc.sample, MaxRows: 2000, Seed: 42})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 1000; i += batch {
				j := min(i+batch, 1000)
				if err := log.LogInputs("iris", 1, sc.in, sc.classes, time.Unix(0, 0), x[3*i:3*j], predicted[i:j], confidence[i:j]); err != nil {
					t.Fatal(err)
				}
			}
			if err := log.Close(); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "iris", "1", "inputs-000001.csv")
			d, err := data.ReadCSV(path, "")
			if err != nil {
				t.Fatal(err)
			}
			if d.Len() != tc.want {
				t.Errorf("sample %v, %d a call: kept %d of 1000, want %d", tc.sample, batch, d.Len(), tc.want)
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, b)
		}
		if string(files[0]) != string(files[1]) {
			t.Errorf("sample %v: one by one and 13 at a time kept different examples", tc.sample)
		}
	}
}

// TestRestartContinuesNumbering: a log opened again on its directory
// numbers its files after the highest there, a crash's .part included,
// and leaves the earlier files as they were.
func TestRestartContinuesNumbering(t *testing.T) {
	for _, sc := range []schemaCase{schemaCases()[0], schemaCases()[2]} {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			x, predicted, confidence := examples(sc, 10, 5)
			logTen := func() {
				log, err := Open(dir, Options{Sample: 1, MaxRows: 4})
				if err != nil {
					t.Fatal(err)
				}
				if err := log.LogInputs("m", 1, sc.in, sc.classes, time.Unix(0, 0), x, predicted, confidence); err != nil {
					t.Fatal(err)
				}
				if err := log.Close(); err != nil {
					t.Fatal(err)
				}
			}
			logTen()
			vdir := filepath.Join(dir, "m", "1")
			first, err := data.Open(filepath.Join(vdir, "inputs-000001"+sc.ext), sc.open)
			if err != nil {
				t.Fatal(err)
			}
			// What a crash while writing file 4 leaves.
			crashed := filepath.Join(vdir, partName(metaName(4)))
			if err := os.WriteFile(crashed, []byte(`{"row":0`), 0o644); err != nil {
				t.Fatal(err)
			}
			logTen()
			want := append(wantFiles(sc.ext, 1, 3), wantFiles(sc.ext, 5, 7)...)
			want = append([]string{partName(metaName(4))}, want...)
			if got := listDir(t, vdir); !slices.Equal(got, want) {
				t.Fatalf("files %q, want %q", got, want)
			}
			again, err := data.Open(filepath.Join(vdir, "inputs-000001"+sc.ext), sc.open)
			if err != nil {
				t.Fatal(err)
			}
			if !sameValues(again.Train.X, first.Train.X) {
				t.Error("file 1 changed when the log was opened again")
			}
			if b, err := os.ReadFile(crashed); err != nil || string(b) != `{"row":0` {
				t.Errorf("the crash's .part is %q, %v; want it left alone", b, err)
			}
		})
	}
}

// TestConcurrent logs from 12 goroutines at once, four of them into one
// model version and the others into a version each, and finds every
// example exactly once (run with -race).
func TestConcurrent(t *testing.T) {
	sc := schemaCases()[0]
	dir := t.TempDir()
	log, err := Open(dir, Options{Sample: 1, MaxRows: 16})
	if err != nil {
		t.Fatal(err)
	}
	const goroutines, calls, perCall = 12, 20, 3
	errs := make(chan error, goroutines)
	for g := range goroutines {
		version := max(g-3, 0) // goroutines 0..3 share version 0
		go func() {
			for c := range calls {
				var x []float32
				var predicted []int
				var confidence []float64
				for e := range perCall {
					// Each example is numbered in its first value.
					id := float32((g*calls+c)*perCall + e)
					x = append(x, id, -id, 0.5)
					predicted = append(predicted, e%3)
					confidence = append(confidence, 0.5)
				}
				if err := log.LogInputs("iris", version, sc.in, sc.classes, time.Unix(0, 0), x, predicted, confidence); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range goroutines {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	seen := make([]int, goroutines*calls*perCall)
	for version := range goroutines - 3 {
		vdir := filepath.Join(dir, "iris", fmt.Sprint(version))
		for _, name := range listDir(t, vdir) {
			if !strings.HasSuffix(name, ".csv") {
				continue
			}
			rows, err := data.ReadFeatureCSV(filepath.Join(vdir, name), data.FeatureCSV{FeatureNames: sc.in.FeatureNames, LabelColumn: "species", Classes: sc.classes})
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(rows.X); i += 3 {
				seen[int(rows.X[i])]++
			}
		}
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("example %d found %d times, want once", id, n)
		}
	}
}

// TestBadOptions: each bad option is an error naming its flag.
func TestBadOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		dir  string
		opt  Options
		want string
	}{
		{"no sampling", t.TempDir(), Options{}, "log-sample is 0; want the fraction of examples kept, in (0, 1]"},
		{"negative sampling", t.TempDir(), Options{Sample: -0.5}, "log-sample is -0.5"},
		{"sampling above 1", t.TempDir(), Options{Sample: 1.5}, "log-sample is 1.5"},
		{"NaN sampling", t.TempDir(), Options{Sample: math.NaN()}, "log-sample is NaN"},
		{"negative rows", t.TempDir(), Options{Sample: 1, MaxRows: -1}, "log-max-rows is -1"},
		{"no directory", "", DefaultOptions(), "log-inputs is empty"},
		{"a file as directory", file, DefaultOptions(), "log-inputs " + file + ": cannot create the directory"},
	}
	for _, tc := range tests {
		log, err := Open(tc.dir, tc.opt)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: log %v, error %v; want one containing %q", tc.name, log, err, tc.want)
		}
	}
}

// TestBadCalls: a call that does not describe whole, valid examples is an
// error saying what is wrong, and leaves no file behind.
func TestBadCalls(t *testing.T) {
	cases := schemaCases()
	tab, missing, img := cases[0], cases[1], cases[2]
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	tests := []struct {
		name       string
		model      string
		version    int
		sc         schemaCase
		x          []float32
		predicted  []int
		confidence []float64
		want       string
	}{
		{"values not whole examples", "m", 1, tab, []float32{1, 2, 3, 4}, []int{0}, []float64{1}, "4 input values are not 1 examples of 3 values"},
		{"fewer confidences", "m", 1, tab, []float32{1, 2, 3}, []int{0}, nil, "0 confidences for 1 predicted classes"},
		{"class beyond the classes", "m", 1, tab, []float32{1, 2, 3}, []int{3}, []float64{1}, "example 0: predicted class 3 is not one of the 3 classes"},
		{"NaN confidence", "m", 1, tab, []float32{1, 2, 3}, []int{0}, []float64{math.NaN()}, "confidence NaN is not a probability"},
		{"missing cell, model fills none", "m", 1, tab, []float32{1, 2, 3, 4, nan, 6}, []int{0, 1}, []float64{1, 1}, "example 1, value 1 is NaN; a file keeps finite values only (the model fills no missing cell)"},
		{"infinite cell", "m", 1, missing, []float32{1, inf, 3}, []int{0}, []float64{1}, "example 0, value 1 is +Inf; a file keeps finite values only or NaN for a missing cell"},
		{"NaN pixel", "m", 1, img, append(make([]float32, 11), nan), []int{0}, []float64{1}, "example 0, value 11 is NaN"},
		{"path in the model name", "a/m", 1, tab, []float32{1, 2, 3}, []int{0}, []float64{1}, `model name "a/m" has '/'`},
		{"hidden model name", ".m", 1, tab, []float32{1, 2, 3}, []int{0}, []float64{1}, `model name ".m": want a name that does not start with a dot`},
		{"negative version", "m", -1, tab, []float32{1, 2, 3}, []int{0}, []float64{1}, "version -1 is negative"},
		{"too many classes for IDX labels", "m", 1, schemaCase{in: img.in, classes: make([]string, 300)}, make([]float32, 12), []int{0}, []float64{1}, "300 classes: the labels of an IDX directory are bytes"},
		{"unnamed features", "m", 1, schemaCase{in: model.InputSchema{Kind: data.Tabular, Shape: []int{3}}, classes: tab.classes}, []float32{1, 2, 3}, []int{0}, []float64{1}, "0 feature names for examples of 3 values"},
		{"unknown kind", "m", 1, schemaCase{in: model.InputSchema{Kind: "audio", Shape: []int{3}}, classes: tab.classes}, []float32{1, 2, 3}, []int{0}, []float64{1}, `input kind "audio"`},
		{"image of two dimensions", "m", 1, schemaCase{in: model.InputSchema{Kind: data.Image, Shape: []int{4, 3}}, classes: tab.classes}, make([]float32, 12), []int{0}, []float64{1}, "image shape [4 3]: want C, H, W"},
	}
	for _, tc := range tests {
		dir := t.TempDir()
		log, err := Open(dir, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		err = log.LogInputs(tc.model, tc.version, tc.sc.in, tc.sc.classes, time.Unix(0, 0), tc.x, tc.predicted, tc.confidence)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v; want one containing %q", tc.name, err, tc.want)
		}
		if err := log.Close(); err != nil {
			t.Errorf("%s: Close: %v", tc.name, err)
		}
		if got := listDir(t, dir); got != nil {
			t.Errorf("%s: left %q", tc.name, got)
		}
	}
}

// TestSchemaChangeAndClosed: a model version whose schema changes between
// calls, and a call after Close, are errors.
func TestSchemaChangeAndClosed(t *testing.T) {
	sc := schemaCases()[0]
	log, err := Open(t.TempDir(), DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	call := func(in model.InputSchema) error {
		return log.LogInputs("m", 1, in, sc.classes, time.Unix(0, 0), []float32{1, 2, 3}, []int{0}, []float64{1})
	}
	if err := call(sc.in); err != nil {
		t.Fatal(err)
	}
	renamed := sc.in
	renamed.FeatureNames = []string{"x", "y", "z"}
	if err := call(renamed); err == nil || !strings.Contains(err.Error(), "input schema or classes differ") {
		t.Errorf("changed schema: %v", err)
	}
	if err := log.Close(); err != nil {
		t.Fatal(err)
	}
	if err := call(sc.in); err == nil || !strings.Contains(err.Error(), "is closed") {
		t.Errorf("after Close: %v", err)
	}
	if err := log.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestLargeExamplesRotateEarlier: examples so large that MaxRows of them
// would pass the data sources' limit go fewer to a file.
func TestLargeExamplesRotateEarlier(t *testing.T) {
	tests := []struct {
		shape []int
		want  int
	}{
		{[]int{3, 224, 224}, 7133}, // 2^30 / 150528
		{[]int{1, 28, 28}, 10_000},
	}
	for _, tc := range tests {
		s, err := newStream(t.TempDir(), streamKey{"m", 1}, model.InputSchema{Kind: data.Image, Shape: tc.shape}, []string{"a", "b"}, DefaultOptions())
		if err != nil {
			t.Fatal(err)
		}
		if s.rowsPerFile != tc.want {
			t.Errorf("%v: %d examples a file, want %d", tc.shape, s.rowsPerFile, tc.want)
		}
	}
}
