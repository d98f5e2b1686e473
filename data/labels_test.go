package data

import (
	"slices"
	"testing"
	"unsafe"
)

// tinyDataset is 4 tabular examples of 2 features in classes a, b, c.
func tinyDataset() *Dataset {
	return &Dataset{
		Source:  "tiny",
		Kind:    Tabular,
		Shape:   []int{2},
		X:       []float32{0, 1, 2, 3, 4, 5, 6, 7},
		Y:       []int{0, 1, 2, 0},
		Classes: []string{"a", "b", "c"},
	}
}

func TestApplyLabelsFile(t *testing.T) {
	tests := []struct {
		name    string
		content string
		y       []int
		classes []string
		parts   []string // error parts; nil for success
	}{
		{name: "names", content: "c\nc\na\nb\n", y: []int{2, 2, 0, 1}, classes: []string{"a", "b", "c"}},
		{name: "indices", content: "2\n1\n0\n0\n\n", y: []int{2, 1, 0, 0}, classes: []string{"a", "b", "c"}},
		{name: "names and indices", content: "c\n1\na\n0\n", y: []int{2, 1, 0, 0}, classes: []string{"a", "b", "c"}},
		{name: "crlf", content: "b\r\nb\r\na\r\nc\r\n", y: []int{1, 1, 0, 2}, classes: []string{"a", "b", "c"}},
		{name: "indexed any order", content: "index,label\n3,c\n0,b\n2,a\n1,b\n", y: []int{1, 1, 0, 2}, classes: []string{"a", "b", "c"}},
		{name: "all new lexical", content: "dog\ncat\ncat\nemu\n", y: []int{1, 0, 0, 2}, classes: []string{"cat", "dog", "emu"}},
		{name: "all new numeric", content: "10\n9\n10\n3\n", y: []int{2, 1, 2, 0}, classes: []string{"3", "9", "10"}},
		{name: "mixed old and unknown", content: "a\nb\nzebra\nc\n", parts: []string{"labels:3", `"zebra"`, "neither a class name"}},
		{name: "too few", content: "a\nb\n", parts: []string{"labels", "2 labels", "4 examples"}},
		{name: "empty label", content: "a\n\nb\nc\n", parts: []string{"labels:2", "empty label"}},
		{name: "duplicate index", content: "index,label\n0,a\n0,b\n2,a\n3,b\n", parts: []string{"labels:3", "index 0 already"}},
		{name: "index out of range", content: "index,label\n0,a\n1,b\n2,a\n4,b\n", parts: []string{"labels:5", `"4"`, "[0, 4)"}},
		{name: "single new class", content: "z\nz\nz\nz\n", parts: []string{"labels", "1 class"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tinyDataset()
			x := d.X
			p := writeFile(t, t.TempDir(), "labels", []byte(tc.content))
			err := ApplyLabelsFile(d, p)
			if unsafe.SliceData(d.X) != unsafe.SliceData(x) || !slices.Equal(d.X, tinyDataset().X) {
				t.Errorf("X changed")
			}
			if tc.parts != nil {
				wantErr(t, err, tc.parts...)
				if !slices.Equal(d.Y, tinyDataset().Y) || !slices.Equal(d.Classes, tinyDataset().Classes) {
					t.Errorf("failed apply changed the dataset: Y %v classes %q", d.Y, d.Classes)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Y, tc.y) || !slices.Equal(d.Classes, tc.classes) {
				t.Errorf("Y %v classes %q, want %v %q", d.Y, d.Classes, tc.y, tc.classes)
			}
		})
	}
}

func TestLabelsFileLeavesDigitsPixels(t *testing.T) {
	src, err := Open("digits", OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := slices.Clone(src.Train.X)
	ptr := unsafe.SliceData(src.Train.X)
	var labels []byte
	for i := range src.Train.Len() {
		labels = append(labels, []byte([]string{"even\n", "odd\n"}[src.Train.Y[i]%2])...)
	}
	if err := ApplyLabelsFile(src.Train, writeFile(t, t.TempDir(), "parity.txt", labels)); err != nil {
		t.Fatal(err)
	}
	if unsafe.SliceData(src.Train.X) != ptr || !slices.Equal(src.Train.X, before) {
		t.Error("X changed")
	}
	if !slices.Equal(src.Train.Classes, []string{"even", "odd"}) || src.Train.Y[1] != 1 {
		t.Errorf("classes %q, Y[1] %d", src.Train.Classes, src.Train.Y[1])
	}
}

// TestApplyPartialLabels checks that an index,label file may label a
// subset of the examples: those keep their features and labels, in index
// order, the others are dropped and counted as unlabeled; and that what
// cannot be trained on stays an error naming the file and line.
func TestApplyPartialLabels(t *testing.T) {
	tests := []struct {
		name      string
		content   string
		x         []float32 // features of the kept examples
		y         []int
		classes   []string
		unlabeled int
		parts     []string // error parts; nil for success
	}{
		{name: "full", content: "index,label\n3,c\n0,b\n2,a\n1,b\n",
			x: []float32{0, 1, 2, 3, 4, 5, 6, 7}, y: []int{1, 1, 0, 2}, classes: []string{"a", "b", "c"}},
		{name: "partial", content: "index,label\n3,c\n1,a\n",
			x: []float32{2, 3, 6, 7}, y: []int{0, 2}, classes: []string{"a", "b", "c"}, unlabeled: 2},
		{name: "partial by class index", content: "index,label\n2,1\n0,0\n",
			x: []float32{0, 1, 4, 5}, y: []int{0, 1}, classes: []string{"a", "b", "c"}, unlabeled: 2},
		{name: "partial new classes", content: "index,label\n0,dog\n2,cat\n3,dog\n",
			x: []float32{0, 1, 4, 5, 6, 7}, y: []int{1, 0, 1}, classes: []string{"cat", "dog"}, unlabeled: 1},
		{name: "duplicates", content: "index,label\n1,a\n2,b\n1,a\n", parts: []string{"labels:4", "index 1 already labelled on line 2"}},
		{name: "out of range", content: "index,label\n1,a\n4,b\n", parts: []string{"labels:3", `index "4"`, "[0, 4)"}},
		{name: "negative index", content: "index,label\n-1,a\n", parts: []string{"labels:2", `index "-1"`}},
		{name: "unknown class", content: "index,label\n0,a\n2,zebra\n", parts: []string{"labels:3", `"zebra"`, "neither a class name"}},
		{name: "all unlabeled", content: "index,label\n", parts: []string{"labels", "no example is labeled"}},
		{name: "empty file", content: "", parts: []string{"labels", "empty", "no example is labeled"}},
		{name: "one class", content: "index,label\n0,b\n3,b\n", parts: []string{"labels", "2 labeled examples", "1 class", `"b"`, "at least 2"}},
		{name: "one label per line stays strict", content: "a\nb\n", parts: []string{"labels", "2 labels for 4 examples", "every example"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := tinyDataset()
			p := writeFile(t, t.TempDir(), "labels", []byte(tc.content))
			err := ApplyLabelsFile(d, p)
			if tc.parts != nil {
				wantErr(t, err, tc.parts...)
				if want := tinyDataset(); !slices.Equal(d.X, want.X) || !slices.Equal(d.Y, want.Y) || !slices.Equal(d.Classes, want.Classes) || d.Unlabeled != 0 {
					t.Errorf("failed apply changed the dataset: X %v Y %v classes %q", d.X, d.Y, d.Classes)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.X, tc.x) || !slices.Equal(d.Y, tc.y) || !slices.Equal(d.Classes, tc.classes) || d.Unlabeled != tc.unlabeled {
				t.Errorf("X %v Y %v classes %q unlabeled %d, want %v %v %q %d", d.X, d.Y, d.Classes, d.Unlabeled, tc.x, tc.y, tc.classes, tc.unlabeled)
			}
			if err := d.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestOpenPartialLabelsKeepsOwnTest checks that partial labels apply to
// the training set alone: a source's own test split keeps every example
// and its own labels when the labels use the source's classes.
func TestOpenPartialLabelsKeepsOwnTest(t *testing.T) {
	dir := t.TempDir()
	idxPair(t, dir, "train", 6, 2, 2, 3, false)
	idxPair(t, dir, "t10k", 3, 2, 2, 3, false)
	full, err := Open(dir, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	labels := writeFile(t, t.TempDir(), "labels.csv", []byte("index,label\n4,"+full.Train.Classes[full.Train.Y[4]]+"\n0,"+full.Train.Classes[full.Train.Y[0]]+"\n"))
	src, err := Open(dir, OpenOptions{LabelsFile: labels})
	if err != nil {
		t.Fatal(err)
	}
	if src.Train.Len() != 2 || src.Train.Unlabeled != 4 || !slices.Equal(src.Train.X, slices.Concat(full.Train.Row(0), full.Train.Row(4))) {
		t.Errorf("train: %d examples, %d unlabeled, X %v", src.Train.Len(), src.Train.Unlabeled, src.Train.X)
	}
	if src.Test == nil || !slices.Equal(src.Test.Y, full.Test.Y) || !slices.Equal(src.Test.X, full.Test.X) {
		t.Errorf("the source's own test split changed: %+v", src.Test)
	}
}
