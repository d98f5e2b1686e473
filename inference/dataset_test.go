package inference

import (
	"slices"
	"strings"
	"testing"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// tiny is a tabular dataset of rows (features a, b, c) with labels among
// classes.
func tiny(features, classes []string, x []float32, y []int) *data.Dataset {
	return &data.Dataset{Source: "tiny.csv", Kind: data.Tabular, Shape: []int{len(features)}, X: x, Y: y, Classes: classes, FeatureNames: features}
}

func TestSelectSplit(t *testing.T) {
	classes := []string{"x", "y"}
	f := []string{"a"}
	sp := &data.Splits{
		Train: tiny(f, classes, []float32{1, 2, 3}, []int{0, 1, 0}),
		Val:   tiny(f, classes, []float32{4}, []int{1}),
		Test:  tiny(f, classes, []float32{5, 6}, []int{1, 1}),
	}
	for _, c := range []struct {
		name string
		x    []float32
		y    []int
	}{
		{"train", []float32{1, 2, 3}, []int{0, 1, 0}},
		{"val", []float32{4}, []int{1}},
		{"test", []float32{5, 6}, []int{1, 1}},
		{"all", []float32{1, 2, 3, 4, 5, 6}, []int{0, 1, 0, 1, 1, 1}},
	} {
		d, err := SelectSplit(sp, c.name, "tiny.csv")
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !slices.Equal(d.X, c.x) || !slices.Equal(d.Y, c.y) || !slices.Equal(d.Classes, classes) || d.Kind != data.Tabular {
			t.Errorf("%s: x %v y %v classes %v", c.name, d.X, d.Y, d.Classes)
		}
	}
	// "all" copies: the training split is left alone.
	all, _ := SelectSplit(sp, "all", "tiny.csv")
	all.X[0] = 99
	if sp.Train.X[0] != 1 {
		t.Error("SelectSplit(all) shares the training split's memory")
	}
	sp.Val = tiny(f, classes, nil, nil)
	if _, err := SelectSplit(sp, "val", "tiny.csv"); err == nil || err.Error() != "the val split of tiny.csv is empty" {
		t.Errorf("empty split: %v", err)
	}
	if _, err := SelectSplit(sp, "holdout", "tiny.csv"); err == nil || !strings.Contains(err.Error(), `unknown split "holdout"`) {
		t.Errorf("unknown split: %v", err)
	}
}

// TestConformTabular: columns in another order, an extra column and the
// classes in another order (and fewer of them) come out in the model's
// order.
func TestConformTabular(t *testing.T) {
	p := &Predictor{Checkpoint: &model.Checkpoint{
		Input:   model.InputSchema{Kind: data.Tabular, Shape: []int{2}, FeatureNames: []string{"a", "b"}},
		Classes: []string{"cat", "dog", "fox"},
	}}
	// Columns b, extra, a; classes fox, cat.
	d := tiny([]string{"b", "extra", "a"}, []string{"fox", "cat"}, []float32{
		2, 9, 1,
		4, 9, 3,
		6, 9, 5,
	}, []int{0, 1, 0})
	in, err := p.Conform(d)
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{1, 2, 3, 4, 5, 6}; !slices.Equal(in.X, want) {
		t.Errorf("x %v, want %v", in.X, want)
	}
	if want := []int{2, 0, 2}; !slices.Equal(in.Y, want) {
		t.Errorf("y %v, want %v (fox = 2, cat = 0)", in.Y, want)
	}
	if !slices.Equal(d.Y, []int{0, 1, 0}) || d.X[0] != 2 {
		t.Error("Conform changed its input")
	}
	// Already in the model's order: the same memory, no copy.
	same := tiny([]string{"a", "b"}, []string{"cat", "dog", "fox"}, []float32{1, 2}, []int{1})
	if in, err := p.Conform(same); err != nil || &in.X[0] != &same.X[0] || &in.Y[0] != &same.Y[0] {
		t.Errorf("in order: copied or failed (%v)", err)
	}
	for _, c := range []struct {
		d    *data.Dataset
		want string
	}{
		{tiny([]string{"a", "c"}, []string{"cat"}, []float32{1, 2}, []int{0}), `tiny.csv has no feature "b", which the model takes`},
		{tiny([]string{"a", "b"}, []string{"cat", "wolf"}, []float32{1, 2}, []int{1}), `tiny.csv has class "wolf", which the model does not know`},
		{&data.Dataset{Source: "digits", Kind: data.Image, Shape: []int{1, 1, 2}, X: []float32{1, 2}, Y: []int{0}, Classes: []string{"cat"}}, "digits holds image data; the model takes tabular data"},
	} {
		if _, err := p.Conform(c.d); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want %q", err, c.want)
		}
	}
}

// TestConformImages rescales pixels to the training scale and refuses
// another shape.
func TestConformImages(t *testing.T) {
	p := &Predictor{Checkpoint: &model.Checkpoint{
		Input:   model.InputSchema{Kind: data.Image, Shape: []int{1, 1, 2}, RawMax: 16},
		Classes: []string{"0", "1"},
	}}
	img := func(shape []int, rawMax float32, x ...float32) *data.Dataset {
		return &data.Dataset{Source: "folder", Kind: data.Image, Shape: shape, X: x, Y: []int{1}, Classes: []string{"0", "1"}, RawMax: rawMax}
	}
	in, err := p.Conform(img([]int{1, 1, 2}, 32, 32, 5)) // pixels of 0..32 for a model of 0..16
	if err != nil {
		t.Fatal(err)
	}
	if want := []float32{16, 2.5}; !slices.Equal(in.X, want) || !slices.Equal(in.Y, []int{1}) {
		t.Errorf("x %v y %v, want %v [1]", in.X, in.Y, want)
	}
	if in, _ := p.Conform(img([]int{1, 1, 2}, 16, 8, 4)); !slices.Equal(in.X, []float32{8, 4}) {
		t.Errorf("same scale: x %v", in.X)
	}
	if _, err := p.Conform(img([]int{1, 2, 1}, 16, 8, 4)); err == nil || !strings.Contains(err.Error(), "folder has images of shape [1 2 1]; the model takes [1 1 2]") {
		t.Errorf("shape: %v", err)
	}
}
