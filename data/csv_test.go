package data

import (
	"os"
	"slices"
	"testing"
)

func TestReadCSVClassOrder(t *testing.T) {
	tests := []struct {
		name    string
		csv     string
		classes []string
		y       []int
	}{
		{"numeric", "a,y\n1,10\n2,9\n3,2.5\n4,9\n", []string{"2.5", "9", "10"}, []int{2, 1, 0, 1}},
		{"lexical", "a,y\n1,b\n2,B\n3,a\n", []string{"B", "a", "b"}, []int{2, 0, 1}},
		{"mixed is lexical", "a,y\n1,10\n2,9\n3,x\n", []string{"10", "9", "x"}, []int{0, 1, 2}},
		{"spaces trimmed", "a , y\n 1 , cat \n2,dog\n", []string{"cat", "dog"}, []int{0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "t.csv", []byte(tc.csv))
			d, err := ReadCSV(p, "")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Classes, tc.classes) || !slices.Equal(d.Y, tc.y) {
				t.Errorf("classes %q Y %v, want %q %v", d.Classes, d.Y, tc.classes, tc.y)
			}
		})
	}
}

func TestReadCSVGzipAndFixtures(t *testing.T) {
	raw, err := os.ReadFile("testdata/iris.csv")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	plain, err := ReadCSV("testdata/iris.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	// Gzip is detected by content, whatever the name.
	for _, name := range []string{"iris.csv.gz", "iris-gz.csv"} {
		d, err := ReadCSV(writeFile(t, dir, name, gz(t, raw)), "species")
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.X, plain.X) || !slices.Equal(d.Y, plain.Y) || !slices.Equal(d.Classes, plain.Classes) {
			t.Errorf("%s differs from the plain file", name)
		}
	}
	if plain.Len() != 150 || !slices.Equal(plain.Shape, []int{4}) || plain.Kind != Tabular || plain.LabelColumn != "species" {
		t.Errorf("iris: %d × %v kind %s label %q", plain.Len(), plain.Shape, plain.Kind, plain.LabelColumn)
	}
	if !slices.Equal(plain.FeatureNames, []string{"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"}) {
		t.Errorf("feature names %q", plain.FeatureNames)
	}
	if !slices.Equal(plain.Row(0), []float32{5.1, 3.5, 1.4, 0.2}) {
		t.Errorf("first row %v", plain.Row(0))
	}
	bc, err := ReadCSV("testdata/breast_cancer.csv", "")
	if err != nil {
		t.Fatal(err)
	}
	if bc.Len() != 569 || bc.SampleSize() != 30 || !slices.Equal(bc.Classes, []string{"benign", "malignant"}) {
		t.Errorf("breast cancer: %d × %d, classes %q", bc.Len(), bc.SampleSize(), bc.Classes)
	}
	if counts := bc.ClassCounts(); !slices.Equal(counts, []int{357, 212}) {
		t.Errorf("class counts %v, want [357 212]", counts)
	}
}

func TestReadCSVLabelColumnByName(t *testing.T) {
	p := writeFile(t, t.TempDir(), "first.csv", []byte("kind,a,b\nx,1,2\ny,3,4\n"))
	d, err := ReadCSV(p, "kind")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.FeatureNames, []string{"a", "b"}) || d.LabelColumn != "kind" || !slices.Equal(d.X, []float32{1, 2, 3, 4}) {
		t.Errorf("features %q label %q X %v", d.FeatureNames, d.LabelColumn, d.X)
	}
	_, err = ReadCSV("testdata/iris.csv", "colour")
	wantErr(t, err, "iris.csv", `"colour"`, `"sepal_length_cm"`, `"species"`)
}

func TestReadCSVFeatures(t *testing.T) {
	names := []string{"a", "b", "c"}
	classes := []string{"0", "1", "2"}
	tests := []struct {
		name  string
		csv   string
		label string
		x     []float32
		y     []int
		parts []string // error parts; nil for success
	}{
		{name: "same order with label", csv: "a,b,c,y\n1,2,3,1\n4,5,6,2\n", label: "y", x: []float32{1, 2, 3, 4, 5, 6}, y: []int{1, 2}},
		{name: "reordered without label", csv: "c,a,b\n3,1,2\n", label: "y", x: []float32{1, 2, 3}},
		{name: "numeric label match", csv: "a,b,c,y\n1,2,3,2.0\n", label: "y", x: []float32{1, 2, 3}, y: []int{2}},
		{name: "no label column expected", csv: "a,b,c\n1,2,3\n", label: "", x: []float32{1, 2, 3}},
		{name: "missing feature", csv: "a,c,y\n1,3,0\n", label: "y", parts: []string{"missing feature", `"b"`}},
		{name: "extra column", csv: "a,b,c,d,y\n1,2,3,4,0\n", label: "y", parts: []string{"unexpected column", `"d"`}},
		{name: "label unexpected when none", csv: "a,b,c,y\n1,2,3,0\n", label: "", parts: []string{"unexpected column", `"y"`}},
		{name: "unknown class", csv: "a,b,c,y\n1,2,3,0\n1,2,3,7\n", label: "y", parts: []string{":3:", `"7"`, "not one of the classes"}},
		{name: "non-numeric", csv: "a,b,c\n1,x,3\n", label: "", parts: []string{":2:", `"b"`, `"x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := writeFile(t, t.TempDir(), "new.csv", []byte(tc.csv))
			x, y, err := ReadCSVFeatures(p, names, tc.label, classes)
			if tc.parts != nil {
				wantErr(t, err, append([]string{"new.csv"}, tc.parts...)...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(x, tc.x) || !slices.Equal(y, tc.y) || (tc.y == nil) != (y == nil) {
				t.Errorf("x %v y %v, want %v %v", x, y, tc.x, tc.y)
			}
		})
	}
}
