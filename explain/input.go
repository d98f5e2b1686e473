package explain

import (
	"fmt"
	"math"

	"github.com/practica-ml/practica/data"
	"github.com/practica-ml/practica/model"
)

// Inputs are raw examples as the model sees them, for explanations.
type Inputs struct {
	// Names name each model input value of a tabular model: the features,
	// then the missing-cell indicators training appended; nil for images.
	Names []string
	// Raw are the examples in raw units, missing cells filled and
	// indicators appended as training did; Normalized the model's input.
	Raw, Normalized []float32
	// Baseline is the Integrated Gradients baseline, normalized: the
	// training mean, which is 0 after the checkpoint's normalization.
	Baseline []float32
}

// Prepare brings raw examples to the model's input with the checkpoint's
// imputation and normalization. Without a normalization, the baseline is
// trainMean (raw units, one model input): the caller's mean of the
// training split.
func Prepare(c *model.Checkpoint, raw []float32, trainMean func() ([]float32, error)) (*Inputs, error) {
	in := c.Input
	s := data.ShapeSize(in.Shape)
	prepared := raw
	if in.Missing != nil {
		var err error
		if prepared, err = in.Missing.ApplyRows(raw); err != nil {
			return nil, err
		}
	}
	if len(prepared)%s != 0 {
		return nil, fmt.Errorf("%d values are not whole examples of %d", len(prepared), s)
	}
	res := &Inputs{Raw: prepared, Normalized: append([]float32(nil), prepared...), Baseline: make([]float32, s)}
	if in.Kind == data.Tabular {
		res.Names = append([]string(nil), in.FeatureNames...)
		if in.Missing != nil {
			for _, j := range in.Missing.Indicators {
				res.Names = append(res.Names, data.IndicatorName(in.Missing.Columns[j]))
			}
		}
		if len(res.Names) != s {
			return nil, fmt.Errorf("the checkpoint names %d inputs for a model of %d", len(res.Names), s)
		}
	}
	if c.Normalization != nil {
		c.Normalization.ApplyRows(res.Normalized)
		return res, nil
	}
	mean, err := trainMean()
	if err != nil {
		return nil, fmt.Errorf("the baseline of a model without normalization is its training mean: %w", err)
	}
	if len(mean) != s {
		return nil, fmt.Errorf("a training mean of %d values for a model of %d", len(mean), s)
	}
	copy(res.Baseline, mean)
	return res, nil
}

// ColumnMean is the mean of each of the size columns of row-major x,
// over the cells that are not missing (NaN).
func ColumnMean(x []float32, size int) []float32 {
	sum, count := make([]float64, size), make([]float64, size)
	for i := 0; i+size <= len(x); i += size {
		for j, v := range x[i : i+size] {
			if !math.IsNaN(float64(v)) {
				sum[j] += float64(v)
				count[j]++
			}
		}
	}
	out := make([]float32, size)
	for j := range out {
		out[j] = float32(sum[j] / max(count[j], 1))
	}
	return out
}
