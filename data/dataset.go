package data

import (
	"errors"
	"fmt"
	"math"
)

// Kind tells tabular data from images; it decides how normalization is
// fitted (per feature or per channel) and whether augmentation applies.
type Kind string

const (
	// Tabular examples are vectors of named features.
	Tabular Kind = "tabular"
	// Image examples are C×H×W grids of pixels.
	Image Kind = "image"
)

// Dataset is N examples of float32 features with their integer labels.
// X holds N*SampleSize() values row-major; Y holds N labels in [0, len(Classes)).
type Dataset struct {
	// Source says where the data came from (a name, a path, a generator spec).
	Source string
	Kind   Kind
	// Shape is the shape of one example: [D] or [C H W].
	Shape []int
	X     []float32
	Y     []int
	// Classes are the class names; label i means Classes[i].
	Classes []string
	// FeatureNames name the columns of tabular data, in order.
	FeatureNames []string
	// LabelColumn is the header name of the label column of a CSV source,
	// so that prediction can find it again; empty for other sources.
	LabelColumn string
	// RawMax is the largest raw pixel value of an image source (16 for the
	// digits, 255 for 8-bit images), so that new images can be brought to
	// the training scale. Zero for tabular data.
	RawMax float32
	// MissingAsNaN says that X holds NaN for the feature cells a CSV left
	// missing (data.missing mean or median), until an Imputation fitted on
	// the training split fills them; Validate accepts NaN then.
	MissingAsNaN bool
	// DroppedRows counts the rows of the source that data.missing drop
	// left out for a missing feature cell.
	DroppedRows int
	// Unlabeled counts the examples of the source that a partial labels
	// file (see ApplyLabelsFile) left without a label, dropped from it.
	Unlabeled int
}

// Len is the number of examples.
func (d *Dataset) Len() int { return len(d.Y) }

// SampleSize is the number of float32 values in one example.
func (d *Dataset) SampleSize() int { return ShapeSize(d.Shape) }

// NumClasses is the number of classes.
func (d *Dataset) NumClasses() int { return len(d.Classes) }

// Row returns the features of example i (a view, not a copy).
func (d *Dataset) Row(i int) []float32 {
	s := d.SampleSize()
	return d.X[i*s : (i+1)*s]
}

// ShapeSize multiplies the dimensions of a shape.
func ShapeSize(shape []int) int {
	n := 1
	for _, s := range shape {
		n *= s
	}
	return n
}

// Subset copies the examples at the given indices, in that order, into a new
// Dataset that shares the metadata (shape, classes, names) of d.
func (d *Dataset) Subset(indices []int) *Dataset {
	s := d.SampleSize()
	out := d.emptyLike(len(indices))
	for j, i := range indices {
		copy(out.X[j*s:(j+1)*s], d.X[i*s:(i+1)*s])
		out.Y[j] = d.Y[i]
	}
	return out
}

func (d *Dataset) emptyLike(n int) *Dataset {
	return &Dataset{
		Source:       d.Source,
		Kind:         d.Kind,
		Shape:        append([]int(nil), d.Shape...),
		X:            make([]float32, n*d.SampleSize()),
		Y:            make([]int, n),
		Classes:      append([]string(nil), d.Classes...),
		FeatureNames: append([]string(nil), d.FeatureNames...),
		LabelColumn:  d.LabelColumn,
		RawMax:       d.RawMax,
		MissingAsNaN: d.MissingAsNaN,
	}
}

// ClassCounts counts the examples of each class.
func (d *Dataset) ClassCounts() []int {
	c := make([]int, len(d.Classes))
	for _, y := range d.Y {
		c[y]++
	}
	return c
}

// ErrOneClass is wrapped by Validate's error for a dataset of fewer than
// two classes, which a model cannot be trained on but can be scored on.
// Its text is empty, so the message stays the sentence Validate writes.
var ErrOneClass = errors.New("")

// Validate checks that the features and labels agree in length, that every
// label names a class and that every feature is finite. The error names the
// source and the first offending example.
func (d *Dataset) Validate() error {
	s := d.SampleSize()
	if s <= 0 {
		return fmt.Errorf("%s: empty sample shape %v", d.Source, d.Shape)
	}
	if len(d.X) != len(d.Y)*s {
		return fmt.Errorf("%s: %d feature values do not make %d examples of shape %v", d.Source, len(d.X), len(d.Y), d.Shape)
	}
	if len(d.Y) == 0 {
		return fmt.Errorf("%s: no examples", d.Source)
	}
	if len(d.Classes) < 2 {
		return fmt.Errorf("%s: %d class(es); classification needs at least 2%w", d.Source, len(d.Classes), ErrOneClass)
	}
	for i, y := range d.Y {
		if y < 0 || y >= len(d.Classes) {
			return fmt.Errorf("%s: example %d has label %d, outside [0, %d)", d.Source, i, y, len(d.Classes))
		}
	}
	for k, v := range d.X {
		if math.IsNaN(float64(v)) && d.MissingAsNaN {
			continue
		}
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("%s: example %d, feature %d is %v", d.Source, k/s, k%s, v)
		}
	}
	return nil
}
