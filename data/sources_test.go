package data

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestOpenBuiltinAndFiles(t *testing.T) {
	tests := []struct {
		spec     string
		opt      OpenOptions
		n        int
		shape    []int
		kind     Kind
		classes  []string
		rawMax   float32
		features int // len(FeatureNames)
	}{
		{spec: "", n: 1797, shape: []int{1, 8, 8}, kind: Image, classes: numberedClasses(10), rawMax: 16, features: 64},
		{spec: "digits", n: 1797, shape: []int{1, 8, 8}, kind: Image, classes: numberedClasses(10), rawMax: 16, features: 64},
		{spec: "testdata/breast_cancer.csv", n: 569, shape: []int{30}, kind: Tabular, classes: []string{"benign", "malignant"}, features: 30},
		{spec: "testdata/iris.csv", n: 150, shape: []int{4}, kind: Tabular, classes: []string{"setosa", "versicolor", "virginica"}, features: 4},
		{spec: "blobs", n: 2000, shape: []int{64}, kind: Tabular, classes: numberedClasses(10), features: 64},
		{spec: "noise:n=5000,d=32,c=4", n: 5000, shape: []int{32}, kind: Tabular, classes: numberedClasses(4), features: 32},
		{spec: "spirals", n: 2000, shape: []int{2}, kind: Tabular, classes: numberedClasses(2), features: 2},
		{spec: "spirals:n=300,d=5,c=3", n: 300, shape: []int{5}, kind: Tabular, classes: numberedClasses(3), features: 5},
		{spec: "blobs: n=100 , c=3", n: 100, shape: []int{64}, kind: Tabular, classes: numberedClasses(3), features: 64},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			src, err := Open(tc.spec, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			d := src.Train
			if src.Test != nil {
				t.Errorf("Test = %d examples, want nil", src.Test.Len())
			}
			if d.Len() != tc.n || !slices.Equal(d.Shape, tc.shape) || d.Kind != tc.kind || d.RawMax != tc.rawMax {
				t.Errorf("got %d examples of %v, kind %s, RawMax %v; want %d of %v, %s, %v", d.Len(), d.Shape, d.Kind, d.RawMax, tc.n, tc.shape, tc.kind, tc.rawMax)
			}
			if !slices.Equal(d.Classes, tc.classes) {
				t.Errorf("classes %q, want %q", d.Classes, tc.classes)
			}
			if len(d.FeatureNames) != tc.features {
				t.Errorf("%d feature names, want %d", len(d.FeatureNames), tc.features)
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestOpenDigitsDetails(t *testing.T) {
	src, err := Open("", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := src.Train
	if d.Source != "digits" || d.LabelColumn != "digit" || d.FeatureNames[0] != "px0_0" || d.FeatureNames[63] != "px7_7" {
		t.Errorf("source %q, label column %q, features %q..%q", d.Source, d.LabelColumn, d.FeatureNames[0], d.FeatureNames[63])
	}
	// First row of the file: 0,0,5,13,9,1,0,0,... digit 0.
	if got := d.Row(0)[:4]; !slices.Equal(got, []float32{0, 0, 5, 13}) || d.Y[0] != 0 {
		t.Errorf("first example starts %v, label %d", got, d.Y[0])
	}
	for _, c := range d.ClassCounts() {
		if c < 170 || c > 190 {
			t.Errorf("class counts %v, want about 180 each", d.ClassCounts())
			break
		}
	}
}

func TestOpenSyntheticDeterministic(t *testing.T) {
	for _, spec := range []string{"blobs:n=200", "spirals:n=200", "noise:n=200,d=8"} {
		a, err := Open(spec, OpenOptions{Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Open(spec, OpenOptions{Seed: 7})
		c, _ := Open(spec, OpenOptions{Seed: 8})
		if !slices.Equal(a.Train.X, b.Train.X) || !slices.Equal(a.Train.Y, b.Train.Y) {
			t.Errorf("%s: same seed, different data", spec)
		}
		if slices.Equal(a.Train.X, c.Train.X) {
			t.Errorf("%s: different seeds, same data", spec)
		}
		if a.Train.Source != spec {
			t.Errorf("%s: Source %q", spec, a.Train.Source)
		}
	}
}

func TestOpenIDXDirectory(t *testing.T) {
	dir := t.TempDir()
	idxPair(t, dir, "train", 30, 4, 5, 3, true)
	idxPair(t, dir, "t10k", 9, 4, 5, 3, false)
	src, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if src.Train.Len() != 30 || src.Test == nil || src.Test.Len() != 9 {
		t.Fatalf("train %d, test %v", src.Train.Len(), src.Test)
	}
	if !slices.Equal(src.Train.Shape, []int{1, 4, 5}) || src.Train.RawMax != 255 || src.Train.Kind != Image {
		t.Errorf("shape %v RawMax %v kind %s", src.Train.Shape, src.Train.RawMax, src.Train.Kind)
	}
	if !slices.Equal(src.Train.Classes, []string{"0", "1", "2"}) || !slices.Equal(src.Test.Classes, src.Train.Classes) {
		t.Errorf("classes %q / %q", src.Train.Classes, src.Test.Classes)
	}
	if got := src.Train.Row(2)[:3]; !slices.Equal(got, []float32{2, 3, 4}) || src.Train.Y[2] != 2 {
		t.Errorf("example 2 starts %v, label %d", got, src.Train.Y[2])
	}
}

func TestOpenMNISTFromDataDir(t *testing.T) {
	data := t.TempDir()
	idxPair(t, filepath.Join(data, "mnist"), "train", 20, 28, 28, 10, true)
	idxPair(t, filepath.Join(data, "mnist"), "t10k", 10, 28, 28, 10, true)
	src, err := Open("mnist", OpenOptions{DataDir: data})
	if err != nil {
		t.Fatal(err)
	}
	if src.Train.Source != "mnist" || !slices.Equal(src.Train.Classes, MNISTClasses()) || src.Test.Len() != 10 {
		t.Errorf("source %q classes %q test %d", src.Train.Source, src.Train.Classes, src.Test.Len())
	}
}

func TestOpenNamedMissing(t *testing.T) {
	old := systemDataDir
	systemDataDir = t.TempDir()
	defer func() { systemDataDir = old }()
	empty := t.TempDir()
	_, err := Open("fashion-mnist", OpenOptions{DataDir: empty})
	wantErr(t, err, "apt-get install dataset-fashion-mnist", "PRACTICA_DATA", filepath.Join(empty, "fashion-mnist"))
	_, err = Open("mnist", OpenOptions{})
	wantErr(t, err, "mnist", "PRACTICA_DATA")
}

func TestOpenSpecErrors(t *testing.T) {
	dir := t.TempDir()
	txt := writeFile(t, dir, "notes.txt", []byte("hello\n"))
	tests := []struct {
		spec  string
		parts []string
	}{
		{"no/such/thing", []string{"no/such/thing", "accepted sources", "digits", ".csv"}},
		{txt, []string{txt, "not .csv", "accepted sources"}},
		{"noise:n=5000,q=3", []string{"unknown parameter", `"q"`}},
		{"noise:n=abc", []string{"n=", `"abc"`, "not an integer"}},
		{"noise:n", []string{"not key=value"}},
		{"noise:n=1,n=2", []string{"given twice"}},
		{"blobs:c=1", []string{"c=1", "classes"}},
		{"blobs:n=0", []string{"n=0"}},
		{"spirals:d=1", []string{"d=1", "features"}},
		{"digits:n=3", []string{"no parameters"}},
		{"fashion-mnist:x=1", []string{"no parameters"}},
	}
	for _, tc := range tests {
		t.Run(tc.spec, func(t *testing.T) {
			_, err := Open(tc.spec, OpenOptions{})
			wantErr(t, err, tc.parts...)
		})
	}
}

func TestOpenCSVLabelColumnAndLabelsFile(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "t.csv", []byte("y,a,b\nx,1,2\nz,3,4\nx,5,6\n"))
	labels := writeFile(t, dir, "labels.txt", []byte("z\nz\nx\n"))
	src, err := Open(p, OpenOptions{LabelColumn: "y", LabelsFile: labels})
	if err != nil {
		t.Fatal(err)
	}
	d := src.Train
	if !slices.Equal(d.FeatureNames, []string{"a", "b"}) || !slices.Equal(d.Y, []int{1, 1, 0}) || !slices.Equal(d.X, []float32{1, 2, 3, 4, 5, 6}) {
		t.Errorf("features %q, Y %v, X %v", d.FeatureNames, d.Y, d.X)
	}
}

func TestOpenFashionMNIST(t *testing.T) {
	src, err := Open("fashion-mnist", OpenOptions{DataDir: DataDirFromEnv()})
	if err != nil {
		t.Skipf("Fashion-MNIST not available (apt-get install dataset-fashion-mnist): %v", err)
	}
	for _, tc := range []struct {
		d *Dataset
		n int
	}{{src.Train, 60000}, {src.Test, 10000}} {
		if tc.d == nil || tc.d.Len() != tc.n || !slices.Equal(tc.d.Shape, []int{1, 28, 28}) {
			t.Fatalf("got %v, want %d examples of [1 28 28]", tc.d, tc.n)
		}
		if !slices.Equal(tc.d.Classes, FashionMNISTClasses()) || tc.d.RawMax != 255 {
			t.Errorf("classes %q RawMax %v", tc.d.Classes, tc.d.RawMax)
		}
		for k, c := range tc.d.ClassCounts() {
			if c != tc.n/10 {
				t.Errorf("class %d has %d examples, want %d", k, c, tc.n/10)
			}
		}
	}
}

func BenchmarkLoadFashionMNIST(b *testing.B) {
	dir := filepath.Join(systemDataDir, "fashion-mnist")
	if env := DataDirFromEnv(); env != "" {
		if _, err := os.Stat(filepath.Join(env, "fashion-mnist")); err == nil {
			dir = filepath.Join(env, "fashion-mnist")
		}
	}
	images := filepath.Join(dir, "train-images-idx3-ubyte.gz")
	labels := filepath.Join(dir, "train-labels-idx1-ubyte.gz")
	if _, err := os.Stat(images); err != nil {
		b.Skipf("Fashion-MNIST not available (apt-get install dataset-fashion-mnist): %v", err)
	}
	for b.Loop() {
		d, err := OpenIDX(images, labels, FashionMNISTClasses())
		if err != nil {
			b.Fatal(err)
		}
		if d.Len() != 60000 {
			b.Fatalf("%d examples", d.Len())
		}
	}
}

func TestOpenLabelsFileWithOwnTestSplit(t *testing.T) {
	dir := t.TempDir()
	idxPair(t, dir, "train", 6, 2, 2, 3, false)
	idxPair(t, dir, "t10k", 3, 2, 2, 3, false)
	tests := []struct {
		labels   string
		classes  []string
		keepTest bool
	}{
		{"2\n2\n1\n1\n0\n0\n", []string{"0", "1", "2"}, true},
		{"top\nbottom\ntop\nbottom\ntop\nbottom\n", []string{"bottom", "top"}, false},
	}
	for _, tc := range tests {
		labels := writeFile(t, t.TempDir(), "labels.txt", []byte(tc.labels))
		src, err := Open(dir, OpenOptions{LabelsFile: labels})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(src.Train.Classes, tc.classes) || (src.Test != nil) != tc.keepTest {
			t.Errorf("classes %q, test kept %v; want %q, %v", src.Train.Classes, src.Test != nil, tc.classes, tc.keepTest)
		}
	}
}
