package data

import (
	"slices"
	"testing"
)

func TestReadIDXRawAndGzipAgree(t *testing.T) {
	dir := t.TempDir()
	rawImages, rawLabels := idxPair(t, dir+"/raw", "train", 7, 3, 2, 3, false)
	gzImages, gzLabels := idxPair(t, dir+"/gz", "train", 7, 3, 2, 3, true)
	x1, s1, err := ReadIDXImages(rawImages)
	if err != nil {
		t.Fatal(err)
	}
	x2, s2, err := ReadIDXImages(gzImages)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s1, []int{7, 1, 3, 2}) || !slices.Equal(s1, s2) || !slices.Equal(x1, x2) {
		t.Errorf("shapes %v %v, equal pixels %v", s1, s2, slices.Equal(x1, x2))
	}
	if x1[6] != 1 || x1[len(x1)-1] != 6+5 {
		t.Errorf("pixels %v", x1)
	}
	y1, err := ReadIDXLabels(rawLabels)
	if err != nil {
		t.Fatal(err)
	}
	y2, err := ReadIDXLabels(gzLabels)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(y1, []int{0, 1, 2, 0, 1, 2, 0}) || !slices.Equal(y1, y2) {
		t.Errorf("labels %v %v", y1, y2)
	}
}

func TestOpenIDXClasses(t *testing.T) {
	dir := t.TempDir()
	images, labels := idxPair(t, dir, "train", 12, 2, 2, 4, false)
	tests := []struct {
		classes []string
		want    []string
	}{
		{nil, []string{"0", "1", "2", "3"}},
		{[]string{"a", "b", "c", "d", "e"}, []string{"a", "b", "c", "d", "e"}},
	}
	for _, tc := range tests {
		d, err := OpenIDX(images, labels, tc.classes)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Classes, tc.want) || !slices.Equal(d.Shape, []int{1, 2, 2}) || d.RawMax != 255 || d.Kind != Image {
			t.Errorf("classes %q shape %v RawMax %v kind %s", d.Classes, d.Shape, d.RawMax, d.Kind)
		}
		if err := d.Validate(); err != nil {
			t.Error(err)
		}
	}
}

func TestFindIDXSpellings(t *testing.T) {
	for _, name := range []string{"train-images-idx3-ubyte", "train-images-idx3-ubyte.gz", "train-images.idx3-ubyte", "train-images.idx3-ubyte.gz"} {
		dir := t.TempDir()
		writeFile(t, dir, name, idxBytes(idxImagesMagic, []uint32{2, 1, 1}, []byte{0, 1}))
		writeFile(t, dir, "train-labels.idx1-ubyte", idxBytes(idxLabelsMagic, []uint32{2}, []byte{0, 1}))
		src, err := OpenIDXDir(dir, nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if src.Train.Len() != 2 || src.Test != nil {
			t.Errorf("%s: %d examples, test %v", name, src.Train.Len(), src.Test)
		}
	}
}
