package inference

import (
	"fmt"
	"slices"

	"github.com/practica-ml/practica/data"
)

// SplitNames returns the splits SelectSplit knows: the three of training, and
// "all" of them together.
func SplitNames() []string { return []string{"train", "val", "test", "all"} }

// SelectSplit returns the split of sp called name: train, val, test, or
// all (train, val and test concatenated, in that order). An empty split
// is an error that names source.
func SelectSplit(sp *data.Splits, name, source string) (*data.Dataset, error) {
	var d *data.Dataset
	switch name {
	case "train":
		d = sp.Train
	case "val":
		d = sp.Val
	case "test":
		d = sp.Test
	case "all":
		d = concat(sp.Train, sp.Val, sp.Test)
	default:
		return nil, fmt.Errorf("unknown split %q: want train, val, test or all", name)
	}
	if d.Len() == 0 {
		return nil, fmt.Errorf("the %s split of %s is empty", name, source)
	}
	return d, nil
}

// concat appends the examples of ds into a new dataset with the first
// one's metadata (the splits of one source share it).
func concat(ds ...*data.Dataset) *data.Dataset {
	out := *ds[0]
	out.X, out.Y = nil, nil
	for _, d := range ds {
		out.X = append(out.X, d.X...)
		out.Y = append(out.Y, d.Y...)
	}
	return &out
}

// Conform brings a dataset, opened from the model's own source or from
// another one, to the model's input: tabular features in the
// checkpoint's order (matched by name, so that a CSV with its columns in
// another order scores the same), images at the training scale (a source
// of 0..255 pixels for a model trained on 0..16 ones), and labels as the
// checkpoint's class indices, matched by name. A kind, an image shape, a
// feature or a class the model does not know is an error naming it.
func (p *Predictor) Conform(d *data.Dataset) (Input, error) {
	c := p.Checkpoint
	in := c.Input
	if d.Kind != in.Kind {
		return Input{}, fmt.Errorf("%s holds %s data; the model takes %s data", d.Source, d.Kind, in.Kind)
	}
	x := d.X
	switch d.Kind {
	case data.Tabular:
		if !slices.Equal(d.FeatureNames, in.FeatureNames) {
			col := make(map[string]int, len(d.FeatureNames))
			for i, n := range d.FeatureNames {
				col[n] = i
			}
			idx := make([]int, len(in.FeatureNames))
			for j, n := range in.FeatureNames {
				i, ok := col[n]
				if !ok {
					return Input{}, fmt.Errorf("%s has no feature %q, which the model takes", d.Source, n)
				}
				idx[j] = i
			}
			s := d.SampleSize()
			x = make([]float32, d.Len()*len(idx))
			for r := 0; r < d.Len(); r++ {
				for j, i := range idx {
					x[r*len(idx)+j] = d.X[r*s+i]
				}
			}
		}
	case data.Image:
		if !slices.Equal(d.Shape, in.Shape) {
			return Input{}, fmt.Errorf("%s has images of shape %v; the model takes %v", d.Source, d.Shape, in.Shape)
		}
		if d.RawMax > 0 && in.RawMax > 0 && d.RawMax != in.RawMax {
			scale := in.RawMax / d.RawMax
			x = make([]float32, len(d.X))
			for i, v := range d.X {
				x[i] = v * scale
			}
		}
	}
	y := d.Y
	if !slices.Equal(d.Classes, c.Classes) {
		index := make(map[string]int, len(c.Classes))
		for i, n := range c.Classes {
			index[n] = i
		}
		remap := make([]int, len(d.Classes))
		for i, n := range d.Classes {
			k, ok := index[n]
			if !ok {
				return Input{}, fmt.Errorf("%s has class %q, which the model does not know (its classes: %v)", d.Source, n, c.Classes)
			}
			remap[i] = k
		}
		y = make([]int, len(d.Y))
		for i, v := range d.Y {
			y[i] = remap[v]
		}
	}
	return Input{X: x, Y: y}, nil
}
