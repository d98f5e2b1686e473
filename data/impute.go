package data

import (
	"fmt"
	"math"
	"slices"

	"github.com/practica-ml/practica/internal/setting"
)

// Imputation fills the missing cells of tabular rows (NaN in a dataset
// read with MissingMean or MissingMedian) with a statistic of each column
// fitted on the training split, and optionally appends a 0/1 indicator
// per column that had missing cells in training. It is stored with a
// model, like the Normalization, so that serving fills a missing cell with
// exactly the value training used.
type Imputation struct {
	// Rule is MissingMean or MissingMedian.
	Rule Missing `json:"rule"`
	// Columns are the raw feature columns, in order.
	Columns []string `json:"columns"`
	// Fill is each column's value for a missing cell.
	Fill []float32 `json:"fill"`
	// Indicators are the columns (indices into Columns, ascending) that
	// get a 0/1 column appended, 1 where the cell was missing.
	Indicators []int `json:"indicators,omitempty"`
}

// IndicatorName names the 0/1 column appended for column c.
func IndicatorName(c string) string { return "missing:" + c }

// FitImputation computes the fill value of every column of d (the
// training split) from its present cells, in float64: their mean, or
// their median (the mean of the two middle values for an even count).
// With indicators, each column with a missing cell in d gets an indicator.
// A column with no present cell has nothing to fill with, an error.
func FitImputation(d *Dataset, rule Missing, indicators bool) (*Imputation, error) {
	if !rule.Imputes() {
		return nil, setting.Errorf("data.missing", "is %q, which fills no cell; an imputation is fitted for mean or median", rule)
	}
	if d.Kind != Tabular || len(d.Shape) != 1 {
		return nil, setting.Errorf("data.missing", "fills cells of tabular data, and %s holds %s data", d.Source, d.Kind)
	}
	k := d.SampleSize()
	m := &Imputation{Rule: rule, Columns: slices.Clone(d.FeatureNames), Fill: make([]float32, k)}
	if len(m.Columns) != k {
		return nil, fmt.Errorf("%s: %d feature names for %d features", d.Source, len(m.Columns), k)
	}
	present := make([]float64, 0, d.Len())
	for j := range k {
		present = present[:0]
		for i := range d.Len() {
			if v := d.X[i*k+j]; !math.IsNaN(float64(v)) {
				present = append(present, float64(v))
			}
		}
		if len(present) == 0 {
			return nil, setting.Errorf("data.missing", "is %s, but column %q of %s has no value in the %d rows of the training split to take the %s of; ignore it (data.ignore_columns)",
				rule, m.Columns[j], d.Source, d.Len(), rule)
		}
		if indicators && len(present) < d.Len() {
			m.Indicators = append(m.Indicators, j)
		}
		var fill float64
		if rule == MissingMean {
			for _, v := range present {
				fill += v
			}
			fill /= float64(len(present))
		} else {
			slices.Sort(present)
			h := len(present) / 2
			fill = present[h]
			if len(present)%2 == 0 {
				fill = (present[h-1] + present[h]) / 2
			}
		}
		m.Fill[j] = float32(fill)
	}
	names := make(map[string]bool, k)
	for _, c := range m.Columns {
		names[c] = true
	}
	for _, j := range m.Indicators {
		if n := IndicatorName(m.Columns[j]); names[n] {
			return nil, setting.Errorf("data.missing_indicator", "would add the column %q to %s, which already has one of that name", n, d.Source)
		}
	}
	return m, nil
}

// Width is the number of values of a row after ApplyRows: the columns and
// the indicators.
func (m *Imputation) Width() int { return len(m.Columns) + len(m.Indicators) }

// Check verifies that m is whole: a finite fill value per column and
// indicators that name columns in ascending order, for a model whose
// input rows have width values.
func (m *Imputation) Check(width int) error {
	if m.Rule != MissingMean && m.Rule != MissingMedian {
		return fmt.Errorf("imputation rule %q; want mean or median", m.Rule)
	}
	if len(m.Fill) != len(m.Columns) {
		return fmt.Errorf("imputation of %d columns has %d fill values", len(m.Columns), len(m.Fill))
	}
	for j, v := range m.Fill {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("imputation fill value of column %q is %v", m.Columns[j], v)
		}
	}
	for i, j := range m.Indicators {
		if j < 0 || j >= len(m.Columns) || (i > 0 && j <= m.Indicators[i-1]) {
			return fmt.Errorf("imputation indicators %v do not name columns 0..%d in ascending order", m.Indicators, len(m.Columns)-1)
		}
	}
	if m.Width() != width {
		return fmt.Errorf("imputation makes rows of %d values, and the model takes %d", m.Width(), width)
	}
	return nil
}

// ApplyRows fills the NaN cells of raw rows of len(Columns) values and
// appends the indicators, returning rows of Width values. Infinite values
// are left to the caller's checks.
func (m *Imputation) ApplyRows(raw []float32) ([]float32, error) {
	k := len(m.Columns)
	if k == 0 || len(raw)%k != 0 {
		return nil, fmt.Errorf("%d values are not whole rows of the %d columns the imputation fills", len(raw), k)
	}
	n, w := len(raw)/k, m.Width()
	out := make([]float32, n*w)
	for i := range n {
		row, dst := raw[i*k:(i+1)*k], out[i*w:(i+1)*w]
		for j, v := range row {
			if math.IsNaN(float64(v)) {
				v = m.Fill[j]
			}
			dst[j] = v
		}
		for q, j := range m.Indicators {
			if math.IsNaN(float64(row[j])) {
				dst[k+q] = 1
			}
		}
	}
	return out, nil
}

// Apply fills the missing cells of d, appends the indicator columns (named
// by IndicatorName) and clears MissingAsNaN. d's feature names must be the
// imputation's columns.
func (m *Imputation) Apply(d *Dataset) error {
	if !slices.Equal(d.FeatureNames, m.Columns) {
		return fmt.Errorf("%s: features %s, but the imputation fills %s", d.Source, listNames(d.FeatureNames), listNames(m.Columns))
	}
	x, err := m.ApplyRows(d.X)
	if err != nil {
		return fmt.Errorf("%s: %w", d.Source, err)
	}
	d.X = x
	d.Shape = []int{m.Width()}
	// Clip: the names may share their array with another split's.
	d.FeatureNames = slices.Clip(d.FeatureNames)
	for _, j := range m.Indicators {
		d.FeatureNames = append(d.FeatureNames, IndicatorName(m.Columns[j]))
	}
	d.MissingAsNaN = false
	return nil
}
